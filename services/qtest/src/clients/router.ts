// The router, qtest's only way to an LLM (DESIGN §2): the QA agent's calls go through its gRPC
// `Complete`, so budgets, fallbacks, breakers and usage accounting apply to them as to any agent.
import { create } from '@bufbuild/protobuf';
import {
  CompleteRequestSchema,
  FinishReason,
  ResponseFormatType,
  Role,
  RouterService,
  type CompleteResponse,
} from '@quantumlayer/contracts';
import { createGrpcClient, type GrpcClient } from '@quantumlayer/kit';

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  text: string;
}

export interface CompletionCall {
  model: string;
  messages: ChatTurn[];
  tenantId: string;
  generationId?: string;
  /** Shown in usage reports, e.g. "qtest/qa-generate". */
  caller: string;
  /** Ask for a JSON object answer. */
  json?: boolean;
  maxTokens?: number;
  signal?: AbortSignal;
}

export interface Completion {
  text: string;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  truncated: boolean;
}

/** What the QA agent needs from an LLM; the router client is one, tests may pass another. */
export interface LlmPort {
  complete(call: CompletionCall): Promise<Completion>;
}

const ROLES = { system: Role.SYSTEM, user: Role.USER, assistant: Role.ASSISTANT } as const;

function toCompletion(res: CompleteResponse): Completion {
  const text = (res.message?.content ?? [])
    .map((p) => (p.part.case === 'text' ? p.part.value : ''))
    .join('');
  const stats = res.stats;
  return {
    text,
    provider: stats?.provider ?? '',
    model: stats?.model ?? '',
    inputTokens: Number(stats?.usage?.inputTokens ?? 0),
    outputTokens: Number(stats?.usage?.outputTokens ?? 0),
    costUsd: Number(stats?.cost?.usdMicros ?? 0n) / 1e6,
    truncated: res.finishReason === FinishReason.LENGTH,
  };
}

export class RouterLlm implements LlmPort {
  private readonly client: GrpcClient<typeof RouterService>;

  constructor(address: string, options: { timeoutMs?: number } = {}) {
    this.client = createGrpcClient(RouterService, address, {
      defaultTimeoutMs: options.timeoutMs ?? 120_000,
    });
  }

  async complete(call: CompletionCall): Promise<Completion> {
    const req = create(CompleteRequestSchema, {
      input: {
        model: call.model,
        messages: call.messages.map((m) => ({
          role: ROLES[m.role],
          content: [{ part: { case: 'text' as const, value: m.text } }],
        })),
        ...(call.json ? { responseFormat: { type: ResponseFormatType.JSON_OBJECT } } : {}),
        ...(call.maxTokens ? { sampling: { maxTokens: call.maxTokens } } : {}),
        context: {
          tenantId: call.tenantId,
          generationId: call.generationId ?? '',
          caller: call.caller,
        },
      },
    });
    const res = await this.client.complete(req, { signal: call.signal });
    return toCompletion(res);
  }

  close(): void {
    this.client.close();
  }
}
