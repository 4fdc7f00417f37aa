import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  Role,
  type RouterService,
  type StreamCompleteResponseSchema,
} from '@quantumlayer/contracts';
import type { HandlerContext, ServiceImpl } from '@quantumlayer/kit';
import { ModelCapability } from '@quantumlayer/contracts';
import type { RouterEngine } from '../engine/engine.js';
import {
  capabilitiesOf,
  chatCallFromProto,
  embedCallFromProto,
  FINISH,
  modelInfoToProto,
  statsToProto,
} from './mapping.js';
import { toRpcError } from './errors.js';

type StreamChunk = MessageInitShape<typeof StreamCompleteResponseSchema>;

/** Budget override a trusted caller (agent, gateway) can send per call, in USD. */
const GENERATION_BUDGET_HEADER = 'x-ql-generation-budget-usd';

function generationBudget(ctx: HandlerContext): number | undefined {
  const raw = ctx.metadata.get(GENERATION_BUDGET_HEADER)[0];
  if (raw === undefined) return undefined;
  const usd = Number(raw.toString());
  return Number.isFinite(usd) && usd >= 0 ? Math.round(usd * 1_000_000) : undefined;
}

function rethrow(err: unknown): never {
  throw toRpcError(err) ?? err;
}

/** RouterService on the engine; every domain error leaves as its gRPC status. */
export function routerServiceImpl(engine: RouterEngine): ServiceImpl<typeof RouterService> {
  return {
    async complete(req, ctx) {
      try {
        const call = chatCallFromProto(req.input);
        call.context.generationBudgetMicros = generationBudget(ctx);
        const r = await engine.complete(call, {
          api: 'grpc',
          signal: ctx.signal,
          deadline: ctx.deadline,
        });
        return {
          message: {
            role: Role.ASSISTANT,
            content: r.text ? [{ part: { case: 'text', value: r.text } }] : [],
            toolCalls: r.toolCalls,
          },
          finishReason: FINISH[r.finishReason],
          stats: statsToProto(r.stats),
        };
      } catch (err) {
        rethrow(err);
      }
    },

    async *streamComplete(req, ctx): AsyncGenerator<StreamChunk> {
      let call;
      try {
        call = chatCallFromProto(req.input);
      } catch (err) {
        rethrow(err);
      }
      call.context.generationBudgetMicros = generationBudget(ctx);
      const stream = engine.stream(call, {
        api: 'grpc',
        signal: ctx.signal,
        deadline: ctx.deadline,
      });
      try {
        for await (const out of stream) {
          switch (out.type) {
            case 'start':
              yield {
                chunk: {
                  case: 'start',
                  value: { requestId: out.requestId, provider: out.provider, model: out.model },
                },
              };
              break;
            case 'text':
              yield { chunk: { case: 'delta', value: { text: out.text } } };
              break;
            case 'tool_call':
              yield {
                chunk: {
                  case: 'delta',
                  value: {
                    toolCalls: [
                      {
                        index: out.index,
                        id: out.id ?? '',
                        name: out.name ?? '',
                        argumentsJsonDelta: out.argumentsDelta,
                      },
                    ],
                  },
                },
              };
              break;
            case 'end':
              yield {
                chunk: {
                  case: 'end',
                  value: { finishReason: FINISH[out.finishReason], stats: statsToProto(out.stats) },
                },
              };
              break;
          }
        }
      } catch (err) {
        rethrow(err);
      }
    },

    async embed(req, ctx) {
      try {
        const call = embedCallFromProto(req);
        call.context.generationBudgetMicros = generationBudget(ctx);
        const r = await engine.embed(call, {
          api: 'grpc',
          signal: ctx.signal,
          deadline: ctx.deadline,
        });
        return {
          embeddings: r.vectors.map((values, index) => ({ index, values })),
          dimensions: r.dimensions,
          stats: statsToProto(r.stats),
        };
      } catch (err) {
        rethrow(err);
      }
    },

    async listModels(req) {
      const providers = new Set(req.providers);
      const wanted = req.capabilities.filter((c) => c !== ModelCapability.UNSPECIFIED);
      const models = [];
      for (const m of engine.catalog.models) {
        if (providers.size > 0 && !providers.has(m.provider) && !providers.has(m.providerKind))
          continue;
        if (wanted.length > 0) {
          const has = capabilitiesOf(m);
          if (!wanted.every((c) => has.includes(c))) continue;
        }
        const health = engine.health(m);
        if (!health.available && !req.includeUnavailable) continue;
        models.push(modelInfoToProto(m, health));
      }
      return {
        models,
        aliases: engine.catalog.aliases.map((a) => ({ name: a.name, models: [...a.candidates] })),
      };
    },
  };
}
