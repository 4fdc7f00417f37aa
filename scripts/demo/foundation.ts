/**
 * `make demo` until a generation exists: the platform layer every service is built on, run in
 * embedded mode with real components (PGlite, the in-memory bus with JetStream's semantics, the
 * outbox relay, the inbox, gRPC with health and reflection, the blob store). It prints what each
 * piece actually did; nothing here pretends to generate code.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { GenerationMode, GenerationRequestedSchema } from '@quantumlayer/contracts';
import {
  baseConfigSchema,
  createGrpcClient,
  createLogger,
  createServiceRuntime,
  decodeEvent,
  deadLetterStream,
  deadLetterSubject,
  domainStream,
  enqueue,
  HealthService,
  MemoryEventBus,
  toOutgoingEvent,
} from '@quantumlayer/kit';
import { GrpcReflection } from 'grpc-js-reflection-client';
import * as grpc from '@grpc/grpc-js';

const description =
  process.argv.slice(2).join(' ').trim() ||
  'A library app where members borrow books; each book has a title, an ISBN and an author.';

const say = (line = '') => process.stdout.write(`${line}\n`);

async function main() {
  say('QuantumLayer — platform foundation demo (embedded mode)');
  say(
    'No generation pipeline exists yet (codegen, agents, capsule and qtest are the next issues),',
  );
  say('so this runs the real platform layer the services are built on, in one process.\n');

  const dataDir = await mkdtemp(join(tmpdir(), 'ql-demo-'));
  const logger = createLogger({ service: 'demo', level: 'warn' });
  const bus = new MemoryEventBus({ logger });
  const env = {
    QL_DATA_DIR: dataDir,
    QL_HTTP_PORT: '0',
    QL_GRPC_PORT: '0',
    QL_HOST: '127.0.0.1',
    QL_LOG_LEVEL: 'warn',
  };
  const streams = [domainStream('generation'), deadLetterStream()];
  const gateway = await createServiceRuntime(
    { name: 'gateway', configSchema: baseConfigSchema, streams },
    { env, bus, tracing: null },
  );
  const codegen = await createServiceRuntime(
    {
      name: 'codegen',
      configSchema: baseConfigSchema,
      migrations: [
        {
          id: '0001_requests',
          statements: [
            `CREATE TABLE IF NOT EXISTS analyses (generation_id text PRIMARY KEY, tenant_id text NOT NULL, description text NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`,
          ],
        },
      ],
    },
    { env, bus, tracing: null },
  );
  say(
    `database   PGlite (${gateway.db.kind}), one schema per service: ${gateway.db.schema}, ${codegen.db.schema}`,
  );
  say(`bus        ${bus.kind}: streams ${streams.map((s) => s.name).join(', ')}`);

  // The consumer side: codegen applies each GenerationRequested once, through its inbox.
  let applied = 0;
  const handled = new Promise<void>((resolve) => {
    void codegen.subscribe(
      {
        stream: 'QL_GENERATION',
        durable: 'codegen-analyze',
        filterSubject: 'ql.generation.v1.generation_requested',
        maxDeliver: 5,
        ackWaitMs: 30_000,
        maxInFlight: 16,
        deadLetterSubject: deadLetterSubject('codegen'),
      },
      async (event) => {
        const request = decodeEvent(GenerationRequestedSchema, event);
        const fresh = await codegen.inbox.process('codegen-analyze', event, async (tx) => {
          await tx.query(
            `INSERT INTO analyses (generation_id, tenant_id, description) VALUES ($1, $2, $3)`,
            [request.generationId, request.tenantId, request.description],
          );
        });
        if (fresh) applied += 1;
        say(
          `codegen    consumed ${event.type} (delivery ${event.deliveryCount}, id ${event.id}): ` +
            (fresh ? 'applied through the inbox' : 'already applied: skipped by the inbox'),
        );
        resolve();
      },
    );
  });

  const { httpPort: gatewayHttp, grpcPort } = await gateway.start();
  await codegen.start();

  // The producer side: the request row and its event commit together (transactional outbox).
  const generationId = `gen-${Date.now().toString(36)}`;
  const event = toOutgoingEvent(
    GenerationRequestedSchema,
    create(GenerationRequestedSchema, {
      generationId,
      tenantId: 'demo-tenant',
      description,
      mode: GenerationMode.BLUEPRINT,
    }),
    { source: 'gateway', ceSubject: generationId, tenantId: 'demo-tenant' },
  );
  await gateway.db.transaction(async (tx) => {
    await enqueue(tx, event);
  });
  gateway.relay.wake();
  say(
    `gateway    committed GenerationRequested ${event.id} to its outbox (subject ${event.subject})`,
  );
  await handled;

  // Publishing the same fact again (a relay retry after a crash, say) changes nothing.
  const [again] = await bus.publish(event);
  say(
    `bus        re-published ${event.id}: ${again?.duplicate ? 'dropped as a duplicate by id' : 'stored again'}`,
  );
  const rows = await codegen.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM analyses`);
  say(`codegen    analyses rows: ${rows.rows[0]?.n} (effects applied: ${applied})`);

  const ref = await gateway.blobs.put('demo-tenant', new TextEncoder().encode(description), {
    mediaType: 'text/plain',
  });
  say(`blobs      stored the description as ${ref.key} (${ref.size} bytes)`);

  const health = createGrpcClient(HealthService, `127.0.0.1:${grpcPort}`, {
    defaultTimeoutMs: 2000,
  });
  const status = await health.check({ service: '' });
  health.close();
  const reflection = new GrpcReflection(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  const services = await reflection.listServices();
  say(
    `gRPC       :${grpcPort} health ${status.status === 1 ? 'SERVING' : status.status}; reflection lists ${services.join(', ')}`,
  );

  const ready = await fetch(`http://127.0.0.1:${gatewayHttp}/readyz`).then((r) => r.json());
  say(`HTTP       :${gatewayHttp}/readyz → ${JSON.stringify(ready.checks)}`);
  for (const runtime of [gateway, codegen]) {
    const lines = (await runtime.registry.metrics()).split('\n').filter((l) => l.startsWith('ql_'));
    for (const line of lines) say(`metrics    ${line}`);
  }

  const [a, b] = await Promise.all([codegen.stop('demo done'), gateway.stop('demo done')]);
  await bus.close();
  await rm(dataDir, { recursive: true, force: true });
  say(
    `\nshutdown   ${a && b ? 'clean' : 'with failures'} (readiness → consumers → servers → flush → bus → pools)`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
