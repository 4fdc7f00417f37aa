// Public surface of @quantumlayer/qtest. So far the three libraries the service will be built
// on: the bubblewrap sandbox runner, the test-report and coverage parsers, and property-based
// API tests from OpenAPI documents. The service itself (gRPC Run/Generate, CapsuleBuilt →
// TestsCompleted) and the `ql qtest` commands are not built yet (see README.md).
export * from './sandbox/index.js';
export * from './reports/index.js';
export * from './api/index.js';
