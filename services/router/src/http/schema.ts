import { z } from 'zod';

/**
 * The OpenAI Chat Completions and Embeddings request bodies, as far as the router routes them.
 * Unknown fields are ignored (new SDK versions add some) rather than refused; fields the router
 * cannot honour (n > 1, audio, logprobs) are refused with the field named.
 */

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.object({
    url: z.string().min(1),
    detail: z.enum(['auto', 'low', 'high']).optional(),
  }),
});
const part = z.discriminatedUnion('type', [textPart, imagePart], {
  message: 'content parts must be {type:"text"} or {type:"image_url"}',
});

const content = z.union([z.string(), z.array(part)]).nullish();

const toolCall = z.object({
  id: z.string().min(1),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const message = z.discriminatedUnion(
  'role',
  [
    z.object({ role: z.enum(['system', 'developer']), content, name: z.string().optional() }),
    z.object({ role: z.literal('user'), content, name: z.string().optional() }),
    z.object({
      role: z.literal('assistant'),
      content,
      name: z.string().optional(),
      tool_calls: z.array(toolCall).optional(),
      refusal: z.string().nullish(),
    }),
    z.object({ role: z.literal('tool'), content, tool_call_id: z.string().min(1) }),
  ],
  { message: 'role must be system, developer, user, assistant or tool' },
);

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

const tool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().regex(TOOL_NAME, 'must match [a-zA-Z0-9_-]{1,64}'),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
]);

const responseFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({
      name: z.string().regex(TOOL_NAME, 'must match [a-zA-Z0-9_-]{1,64}'),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

export const chatCompletionBody = z.object({
  model: z.string({ message: 'is required' }),
  messages: z.array(message).min(1, 'must not be empty'),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  response_format: responseFormat.optional(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  max_completion_tokens: z.number().int().min(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  seed: z.number().int().nullish(),
  n: z.literal(1, { message: 'only n = 1 is supported' }).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullish(),
  user: z.string().optional(),
  /** Router extension: ordered fallbacks after `model` (same selector syntax). */
  fallback_models: z.array(z.string().min(1)).optional(),
});

export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;

export const embeddingsBody = z.object({
  model: z.string({ message: 'is required' }),
  input: z.union([z.string(), z.array(z.string()).min(1, 'must not be empty')]),
  dimensions: z.number().int().min(1).optional(),
  encoding_format: z.enum(['float', 'base64']).optional(),
  user: z.string().optional(),
});

export type EmbeddingsBody = z.infer<typeof embeddingsBody>;
