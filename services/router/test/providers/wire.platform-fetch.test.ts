// The wire suite again, with the adapters on the platform fetch (`upstream.fetch: platform`);
// wire.test.ts runs it on the router's default, the keep-alive node:http fetch.
import './platform-fetch.js';
import './wire.test.js';
