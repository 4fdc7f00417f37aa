// The failures suite again, with the Chat Completions kinds on their official SDKs (`client: sdk`);
// failures.test.ts runs it on the router's default, the direct wire client.
import './sdk-client.js';
import './failures.test.js';
