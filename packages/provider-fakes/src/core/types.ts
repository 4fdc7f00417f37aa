import type { IncomingHttpHeaders } from 'node:http';

/** The four wire-protocol families a fake can speak. */
export type Family = 'openai' | 'anthropic' | 'bedrock' | 'ollama';

/**
 * Provider-neutral error classes. Each family maps them to its own status, error body and
 * headers (see the table in the package README).
 */
export type ErrorKind =
  | 'invalid_request'
  | 'context_length'
  | 'auth'
  | 'permission'
  | 'not_found'
  | 'rate_limit'
  | 'quota'
  | 'server'
  | 'overloaded'
  | 'timeout';

/** Provider-neutral reason a reply ended; each family maps it to its own stop/finish reason. */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'stop_sequence' | 'content_filter';

/** Generic route names, so one matcher works across families. */
export type RouteName = 'chat' | 'embeddings' | 'models' | 'count_tokens' | 'other';

export interface ToolCallSpec {
  /** Provider-specific call id; a deterministic one is generated when absent. */
  id?: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface UsageSpec {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

/** What the model "says". Every field is optional: the default is the deterministic echo. */
export interface ReplySpec {
  /** Reply text. Default: `echo: <last input text>` (or a JSON document in JSON mode). */
  text?: string;
  /** Explicit stream split; joined, it is the text when `text` is absent. */
  chunks?: string[];
  /** A value to return as the JSON text (overrides the schema-derived default in JSON mode). */
  json?: unknown;
  toolCalls?: ToolCallSpec[];
  /** Overrides the heuristic token counts (any field left out stays heuristic). */
  usage?: UsageSpec;
  finishReason?: FinishReason;
  /** Non-streamed requests: wait this long before answering. Default: `ttftMs`, else 0. */
  delayMs?: number;
  /** Streamed requests: wait this long after the response head before the first frame. */
  ttftMs?: number;
  /** Streamed requests: wait this long between frames. */
  chunkDelayMs?: number;
}

export interface FailSpec {
  error: ErrorKind;
  message?: string;
  /** Overrides the family's status for this error class. */
  status?: number;
  /** Sets `retry-after` (seconds) on the error response. */
  retryAfterSeconds?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Replaces the whole error body (sent as JSON). */
  body?: unknown;
  delayMs?: number;
}

/**
 * One scripted behaviour. "Chunks" below are frames on the wire: one SSE event (OpenAI,
 * Anthropic), one NDJSON line (Ollama) or one event-stream message (Bedrock).
 */
export type Behaviour =
  | ({ kind: 'reply' } & ReplySpec)
  | ({ kind: 'stream' } & ReplySpec)
  | ({ kind: 'fail' } & FailSpec)
  | { kind: 'throttle'; retryAfterSeconds?: number; message?: string }
  /**
   * Accept and never answer (no `afterChunks`), or send the head and `afterChunks` frames of a
   * streamed reply and then go silent without closing. A non-streamed request with
   * `afterChunks` gets its head and half its body.
   */
  | ({ kind: 'stall'; afterChunks?: number } & ReplySpec)
  /**
   * Destroy the socket after `afterChunks` frames (default 1); with `midFrame`, half of the
   * next frame is written first. A non-streamed request gets its head and half its body.
   */
  | ({ kind: 'cut'; afterChunks?: number; midFrame?: boolean } & ReplySpec)
  /** The provider's own in-stream error after `afterChunks` frames (default 1). */
  | ({
      kind: 'streamError';
      afterChunks?: number;
      error: ErrorKind;
      errorMessage?: string;
    } & ReplySpec);

export interface RecordedRequest {
  seq: number;
  method: string;
  /** Path without the query string, as received (still percent-encoded). */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  route: RouteName;
  model: string | undefined;
  stream: boolean;
  receivedAt: number;
}

export interface Matcher {
  model?: string | RegExp;
  route?: RouteName | RouteName[];
  stream?: boolean;
  where?: (req: RecordedRequest) => boolean;
}

export interface CommonOptions {
  /** Keep received requests for assertions (default true; turn off for benchmarks). */
  record?: boolean;
  /** The behaviour used when no script entry matches (default: `{ kind: 'reply' }`). */
  defaultBehaviour?: Behaviour;
  /** Inputs estimated above this many tokens get the family's context-length error. */
  contextWindow?: number;
  /** Models listed by the models route (the first one is also used when a request names none). */
  models?: string[];
  /** When true, a request for a model not in `models` gets the family's not-found error. */
  strictModels?: boolean;
  /** Dimensions of default embedding vectors (default 8). */
  embeddingDimensions?: number;
}

export interface StartOptions {
  port?: number;
  host?: string;
}

export interface Started {
  url: string;
  port: number;
}
