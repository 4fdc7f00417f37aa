// The wire suite again, with the Chat Completions kinds on their official SDKs (`client: sdk`);
// wire.test.ts runs it on the router's default, the direct wire client.
import './sdk-client.js';
import './wire.test.js';
