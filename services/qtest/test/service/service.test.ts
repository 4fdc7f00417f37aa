// The qtest service as deployed: gRPC Run/Generate/GetRun and CapsuleBuilt → TestsCompleted on
// the real NATS and Postgres, the tests in the real bubblewrap sandbox, and the QA agent's calls
// through a real router (embedded) to a loopback OpenAI-wire fake.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import {
  buildCapsule,
  ed25519Signer,
  generateSigningKey,
  readCapsule,
  type CapsuleInput,
} from '@quantumlayer/capsule';
import {
  CapsuleBuiltSchema,
  GateVerdict,
  GenerationFailedSchema,
  QTestService,
  TestsCompletedSchema,
} from '@quantumlayer/contracts';
import {
  Code,
  connectNatsBus,
  createGrpcClient,
  createLogger,
  deadLetterStream,
  decodeEvent,
  openDatabase,
  subjectFor,
  toOutgoingEvent,
  type DeliveredEvent,
  type EventBus,
  type GrpcClient,
  type RpcError,
  type Subscription,
} from '@quantumlayer/kit';
import { FileSetSchema } from '@quantumlayer/codegen';
import { OpenAIFake } from '@quantumlayer/provider-fakes';
import { createRouterApp, type RouterApp } from '@quantumlayer/router';
import { createQTestApp, type QTestApp } from '../../src/app.js';
import { sandboxAvailable } from '../../src/sandbox/index.js';

const DATABASE_URL = process.env.QL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = process.env.QL_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const TENANT = 'tenant-a';
const unique = (p: string) => `${p}_${process.pid}_${randomBytes(4).toString('hex')}`.toLowerCase();

// A small Node project with no dependencies (node's test runner), two modules: `shapes` fully
// tested, `money` half tested — so the gate can accept or reject on coverage, and test
// generation has something to aim at.
const SHAPES = `export function area(kind, a, b = a) {
  if (kind === 'square') return a * a;
  if (kind === 'rect') return a * b;
  throw new Error('unknown shape ' + kind);
}
`;
const MONEY = `export function cents(amount) {
  return Math.round(amount * 100);
}

export function format(c, currency) {
  const sign = c < 0 ? '-' : '';
  const abs = Math.abs(c);
  const whole = Math.floor(abs / 100);
  const frac = String(abs % 100).padStart(2, '0');
  if (currency === 'EUR') return sign + whole + ',' + frac + ' €';
  if (currency === 'USD') return sign + '$' + whole + '.' + frac;
  throw new Error('unknown currency ' + currency);
}
`;
const SHAPES_TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { area } from '../src/shapes.js';

test('AC-001 a square has side squared', () => assert.equal(area('square', 3), 9));
test('AC-002 a rectangle has width times height', () => assert.equal(area('rect', 2, 5), 10));
test('unknown shapes are refused', () => assert.throws(() => area('hexagon', 1), /unknown shape/));
`;
const MONEY_TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cents } from '../src/money.js';

test('AC-003 amounts are kept in cents', () => assert.equal(cents(12.345), 1235));
`;
const GOOD_GENERATED = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { format } from '../src/money.js';

test('formats euros', () => assert.equal(format(123456, 'EUR'), '1234,56 €'));
test('formats negative dollars', () => assert.equal(format(-5, 'USD'), '-$0.05'));
test('refuses other currencies', () => assert.throws(() => format(1, 'GBP'), /unknown currency/));
`;
const FAILING_GENERATED = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { area } from '../src/shapes.js';

test('a circle', () => assert.equal(area('circle', 1), 3.14));
`;

function projectFiles(extra: Record<string, string> = {}) {
  const files: Record<string, string> = {
    'package.json': JSON.stringify(
      { name: 'calc', version: '1.0.0', type: 'module', scripts: { test: 'node --test' } },
      null,
      2,
    ),
    'src/shapes.js': SHAPES,
    'src/money.js': MONEY,
    'test/shapes.test.js': SHAPES_TEST,
    'test/money.test.js': MONEY_TEST,
    ...extra,
  };
  return Object.entries(files).map(([path, content]) => ({ path, content }));
}

const signer = ed25519Signer(generateSigningKey().privateKeyPem);

