// Failure contract for every provider family: each upstream error class maps to the right
// taxonomy kind (with Retry-After), errors inside a stream come out of the iterator, our
// signal cancels the upstream call, a cut connection is a network error, and no message
// carries prompt text or keys.
import { createServer } from 'node:net';
import type { ErrorKind } from '@quantumlayer/provider-fakes';
import {
  createProvider,
  type ChatRequest,
  type ProviderAdapter,
  type StreamEvent,
} from '../../src/providers/index.js';
import {
  API_KEY,
  drain,
  makeFamilies,
  providerErrorOf,
  startFamilies,
  stopFamilies,
  useFakeAwsEnvironment,
  type Family,
  type FamilyId,
} from './harness.js';

const families = makeFamilies();
let adapters: Map<FamilyId, ProviderAdapter>;
let restoreEnv: () => void;

beforeAll(async () => {
  restoreEnv = useFakeAwsEnvironment();
  adapters = await startFamilies(families);
});
afterAll(async () => {
  await stopFamilies(families, adapters);
  restoreEnv();
});

const PROMPT = 'PRIVATE-PROMPT-TEXT do not leak';

function ask(model: string, text = PROMPT): ChatRequest {
  return { model, messages: [{ role: 'user', content: [{ type: 'text', text }] }] };
}

/**
 * Some classes are only told apart by the provider's wording (Anthropic's "prompt is too
 * long", a Bedrock ValidationException, Ollama's plain strings): the scripted messages keep
 * that wording and add the prompt and the key, which must not surface.
 */
const WORDING: Partial<Record<ErrorKind, string>> = {
  context_length: 'prompt is too long: 200001 tokens > 200000 maximum (input is too long)',
  quota: 'Your credit balance is too low; you exceeded your current quota',
  timeout: 'timed out waiting for the model',
};

const LONG_TEXT = 'one two three four five six seven eight nine ten eleven twelve';

