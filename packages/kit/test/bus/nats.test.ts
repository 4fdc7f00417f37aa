import { connectNatsBus } from '../../src/bus/index.js';
import { TEST_DATABASE_URL, TEST_NATS_URL } from '../support/env.js';
import { busContract } from './contract.js';

busContract({
  kind: 'nats',
  connect: (namespace, registry) =>
    connectNatsBus({ servers: TEST_NATS_URL, namespace, registry, name: 'bus-test' }),
  databaseUrl: TEST_DATABASE_URL,
});
