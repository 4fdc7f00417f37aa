import { MemoryEventBus } from '../../src/bus/index.js';
import { busContract } from './contract.js';

busContract({
  kind: 'memory',
  connect: async (namespace, registry) => new MemoryEventBus({ namespace, registry }),
  databaseUrl: undefined,
});
