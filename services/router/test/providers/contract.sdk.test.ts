// The contract suite again, with the Chat Completions kinds on their official SDKs (`client: sdk`);
// contract.test.ts runs it on the router's default, the direct wire client.
import './sdk-client.js';
import './contract.test.js';
