import { Writable } from 'node:stream';
import { create } from '@bufbuild/protobuf';
import type { RouterService } from '@quantumlayer/contracts';
import {
  ChatMessageSchema,
  FinishReason,
  Role,
  type CompleteRequest,
  type CompleteResponse,
  type StreamCompleteRequest,
} from '@quantumlayer/contracts';
import { createLogger, type Logger } from '../../src/logger.js';
import { Code, RpcError, type HandlerContext, type ServiceImpl } from '../../src/rpc/index.js';

/** A logger whose lines the test can read back. */
export function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ service: 'rpc-test', level: 'debug', destination });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines };
}

export function promptOf(req: CompleteRequest | StreamCompleteRequest): string {
  const part = req.input?.messages[0]?.content[0]?.part;
  return part?.case === 'text' ? part.value : '';
}

export function userPrompt(model: string, text: string) {
  return {
    input: {
      model,
      messages: [{ role: Role.USER, content: [{ part: { case: 'text' as const, value: text } }] }],
    },
  };
}

export function answer(text: string, model: string): CompleteResponse['message'] {
  return create(ChatMessageSchema, {
    role: Role.ASSISTANT,
    content: [{ part: { case: 'text', value: text } }],
    name: model,
  });
}

export interface RouterProbe {
  /** The last handler context each method saw. */
  contexts: HandlerContext[];
  /** Reasons of handler signals that fired. */
  aborts: unknown[];
}

/**
 * A fake router whose behaviour is picked by the model name, so one server covers every case.
 * "slow" waits for its signal, "invalid" and "boom" fail the two ways a handler can fail.
 */
export function routerImpl(probe: RouterProbe): ServiceImpl<typeof RouterService> {
  return {
    async complete(req, ctx) {
      probe.contexts.push(ctx);
      const model = req.input?.model ?? '';
      if (model === 'slow') {
        await new Promise<void>((resolve) => {
          const safety = setTimeout(resolve, 5_000);
          ctx.signal.addEventListener('abort', () => {
            probe.aborts.push(ctx.signal.reason);
            clearTimeout(safety);
            resolve();
          });
        });
        return { finishReason: FinishReason.STOP };
      }
      if (model === 'invalid') {
        throw new RpcError(Code.INVALID_ARGUMENT, 'input.messages: must not be empty');
      }
      if (model === 'boom')
        throw new Error('pg: connection to 10.0.0.7 refused (password=hunter2)');
      const who = ctx.principal?.subject ?? 'anonymous';
      return {
        message: answer(`echo(${who}): ${promptOf(req)}`, model),
        finishReason: FinishReason.STOP,
        stats: {
          model,
          provider: 'fake',
          requestId: ctx.metadata.get('x-request-id')[0]?.toString() ?? '',
        },
      };
    },

    async *streamComplete(req, ctx) {
      probe.contexts.push(ctx);
      const model = req.input?.model ?? '';
      yield { chunk: { case: 'start', value: { requestId: 'r-1', provider: 'fake', model } } };
      for (const word of promptOf(req).split(' ')) {
        yield { chunk: { case: 'delta', value: { text: word } } };
      }
      yield { chunk: { case: 'end', value: { finishReason: FinishReason.STOP } } };
    },

    async embed(req) {
      return {
        embeddings: req.inputs.map((_, index) => ({ index, values: [index, 0.5] })),
        dimensions: 2,
      };
    },

    async listModels() {
      return { models: [{ id: 'fake/echo', provider: 'fake' }] };
    },
  };
}
