// The contract suite again, with the adapters on the platform fetch (`upstream.fetch: platform`);
// contract.test.ts runs it on the router's default, the keep-alive node:http fetch.
import './platform-fetch.js';
import './contract.test.js';