const ERROR_KINDS: ErrorKind[] = [
  'invalid_request',
  'context_length',
  'auth',
  'permission',
  'not_found',
  'rate_limit',
  'quota',
  'server',
  'overloaded',
  'timeout',
];

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe.each(families.map((f) => [f.id, f] as const))(
  '%s adapter failures',
  (id, family: Family) => {
    const adapter = () => adapters.get(id)!;
    const fake = family.fake;
    beforeEach(() => fake.reset());

    describe.each(ERROR_KINDS.map((k) => [k] as const))('upstream %s', (errorKind) => {
      const expected = family.errorKinds[errorKind];

      it(`maps to ${expected} (non-stream), without upstream text in the message`, async () => {
        fake.enqueue({
          kind: 'fail',
          error: errorKind,
          // Upstream messages may quote the prompt or a masked key: none of it may surface.
          message: `${WORDING[errorKind] ?? 'refused'}: ${PROMPT} key=${API_KEY}`,
          ...(errorKind === 'rate_limit' ? { retryAfterSeconds: 2 } : {}),
        });
        const err = await providerErrorOf(() => adapter().chat(ask(family.model)));
        expect(err.kind).toBe(expected);
        expect(err.details.provider).toBe(`${id}-test`);
        expect(err.details.status).toBeGreaterThanOrEqual(400);
        expect(err.retryable).toBe(
          ['rate_limited', 'overloaded', 'timeout', 'server_error', 'network'].includes(expected),
        );
        if (errorKind === 'rate_limit') expect(err.details.retryAfterMs).toBe(2000);
        for (const text of [err.message, String(err.cause ?? ''), JSON.stringify(err.details)]) {
          expect(text).not.toContain('PRIVATE-PROMPT-TEXT');
          expect(text).not.toContain(API_KEY);
        }
      });

      it(`maps to ${expected} when the stream request is refused`, async () => {
        fake.enqueue({ kind: 'fail', error: errorKind });
        const err = await providerErrorOf(() => drain(adapter().chatStream(ask(family.model))));
        expect(err.kind).toBe(expected);
      });
    });

    it('reads Retry-After seconds from a throttled answer', async () => {
      fake.enqueue({ kind: 'throttle', retryAfterSeconds: 3 });
      const err = await providerErrorOf(() => adapter().chat(ask(family.model)));
      expect(err.kind).toBe('rate_limited');
      expect(err.details.retryAfterMs).toBe(3000);
    });

    it('reads Retry-After as an HTTP date', async () => {
      const at = new Date(Date.now() + 5000).toUTCString();
      fake.enqueue({ kind: 'fail', error: 'overloaded', headers: { 'retry-after': at } });
      const err = await providerErrorOf(() => adapter().chat(ask(family.model)));
      expect(err.kind).toBe('overloaded');
      expect(err.details.retryAfterMs).toBeGreaterThan(2500);
      expect(err.details.retryAfterMs).toBeLessThanOrEqual(5000);
    });

    it('prefers retry-after-ms when the provider sends it', async () => {
      fake.enqueue({
        kind: 'fail',
        error: 'rate_limit',
        retryAfterSeconds: 9,
        headers: { 'retry-after-ms': '1250' },
      });
      const err = await providerErrorOf(() => adapter().chat(ask(family.model)));
      expect(err.details.retryAfterMs).toBe(1250);
    });

    it.each([
      ['rate_limit', 'rate_limited'],
      ['overloaded', 'overloaded'],
      ['server', 'server_error'],
      ['timeout', 'timeout'],
    ] as const)('throws an in-stream %s error from the iterator as %s', async (errorKind, kind) => {
      fake.enqueue({ kind: 'streamError', error: errorKind, afterChunks: 5, text: LONG_TEXT });
      const seen: StreamEvent[] = [];
      const err = await providerErrorOf(async () => {
        for await (const ev of adapter().chatStream(ask(family.model))) seen.push(ev);
      });
      expect(err.kind).toBe(kind);
      expect(seen.some((e) => e.type === 'finish')).toBe(false);
    });

    it('raises a network error from the iterator when the stream is cut mid-way', async () => {
      // Five frames get past every family's preamble (Anthropic: message_start, block start, ping).
      fake.enqueue({ kind: 'cut', afterChunks: 5, text: LONG_TEXT });
      const seen: StreamEvent[] = [];
      const err = await providerErrorOf(async () => {
        for await (const ev of adapter().chatStream(ask(family.model))) seen.push(ev);
      });
      expect(err.kind).toBe('network');
      expect(err.retryable).toBe(true);
      expect(seen.some((e) => e.type === 'text')).toBe(true);
      expect(seen.some((e) => e.type === 'finish')).toBe(false);
    });

    it('raises a network error when the stream is cut in the middle of a frame', async () => {
      fake.enqueue({ kind: 'cut', afterChunks: 5, midFrame: true, text: LONG_TEXT });
      const err = await providerErrorOf(() => drain(adapter().chatStream(ask(family.model))));
      expect(err.kind).toBe('network');
    });

    it('raises a network error when a non-streamed answer is cut', async () => {
      fake.enqueue({ kind: 'cut' });
      const err = await providerErrorOf(() => adapter().chat(ask(family.model)));
      expect(err.kind).toBe('network');
    });

    it('cancels a waiting non-stream call when the signal aborts', async () => {
      fake.enqueue({ kind: 'stall' });
      const ac = new AbortController();
      const pending = providerErrorOf(() =>
        adapter().chat({ ...ask(family.model), signal: ac.signal }),
      );
      await fake.waitForRequests(1);
      const t0 = Date.now();
      ac.abort();
      const err = await pending;
      expect(err.kind).toBe('cancelled');
      expect(err.retryable).toBe(false);
      expect(Date.now() - t0).toBeLessThan(1000);
    });

    it('cancels a stream mid-way when the signal aborts', async () => {
      fake.enqueue({ kind: 'stall', afterChunks: 5, text: LONG_TEXT });
      const ac = new AbortController();
      const it = adapter()
        .chatStream({ ...ask(family.model), signal: ac.signal })
        [Symbol.asyncIterator]();
      const first = await it.next();
      expect(first.done).toBe(false);
      ac.abort();
      const err = await providerErrorOf(async () => {
        for (;;) if ((await it.next()).done) break;
      });
      expect(err.kind).toBe('cancelled');
    });

    it('does not call the upstream when the signal is already aborted', async () => {
      const ac = new AbortController();
      ac.abort();
      const err = await providerErrorOf(() =>
        adapter().chat({ ...ask(family.model), signal: ac.signal }),
      );
      expect(err.kind).toBe('cancelled');
      const err2 = await providerErrorOf(() =>
        drain(adapter().chatStream({ ...ask(family.model), signal: ac.signal })),
      );
      expect(err2.kind).toBe('cancelled');
      expect(fake.count()).toBe(0);
    });

    it('times out on its last-resort timeout when the upstream stalls', async () => {
      const slow = createProvider(family.settings({ timeoutMs: 300 }));
      try {
        fake.enqueue({ kind: 'stall' });
        const err = await providerErrorOf(() => slow.chat(ask(family.model)));
        expect(err.kind).toBe('timeout');
        expect(err.retryable).toBe(true);
      } finally {
        await slow.close?.();
      }
    });

    it('reports a refused connection as a network error', async () => {
      const port = await closedPort();
      const base = family.settings().baseUrl!.replace(/:\d+/, `:${port}`);
      const dead = createProvider(family.settings({ baseUrl: base }));
      try {
        const err = await providerErrorOf(() => dead.chat(ask(family.model)));
        expect(err.kind).toBe('network');
        expect(err.details.providerCode).toBe('ECONNREFUSED');
        const err2 = await providerErrorOf(() => drain(dead.chatStream(ask(family.model))));
        expect(err2.kind).toBe('network');
      } finally {
        await dead.close?.();
      }
    });
  },
);
