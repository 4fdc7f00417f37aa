// Public surface of @quantumlayer/router: the composition root, for processes that embed the
// router (tests of its callers, embedded mode). The process entry point is main.ts.
export { createRouterApp, SERVICE_NAME } from './app.js';
export type { RouterApp, RouterPorts } from './app.js';
