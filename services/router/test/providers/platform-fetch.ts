// Imported first by the `*.platform-fetch.test.ts` files: the harness then builds the adapters on
// Node's built-in fetch (`upstream.fetch: platform`) instead of the router's keep-alive client.
process.env.QL_TEST_PROVIDER_FETCH = 'platform';
