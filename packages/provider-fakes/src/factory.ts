import { AnthropicFake, type AnthropicFakeOptions } from './anthropic.js';
import { BedrockFake, type BedrockFakeOptions } from './bedrock.js';
import type { FakeProviderServer } from './core/server.js';
import { OllamaFake, type OllamaFakeOptions } from './ollama.js';
import { OpenAIFake, type OpenAIFakeOptions } from './openai.js';

/** Names accepted by createFake and the CLI: the four families plus the OpenAI flavours. */
export const FAMILIES = ['openai', 'groq', 'vllm', 'anthropic', 'bedrock', 'ollama'] as const;
export type FakeName = (typeof FAMILIES)[number];

export type AnyFakeOptions = OpenAIFakeOptions &
  AnthropicFakeOptions &
  BedrockFakeOptions &
  OllamaFakeOptions;

export function createFake(name: FakeName, options: AnyFakeOptions = {}): FakeProviderServer {
  switch (name) {
    case 'openai':
    case 'groq':
    case 'vllm':
      return new OpenAIFake({ flavor: name, ...options });
    case 'anthropic':
      return new AnthropicFake(options);
    case 'bedrock':
      return new BedrockFake(options);
    case 'ollama':
      return new OllamaFake(options);
  }
}