async function capsuleOf(extra: Record<string, string> = {}): Promise<Uint8Array> {
  const input: CapsuleInput = {
    files: projectFiles(extra),
    app: { name: 'calc', version: '1.0.0' },
    stack: {
      templateId: 'node-plain',
      language: 'javascript',
      framework: 'none',
      database: 'none',
      packageManager: 'npm',
    },
    commands: { install: 'npm ci', build: 'true', test: 'npm test', run: 'node src/shapes.js' },
    generation: { mode: 'blueprint' },
  } as CapsuleInput;
  return (await buildCapsule(input, signer)).archive;
}

const rejected = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as RpcError,
  );

async function waitFor<T>(
  what: string,
  check: () => T | undefined,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let app: QTestApp;
let router: RouterApp;
let fake: OpenAIFake;
let bus: EventBus;
let client: GrpcClient<typeof QTestService>;
let httpPort: number;
let dir: string;
let schema: string;
const received: DeliveredEvent[] = [];
const subscriptions: Subscription[] = [];

beforeAll(async () => {
  // These tests must really run: a missing bwrap is a failure, not a skip (make test installs it).
  const sandbox = await sandboxAvailable();
  if (!sandbox.ok) throw new Error(`the sandbox is not available: ${sandbox.reason}`);
  dir = mkdtempSync(join(tmpdir(), 'qtest-service-'));
  schema = unique('qtest');
  const namespace = unique('qt');
  const logger = createLogger({
    service: 'qtest',
    level: process.env.QL_TEST_LOG_LEVEL ?? 'silent',
  });

  fake = new OpenAIFake({ apiKey: 'sk-test' });
  const { url } = await fake.start({ port: 0 });
  const routerConfig = join(dir, 'router.yaml');
  writeFileSync(
    routerConfig,
    `providers:
  - name: fake
    kind: openai
    baseUrl: ${url}/v1
    apiKeyEnv: FAKE_KEY
    models:
      - id: gpt-4o-mini
        inputCostPerMTok: 0.15
        outputCostPerMTok: 0.6
        quality: 0.7
        contextWindow: 128000
        maxOutputTokens: 4096
`,
  );
  router = await createRouterApp({
    env: {
      QL_ROUTER_CONFIG: routerConfig,
      QL_HTTP_PORT: '0',
      QL_GRPC_PORT: '0',
      QL_HOST: '127.0.0.1',
      QL_LOG_LEVEL: 'silent',
      FAKE_KEY: 'sk-test',
      QL_DATA_DIR: join(dir, 'router'),
    },
    tracing: null,
  });
  const routerPorts = await router.start();

  bus = await connectNatsBus({ servers: NATS_URL, namespace, name: 'qtest-test', logger });
  await bus.ensureStreams([deadLetterStream({ storage: 'memory' })]);
  app = await createQTestApp({
    env: {
      QL_HTTP_PORT: '0',
      QL_GRPC_PORT: '0',
      QL_HOST: '127.0.0.1',
      QL_DATABASE_URL: DATABASE_URL,
      QL_NATS_URL: NATS_URL,
      QL_QTEST_SCHEMA: schema,
      QL_DATA_DIR: dir,
      QL_QTEST_RUNS: '3',
      QL_QTEST_ROUTER_ADDRESS: `127.0.0.1:${routerPorts.grpcPort}`,
      QL_QTEST_MODEL: 'fake/gpt-4o-mini',
    },
    bus,
    logger,
    tracing: null,
  });
  const bound = await app.start();
  const grpcPort = bound.grpcPort;
  httpPort = bound.httpPort;
  client = createGrpcClient(QTestService, `127.0.0.1:${grpcPort}`, { defaultTimeoutMs: 300_000 });
  for (const s of [TestsCompletedSchema, GenerationFailedSchema]) {
    subscriptions.push(
      await bus.subscribe(
        {
          stream: 'QL_GENERATION',
          durable: `test-${s.name.toLowerCase()}`,
          filterSubject: subjectFor(s),
          maxDeliver: 3,
          ackWaitMs: 10_000,
          maxInFlight: 8,
          deadLetterSubject: 'ql.dlq.qtest-test',
        },
        async (e) => void received.push(e),
      ),
    );
  }
}, 120_000);

afterAll(async () => {
  for (const s of subscriptions) await s.stop();
  client?.close();
  await app?.stop('test done');
  await router?.stop('test done');
  await fake?.close();
  if (schema) {
    const cleanup = await openDatabase({ url: DATABASE_URL, schema });
    await cleanup.dropSchema().catch(() => undefined);
    await cleanup.close();
  }
  await bus?.deleteStreams(['QL_GENERATION', 'QL_DLQ']).catch(() => undefined);
  await bus?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('gRPC', () => {
  it('Run tests a capsule in the sandbox: per-test counts, coverage, the gate, a stored run', async () => {
    // Agent mode (a router is configured): coverage under the gate with every test green makes
    // the QA agent propose a test for the least covered file.
    fake.reset();
    fake.enqueue({
      kind: 'reply',
      text: JSON.stringify({ path: 'test/money-format.test.js', content: GOOD_GENERATED }),
    });
    const archive = await capsuleOf();
    const { run } = await client.run({
      tenantId: TENANT,
      generationId: 'gen-rpc',
      runs: 1,
      source: { case: 'archive', value: archive },
    });
    const r = run!;
    const { manifestBytes } = await readCapsule(archive);
    expect(r.manifestDigest).toBe(
      `sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`,
    );
    expect(r.runner).toBe('node-test');
    expect(r.passed).toBe(4);
    expect(r.failed).toBe(0);
    expect(r.runs).toBe(1);
    // money.js's format() is untested: line coverage is well under the gate's 80%.
    expect(r.lineCoveragePct).toBeGreaterThan(40);
    expect(r.lineCoveragePct).toBeLessThan(80);
    expect(r.verdict).toBe(GateVerdict.REJECTED);
    expect(r.failedGates).toEqual([
      expect.stringMatching(/^line coverage \d+\.\d% < 80%$/),
      expect.stringMatching(
        /^1 generated test\(s\) would raise line coverage to (100|9\d(\.\d+)?)% \(in the report, for the next draft\)$/,
      ),
    ]);
    expect(r.report!.key).toMatch(/^sha256:[0-9a-f]{64}$/);

    const report = JSON.parse(
      Buffer.from(await app.runtime.blobs.get(TENANT, r.report!.key)).toString('utf8'),
    ) as {
      tests: { report: { tests: { name: string; status: string }[] } };
      generated: { kept: number; tests: { path: string; target: string; kept: boolean }[] };
    };
    expect(report.generated.kept).toBe(1);
    expect(report.generated.tests).toEqual([
      expect.objectContaining({
        path: 'test/money-format.test.js',
        target: 'src/money.js',
        kept: true,
      }),
    ]);
    expect(report.tests.report.tests.map((t) => t.name).sort()).toEqual([
      'AC-001 a square has side squared',
      'AC-002 a rectangle has width times height',
      'AC-003 amounts are kept in cents',
      'unknown shapes are refused',
    ]);

    const got = await client.getRun({ tenantId: TENANT, runId: r.runId });
    expect(got.run!.lineCoveragePct).toBe(r.lineCoveragePct);
    const other = await rejected(client.getRun({ tenantId: 'tenant-b', runId: r.runId }));
    expect(other.code).toBe(Code.NOT_FOUND);
  }, 180_000);

  it('refuses bad requests naming the field', async () => {
    const noSource = await rejected(client.run({ tenantId: TENANT }));
    expect(noSource.code).toBe(Code.INVALID_ARGUMENT);
    expect(noSource.message).toMatch(/^source: /);
    const runs = await rejected(
      client.run({
        tenantId: TENANT,
        runs: 11,
        source: { case: 'archive', value: new Uint8Array([1]) },
      }),
    );
    expect(runs.message).toMatch(/^runs: must be between 1 and 10/);
    const garbage = await rejected(
      client.run({
        tenantId: TENANT,
        source: { case: 'archive', value: new Uint8Array([1, 2, 3]) },
      }),
    );
    expect(garbage.code).toBe(Code.INVALID_ARGUMENT);
    expect(garbage.message).toMatch(/^archive: /);
    const tenant = await rejected(client.getRun({ tenantId: 'Bad Tenant', runId: 'x' }));
    expect(tenant.message).toMatch(/^tenant_id: /);
  });

  it('Generate keeps a proposed test only if it passes every run and raises coverage', async () => {
    fake.reset();
    // Targets go most-uncovered first: money.js, then shapes.js (whose throw is covered; the
    // failing proposal for it must be rejected whatever it targets).
    fake.enqueue(
      {
        kind: 'reply',
        text: JSON.stringify({ path: 'test/money-format.test.js', content: GOOD_GENERATED }),
      },
      {
        kind: 'reply',
        text: JSON.stringify({ path: 'test/circle.test.js', content: FAILING_GENERATED }),
      },
    );
    const res = await client.generate({
      tenantId: TENANT,
      generationId: 'gen-gen',
      maxTests: 2,
      source: {
        case: 'archive',
        value: await capsuleOf({
          'src/shapes.js': `${SHAPES}\nexport function perimeter(a) {\n  return 4 * a;\n}\n`,
        }),
      },
    });
    expect(res.proposed).toBe(2);
    expect(res.kept).toBe(1);
    expect(res.rejected).toBe(1);
    const kept = res.tests.find((t) => t.kept)!;
    expect(kept).toMatchObject({ path: 'test/money-format.test.js', target: 'src/money.js' });
    expect(kept.coverageGainPct).toBeGreaterThan(10);
    expect(res.tests.find((t) => !t.kept)!.reason).toMatch(/failing/);
    expect(res.lineCoverageAfterPct).toBeGreaterThan(res.lineCoverageBeforePct);
    // The QA agent's calls went through the router to the provider: two chat completions asking
    // for JSON, with the uncovered lines marked in the prompt.
    const chats = fake.requests.filter((r) => r.route === 'chat');
    expect(chats).toHaveLength(2);
    const body = chats[0]!.body as {
      response_format?: { type: string };
      messages: { content: string }[];
    };
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.messages.at(-1)!.content).toContain('src/money.js');
    // The kept file is a FileSet in the blob store.
    const fileSet = JSON.parse(
      Buffer.from(await app.runtime.blobs.get(TENANT, res.fileSet!.key)).toString('utf8'),
    ) as unknown;
    // The document codegen and the agent read, the file attributed to the QA agent's model.
    expect(FileSetSchema.parse(fileSet).files).toEqual([
      expect.objectContaining({
        path: 'test/money-format.test.js',
        provenance: { by: 'agent', role: 'qa', model: 'fake/gpt-4o-mini', provider: 'fake' },
      }),
    ]);
  }, 300_000);
});

describe('events', () => {
  it('CapsuleBuilt → TestsCompleted with the gate verdict; an unreadable capsule fails the generation', async () => {
    const archive = await capsuleOf({ 'test/money-format.test.js': GOOD_GENERATED });
    const ref = await app.runtime.blobs.put(TENANT, archive, {
      mediaType: 'application/vnd.quantumlayer.capsule',
    });
    const garbage = await app.runtime.blobs.put(TENANT, new Uint8Array([9, 9, 9]));
    for (const [generationId, key] of [
      ['gen-ev', ref.key],
      ['gen-bad', garbage.key],
    ] as const) {
      await bus.publish(
        toOutgoingEvent(
          CapsuleBuiltSchema,
          create(CapsuleBuiltSchema, {
            generationId,
            tenantId: TENANT,
            capsule: { key, sizeBytes: 1n, mediaType: 'application/vnd.quantumlayer.capsule' },
            manifestDigest: `sha256:${'c'.repeat(64)}`,
            appName: 'calc',
            appVersion: '1.0.0',
            attempt: 1,
          }),
          { source: 'test', ceSubject: generationId, tenantId: TENANT },
        ),
      );
    }
    const done = await waitFor('TestsCompleted', () =>
      received
        .filter((e) => e.type === TestsCompletedSchema.typeName)
        .map((e) => decodeEvent(TestsCompletedSchema, e))
        .find((m) => m.generationId === 'gen-ev'),
    );
    expect(done).toMatchObject({
      tenantId: TENANT,
      manifestDigest: `sha256:${'c'.repeat(64)}`,
      attempt: 1,
      passed: 7,
      failed: 0,
      flaky: 0,
      verdict: GateVerdict.ACCEPTED,
      failedGates: [],
    });
    expect(done.lineCoveragePct).toBeGreaterThanOrEqual(80);
    const failed = await waitFor('GenerationFailed', () =>
      received
        .filter((e) => e.type === GenerationFailedSchema.typeName)
        .map((e) => decodeEvent(GenerationFailedSchema, e))
        .find((m) => m.generationId === 'gen-bad'),
    );
    expect(failed.reason).toMatch(/^archive: /);
    expect(failed.retriable).toBe(false);
  }, 300_000);

  it('a repair round that breaks tests: drift is healed through the QA agent, a regression is reported', async () => {
    const GREET = "export const greet = (name) => 'Hello, ' + name;\n";
    const GREET_TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { greet } from '../src/greet.js';

test('greets by name', () => assert.equal(greet('Ann'), 'Hello, Ann'));
`;
    // Coverage is above the gate in both rounds, so the QA agent is asked for nothing but healing.
    const covered = { 'test/money-format.test.js': GOOD_GENERATED };
    const round1 = await capsuleOf({
      ...covered,
      'src/greet.js': GREET,
      'test/greet.test.js': GREET_TEST,
    });
    // Round 2: the greeting was changed on purpose (drift), and the rectangle broke (regression).
    const round2 = await capsuleOf({
      ...covered,
      'src/greet.js': GREET.replace('Hello, ', 'Welcome, '),
      'test/greet.test.js': GREET_TEST,
      'src/shapes.js': SHAPES.replace('return a * b;', 'return a + b;'),
    });
    fake.reset();
    fake.enqueue({
      kind: 'reply',
      text: JSON.stringify({
        path: 'test/greet.test.js',
        content: GREET_TEST.replace("'Hello, Ann'", "'Welcome, Ann'"),
      }),
    });
    for (const [attempt, archive] of [
      [1, round1],
      [2, round2],
    ] as const) {
      const ref = await app.runtime.blobs.put(TENANT, archive, {
        mediaType: 'application/vnd.quantumlayer.capsule',
      });
      await bus.publish(
        toOutgoingEvent(
          CapsuleBuiltSchema,
          create(CapsuleBuiltSchema, {
            generationId: 'gen-heal',
            tenantId: TENANT,
            capsule: {
              key: ref.key,
              sizeBytes: BigInt(archive.length),
              mediaType: 'application/vnd.quantumlayer.capsule',
            },
            manifestDigest: `sha256:${String(attempt).repeat(64)}`,
            appName: 'calc',
            appVersion: '1.0.0',
            attempt,
          }),
          { source: 'test', ceSubject: 'gen-heal', tenantId: TENANT },
        ),
      );
      await waitFor(`TestsCompleted of round ${attempt}`, () =>
        received
          .filter((e) => e.type === TestsCompletedSchema.typeName)
          .map((e) => decodeEvent(TestsCompletedSchema, e))
          .find((m) => m.generationId === 'gen-heal' && m.attempt === attempt),
      );
    }
    const done = received
      .filter((e) => e.type === TestsCompletedSchema.typeName)
      .map((e) => decodeEvent(TestsCompletedSchema, e))
      .find((m) => m.generationId === 'gen-heal' && m.attempt === 2)!;
    expect(done.verdict).toBe(GateVerdict.REJECTED);
    expect(done.healed).toBe(1);
    expect(done.failedGates).toContain(
      'since the previous round: 1 regression(s), 0 environment failure(s), 1 test(s) healed (updates in the report)',
    );
    const report = JSON.parse(
      Buffer.from(await app.runtime.blobs.get(TENANT, done.report!.key)).toString('utf8'),
    ) as {
      healing: {
        classifications: { test: string; class: string }[];
        updates: Record<string, string>;
      };
    };
    expect(report.healing.classifications.map((c) => [c.test, c.class]).sort()).toEqual([
      ['test › AC-002 a rectangle has width times height', 'regression'],
      ['test › greets by name', 'assertion-drift'],
    ]);
    expect(report.healing.updates['test/greet.test.js']).toContain("'Welcome, Ann'");
    // Only the drift went to the QA agent.
    expect(fake.requests.filter((r) => r.route === 'chat')).toHaveLength(1);
  }, 300_000);
});

describe('metrics', () => {
  it('counts runs by verdict, generated tests by outcome and classified failures on /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    // `name{label="x",…} value`: the registry adds its own default labels to every series.
    const value = (series: string) => {
      const [name, label] = series.slice(0, -1).split('{') as [string, string];
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`${name}{`) && l.split(' ')[0]!.includes(label));
      return Number(line?.split(' ').at(-1) ?? NaN);
    };
    expect(value('ql_qtest_runs_total{verdict="accepted"}')).toBeGreaterThanOrEqual(2);
    expect(value('ql_qtest_runs_total{verdict="rejected"}')).toBeGreaterThanOrEqual(2);
    expect(value('ql_qtest_generated_tests_total{outcome="kept"}')).toBe(2);
    expect(value('ql_qtest_generated_tests_total{outcome="rejected"}')).toBe(1);
    expect(value('ql_qtest_failures_classified_total{class="regression"}')).toBe(1);
    expect(value('ql_qtest_failures_classified_total{class="assertion-drift"}')).toBe(1);
    expect(value('ql_qtest_run_duration_seconds_count{verdict="accepted"}')).toBeGreaterThanOrEqual(
      2,
    );
  });
});
