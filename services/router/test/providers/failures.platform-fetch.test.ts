// The failures suite again, with the adapters on the platform fetch (`upstream.fetch: platform`);
// failures.test.ts runs it on the router's default, the keep-alive node:http fetch.
import './platform-fetch.js';
import './failures.test.js';
