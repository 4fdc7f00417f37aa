// Imported first by the `*.sdk.test.ts` files: the harness then builds the Chat Completions
// kinds (openai, vllm, openai-compatible, groq) on their official SDKs (`client: sdk`, on the
// router's keep-alive fetch) instead of the direct wire client.
process.env.QL_TEST_PROVIDER_CLIENT = 'sdk';
