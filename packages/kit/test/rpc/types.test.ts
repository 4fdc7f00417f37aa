import type { MessageShape } from '@bufbuild/protobuf';
import {
  FinishReason,
  type CompleteResponseSchema,
  type RouterService,
  type StreamCompleteResponse,
} from '@quantumlayer/contracts';
import type { GrpcClient, ServiceImpl } from '../../src/rpc/index.js';

/**
 * Compile-time checks (tsc runs over test/): the descriptor decides each handler's and client
 * method's shape. A `@ts-expect-error` that stops erroring fails the typecheck.
 */
type Impl = ServiceImpl<typeof RouterService>;

// Unary handlers return a message or its init shape; streaming ones are async generators.
const ok: Impl = {
  complete: async (req) => ({
    finishReason: FinishReason.STOP,
    message: { name: req.input?.model ?? '' },
  }),
  async *streamComplete() {
    yield { chunk: { case: 'delta' as const, value: { text: 'x' } } };
  },
  embed: async () => ({ dimensions: 3 }),
  listModels: async () => ({}),
};

const wrongKind: Impl = {
  ...ok,
  // @ts-expect-error a unary method cannot be implemented as a stream
  complete: async function* () {
    yield { finishReason: FinishReason.STOP };
  },
};

const wrongField: Impl = {
  ...ok,
  // @ts-expect-error CompleteResponse has no field "text"
  complete: async () => ({ text: 'nope' }),
};

// @ts-expect-error every RPC needs a handler
const missing: Impl = { complete: ok.complete };

async function clientShapes(client: GrpcClient<typeof RouterService>): Promise<void> {
  const res: MessageShape<typeof CompleteResponseSchema> = await client.complete({
    input: { model: 'm' },
  });
  for await (const chunk of client.streamComplete({}, { timeoutMs: 10 })) {
    const typed: StreamCompleteResponse = chunk;
    void typed;
  }
  // @ts-expect-error requests are checked against the input message
  await client.complete({ input: { model: 42 } });
  // @ts-expect-error no such RPC
  await client.generate({});
  client.close();
  void res;
}

test('type-level contract of the adapter compiles', () => {
  expect([ok, wrongKind, wrongField, missing, clientShapes]).toHaveLength(5);
});
