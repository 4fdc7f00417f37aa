// One adapter per provider family, each over the provider's official SDK (Ollama: see
// ollama.ts for why it is a small fetch client) — except the Chat Completions kinds (OpenAI,
// vLLM, OpenAI-compatible, Groq), which by default speak the wire directly (openai-direct.ts
// says why); `client: sdk` puts them back on their SDKs. Every adapter keeps one client for its
// lifetime (connection reuse) and turns off the SDK's own retries: the router core retries.
import { AnthropicAdapter } from './anthropic.js';
import { BedrockAdapter } from './bedrock.js';
import { GroqAdapter } from './groq.js';
import { OllamaAdapter } from './ollama.js';
import { OpenAIAdapter } from './openai.js';
import { DirectChatCompletionsAdapter } from './openai-direct.js';
import type { ProviderAdapter, ProviderSettings } from './types.js';

export * from './types.js';
export { AnthropicAdapter } from './anthropic.js';
export { BedrockAdapter, mapBedrockError } from './bedrock.js';
export { GroqAdapter } from './groq.js';
export { OllamaAdapter } from './ollama.js';
export { OpenAIAdapter } from './openai.js';
export { DirectChatCompletionsAdapter } from './openai-direct.js';
export { parseRetryAfter, retryAfterMs } from './errors.js';
export { claudeHasNativeJson, DEFAULT_TIMEOUT_MS, JSON_TOOL_NAME } from './shared.js';

/**
 * Builds the adapter for one `providers:` entry. Throws (a startup error) when a hosted
 * provider has no API key; self-hosted kinds (vllm, openai-compatible, ollama) may run
 * without one, and Bedrock takes its credentials from the AWS environment.
 */
export function createProvider(settings: ProviderSettings): ProviderAdapter {
  switch (settings.kind) {
    case 'openai':
    case 'vllm':
    case 'openai-compatible':
      if (settings.client !== 'sdk')
        return new DirectChatCompletionsAdapter({ ...settings, kind: settings.kind });
      return new OpenAIAdapter(settings);
    case 'groq':
      if (settings.client !== 'sdk')
        return new DirectChatCompletionsAdapter({ ...settings, kind: settings.kind });
      return new GroqAdapter(settings);
    case 'anthropic':
      return AnthropicAdapter.fromSettings(settings);
    case 'bedrock':
      return BedrockAdapter.fromSettings(settings);
    case 'ollama':
      return new OllamaAdapter(settings);
    default: {
      const kind: never = settings.kind;
      throw new Error(
        `provider ${String((settings as { name?: unknown }).name)}: unknown kind ${String(kind)}`,
      );
    }
  }
}
