import { runMain } from '@quantumlayer/kit';
import { createQTestApp, SERVICE_NAME } from './app.js';

// The only file that touches the process: environment in, signals, exit codes.
runMain(async () => {
  const app = await createQTestApp({ env: process.env });
  app.runtime.lifecycle.installSignalHandlers();
  await app.start();
}, SERVICE_NAME);
