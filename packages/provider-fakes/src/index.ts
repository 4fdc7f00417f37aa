export type {
  Behaviour,
  CommonOptions,
  ErrorKind,
  Family,
  FailSpec,
  FinishReason,
  Matcher,
  RecordedRequest,
  ReplySpec,
  RouteName,
  StartOptions,
  Started,
  ToolCallSpec,
  UsageSpec,
} from './core/types.js';
export { FakeProviderServer } from './core/server.js';
export { estimateTokens, echoText, embedText, sampleFromSchema } from './core/text.js';
export { OpenAIFake, type OpenAIFakeOptions, type OpenAIFlavor } from './openai.js';
export { AnthropicFake, type AnthropicFakeOptions } from './anthropic.js';
export { BedrockFake, type BedrockFakeOptions } from './bedrock.js';
export { OllamaFake, type OllamaFakeOptions } from './ollama.js';
export {
  decodeMessages,
  encodeEvent,
  encodeException,
  encodeMessage,
  type EventStreamMessage,
} from './bedrock/eventstream.js';
export {
  FAKE_AWS_CREDENTIALS,
  parseAuthorization,
  signRequest,
  type AwsCredentials,
} from './bedrock/sigv4.js';
export { createFake, FAMILIES, type AnyFakeOptions, type FakeName } from './factory.js';
