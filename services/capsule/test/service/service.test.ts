// The capsule service as deployed: gRPC Build/Verify/Get/List and CodeValidated → CapsuleBuilt on
// the real NATS and Postgres. The project is rendered by the codegen templates (its lock file
// comes from npm's cache or the registry, as for any generated project).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import {
  CapsuleBuiltSchema,
  CapsuleService,
  CodeValidatedSchema,
  GenerationFailedSchema,
} from '@quantumlayer/contracts';
import type { RpcError } from '@quantumlayer/kit';
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
  type Subscription,
} from '@quantumlayer/kit';
import { parseRequirements, renderProject } from '@quantumlayer/codegen';
import { createCapsuleApp, type CapsuleApp } from '../../src/app.js';

const DATABASE_URL = process.env.QL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NATS_URL = process.env.QL_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const TENANT = 'tenant-a';
const unique = (p: string) => `${p}_${process.pid}_${randomBytes(4).toString('hex')}`.toLowerCase();

let app: CapsuleApp;
let bus: EventBus;
let client: GrpcClient<typeof CapsuleService>;
let dir: string;
let schema: string;
const received: DeliveredEvent[] = [];
const subscriptions: Subscription[] = [];
let fileSetRef: { key: string; sizeBytes: bigint; mediaType: string };
let requirementsRef: { key: string; sizeBytes: bigint; mediaType: string };

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
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'capsule-test-'));
  schema = unique('capsule');
  const namespace = unique('cap');
  const logger = createLogger({
    service: 'capsule',
    level: process.env.QL_TEST_LOG_LEVEL ?? 'silent',
  });
  bus = await connectNatsBus({ servers: NATS_URL, namespace, name: 'capsule-test', logger });
  await bus.ensureStreams([deadLetterStream({ storage: 'memory' })]);
  app = await createCapsuleApp({
    env: {
      QL_HTTP_PORT: '0',
      QL_GRPC_PORT: '0',
      QL_HOST: '127.0.0.1',
      QL_DATABASE_URL: DATABASE_URL,
      QL_NATS_URL: NATS_URL,
      QL_CAPSULE_SCHEMA: schema,
      QL_DATA_DIR: dir,
    },
    bus,
    logger,
    tracing: null,
  });
  const { grpcPort } = await app.start();
  client = createGrpcClient(CapsuleService, `127.0.0.1:${grpcPort}`, { defaultTimeoutMs: 60_000 });
  for (const s of [CapsuleBuiltSchema, GenerationFailedSchema]) {
    subscriptions.push(
      await bus.subscribe(
        {
          stream: 'QL_GENERATION',
          durable: `test-${s.name.toLowerCase()}`,
          filterSubject: subjectFor(s),
          maxDeliver: 3,
          ackWaitMs: 10_000,
          maxInFlight: 8,
          deadLetterSubject: 'ql.dlq.capsule-test',
        },
        async (e) => void received.push(e),
      ),
    );
  }

  // A generated project's files and FileSet in the blob store, as codegen leaves them.
  const requirements = parseRequirements(
    'A todo app. Each task has a title, a due date and a done flag. Each project has a name and many tasks.',
  );
  const { files } = await renderProject({ requirements });
  const blobs = app.runtime.blobs;
  const enc = new TextEncoder();
  const entries = await Promise.all(
    files.map(async (f) => {
      const r = await blobs.put(TENANT, enc.encode(f.content), { mediaType: 'text/plain' });
      return {
        path: f.path,
        blob: { key: r.key, sizeBytes: r.size, mediaType: r.mediaType },
        executable: f.executable ?? false,
        provenance: f.provenance,
      };
    }),
  );
  const put = async (value: unknown, mediaType: string) => {
    const r = await blobs.put(TENANT, enc.encode(JSON.stringify(value)), { mediaType });
    return { key: r.key, sizeBytes: BigInt(r.size), mediaType: r.mediaType };
  };
  fileSetRef = await put(
    { schemaVersion: 1, files: entries },
    'application/vnd.quantumlayer.fileset+json',
  );
  requirementsRef = await put(requirements, 'application/vnd.quantumlayer.requirements+json');
}, 300_000);

afterAll(async () => {
  for (const s of subscriptions) await s.stop();
  client?.close();
  await app?.stop('test done');
  const cleanup = await openDatabase({ url: DATABASE_URL, schema });
  await cleanup.dropSchema().catch(() => undefined);
  await cleanup.close();
  await bus?.deleteStreams(['QL_GENERATION', 'QL_DLQ']).catch(() => undefined);
  await bus?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('gRPC', () => {
  it('Build stores a signed capsule; building again gives the same one; Get and List find it', async () => {
    const a = await client.build({
      tenantId: TENANT,
      generationId: 'gen-1',
      fileSet: fileSetRef,
      requirements: requirementsRef,
    });
    const capsule = a.capsule!;
    expect(capsule.appName).toBe('todo-app');
    expect(capsule.fileName).toBe('todo-app-0.1.0.qlc');
    expect(capsule.capsuleId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(capsule.signingKeyId).toMatch(/^[0-9a-f]{16}$/);
    const b = await client.build({
      tenantId: TENANT,
      generationId: 'gen-1',
      fileSet: fileSetRef,
      requirements: requirementsRef,
    });
    expect(b.capsule!.capsuleId).toBe(capsule.capsuleId);
    expect(b.capsule!.manifestDigest).toBe(capsule.manifestDigest);

    const got = await client.get({ tenantId: TENANT, capsuleId: capsule.capsuleId });
    const manifest = JSON.parse(new TextDecoder().decode(got.manifestJson)) as {
      app: { name: string };
      files: { path: string }[];
      traceability: { criterionId: string; tests: string[] }[];
    };
    expect(manifest.app.name).toBe('todo-app');
    expect(manifest.files.map((f) => f.path)).toContain('project/package.json');
    // Every acceptance criterion maps to at least one test of the project.
    expect(manifest.traceability.length).toBeGreaterThan(5);
    expect(manifest.traceability.filter((t) => t.tests.length === 0)).toEqual([]);

    const page1 = await client.list({ tenantId: TENANT, pageSize: 1 });
    expect(page1.capsules.map((c) => c.capsuleId)).toEqual([capsule.capsuleId]);
    expect(await client.list({ tenantId: 'tenant-b' })).toMatchObject({
      capsules: [],
      nextPageToken: '',
    });

    const other = await rejected(
      client.get({ tenantId: 'tenant-b', capsuleId: capsule.capsuleId }),
    );
    expect(other.code).toBe(Code.NOT_FOUND);
    const badToken = await rejected(client.list({ tenantId: TENANT, pageToken: 'nonsense' }));
    expect(badToken.code).toBe(Code.INVALID_ARGUMENT);
    expect(badToken.message).toMatch(/^page_token: /);
  });

  it('Verify passes a stored capsule and names the problem in a tampered one', async () => {
    const { capsule } = await client.build({
      tenantId: TENANT,
      fileSet: fileSetRef,
      requirements: requirementsRef,
    });
    const ok = await client.verify({
      tenantId: TENANT,
      source: { case: 'capsuleId', value: capsule!.capsuleId },
    });
    expect(ok).toMatchObject({ ok: true, problems: [], manifestDigest: capsule!.manifestDigest });

    const bytes = await app.runtime.blobs.get(TENANT, capsule!.archive!.key);
    const tampered = Uint8Array.from(bytes);
    tampered[Math.floor(tampered.length / 2)]! ^= 0xff;
    const bad = await client.verify({
      tenantId: TENANT,
      source: { case: 'archive', value: tampered },
    });
    expect(bad.ok).toBe(false);
    expect(bad.problems.length).toBeGreaterThan(0);
    expect(bad.problems[0]!.message).not.toBe('');

    const none = await rejected(client.verify({ tenantId: TENANT }));
    expect(none.code).toBe(Code.INVALID_ARGUMENT);
    expect(none.message).toMatch(/^source: /);
    const missing = await rejected(client.build({ tenantId: TENANT }));
    expect(missing.message).toMatch(/^file_set: is required/);
  });
});

it('CodeValidated → CapsuleBuilt with the stored capsule', async () => {
  const generationId = unique('gen');
  await bus.publish(
    toOutgoingEvent(
      CodeValidatedSchema,
      create(CodeValidatedSchema, {
        generationId,
        tenantId: TENANT,
        fileset: fileSetRef,
        attempt: 1,
        appName: 'todo-app',
        requirements: requirementsRef,
      }),
      { source: 'codegen', ceSubject: generationId, tenantId: TENANT },
    ),
  );
  const built = await waitFor('CapsuleBuilt', () => {
    const e = received.find(
      (x) => x.type === CapsuleBuiltSchema.typeName && x.ceSubject === generationId,
    );
    return e ? decodeEvent(CapsuleBuiltSchema, e) : undefined;
  });
  expect(built.appName).toBe('todo-app');
  expect(built.manifestDigest).toMatch(/^sha256:/);
  expect(await app.runtime.blobs.has(TENANT, built.capsule!.key)).toBe(true);
  const verified = await app.capsules.verify(TENANT, {
    archive: await app.runtime.blobs.get(TENANT, built.capsule!.key),
  });
  expect(verified.ok).toBe(true);
});

it('a CodeValidated whose file set does not exist fails the generation at packaging', async () => {
  const generationId = unique('gen');
  await bus.publish(
    toOutgoingEvent(
      CodeValidatedSchema,
      create(CodeValidatedSchema, {
        generationId,
        tenantId: TENANT,
        fileset: { key: `sha256:${'0'.repeat(64)}`, sizeBytes: 1n, mediaType: 'x' },
        attempt: 1,
      }),
      { source: 'codegen', ceSubject: generationId, tenantId: TENANT },
    ),
  );
  const failed = await waitFor('GenerationFailed', () => {
    const e = received.find(
      (x) => x.type === GenerationFailedSchema.typeName && x.ceSubject === generationId,
    );
    return e ? decodeEvent(GenerationFailedSchema, e) : undefined;
  });
  expect(failed.reason).toMatch(/not found/);
  expect(failed.retriable).toBe(false);
});
