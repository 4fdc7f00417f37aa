// The codegen service as deployed: gRPC Analyze/Render/Validate and the generation pipeline's
// events on the real NATS and Postgres. Registry answers come from an in-memory registry and
// projects are rendered without a lock file, so nothing here touches the network.
import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import {
  CodeDraftedSchema,
  CodegenService,
  CodeValidatedSchema,
  FieldType,
  GenerationFailedSchema,
  GenerationMode,
  GenerationRequestedSchema,
  GenerationStage,
  RequirementsAnalyzedSchema,
  Severity,
  ValidationCheck,
  ValidationFailedSchema,
  ReportStatus,
} from '@quantumlayer/contracts';
import {
  Code,
  ConfigError,
  createGrpcClient,
  decodeEvent,
  RpcError,
  subjectFor,
  toOutgoingEvent,
  type DeliveredEvent,
  type GrpcClient,
  type Subscription,
} from '@quantumlayer/kit';
import { parseRequirements } from '../../src/domain/index.js';
import { createCodegenApp } from '../../src/app.js';
import { listRuns } from '../../src/store/runs.js';
import {
  startCodegen,
  templateRegistry,
  uniqueName,
  waitFor,
  type RunningCodegen,
} from './support.js';

const DESCRIPTION =
  'A library app. Each book has a title, an isbn (unique), a price and a published date. ' +
  'Authors have a name and an email. An author has many books. Members have a name and can borrow books. ' +
  'Members log in; librarians are admins.';
const TENANT = 'tenant-a';

let cg: RunningCodegen;
let client: GrpcClient<typeof CodegenService>;
const received: DeliveredEvent[] = [];
const subscriptions: Subscription[] = [];

beforeAll(async () => {
  const npm = await templateRegistry(parseRequirements(DESCRIPTION));
  cg = await startCodegen({ lockfiles: null, registries: { npm } });
  client = createGrpcClient(CodegenService, cg.grpcAddress, { defaultTimeoutMs: 60_000 });
  // Observe every event of the generation stream, as the next services would.
  for (const schema of [
    RequirementsAnalyzedSchema,
    CodeDraftedSchema,
    CodeValidatedSchema,
    ValidationFailedSchema,
    GenerationFailedSchema,
  ] as DescMessage[]) {
    subscriptions.push(
      await cg.bus.subscribe(
        {
          stream: 'QL_GENERATION',
          durable: `test-${schema.name.toLowerCase()}`,
          filterSubject: subjectFor(schema),
          maxDeliver: 3,
          ackWaitMs: 10_000,
          maxInFlight: 16,
          deadLetterSubject: 'ql.dlq.codegen-test',
        },
        async (e) => void received.push(e),
      ),
    );
  }
});

afterAll(async () => {
  for (const s of subscriptions) await s.stop();
  client?.close();
  await cg?.stop();
});

function eventOf<D extends DescMessage>(
  schema: D,
  generationId: string,
): MessageShape<D> | undefined {
  const e = received.find((x) => x.type === schema.typeName && x.ceSubject === generationId);
  return e ? decodeEvent(schema, e) : undefined;
}

async function requestGeneration(generationId: string, description: string, tenantId = TENANT) {
  await cg.bus.publish(
    toOutgoingEvent(
      GenerationRequestedSchema,
      create(GenerationRequestedSchema, {
        generationId,
        tenantId,
        description,
        mode: GenerationMode.BLUEPRINT,
        stack: { templateId: 'ts-fastify' },
      }),
      { source: 'gateway', ceSubject: generationId, tenantId },
    ),
  );
}

const rejected = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as RpcError,
  );

describe('gRPC', () => {
  it('Analyze returns typed requirements, the complexity report and the blueprint', async () => {
    const res = await client.analyze({ tenantId: TENANT, description: DESCRIPTION });
    const book = res.requirements!.entities.find((e) => e.name === 'Book')!;
    expect(book.fields.map((f) => f.name)).toEqual(
      expect.arrayContaining(['title', 'isbn', 'price', 'publishedDate']),
    );
    expect(book.fields.find((f) => f.name === 'price')!.type).toBe(FieldType.MONEY);
    expect(book.fields.find((f) => f.name === 'isbn')!.unique).toBe(true);
    expect(res.requirements!.entities.map((e) => e.name)).toEqual(
      expect.arrayContaining(['Author', 'Member']),
    );
    expect(res.complexity!.estimatedFiles).toBeGreaterThan(10);
    expect(res.blueprint!.stack!.templateId).toBe('ts-fastify');
    expect(res.blueprint!.api).toMatchObject({ openapi: '3.1.0' });
  });

  it('Analyze of a description with no entity says what was understood and what to add', async () => {
    const err = await rejected(
      client.analyze({ tenantId: TENANT, description: 'make it fast and pretty' }),
    );
    expect(err).toBeInstanceOf(RpcError);
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(err.message).toMatch(/^description: /);
    expect(err.message).toMatch(/e\.g\./);
    const empty = await rejected(client.analyze({ tenantId: TENANT, description: '   ' }));
    expect(empty.code).toBe(Code.INVALID_ARGUMENT);
    expect(empty.message).toMatch(/empty/);
    const tenant = await rejected(client.analyze({ tenantId: '', description: DESCRIPTION }));
    expect(tenant.code).toBe(Code.INVALID_ARGUMENT);
    expect(tenant.message).toMatch(/^tenant_id: /);
    const stack = await rejected(
      client.analyze({ tenantId: TENANT, description: DESCRIPTION, stack: 'cobol-cics' }),
    );
    expect(stack.code).toBe(Code.INVALID_ARGUMENT);
    expect(stack.message).toMatch(/^stack: .*cobol-cics/);
  });

  it('Render stores the project; Validate checks the stored file set and stores the report', async () => {
    const analyzed = await client.analyze({ tenantId: TENANT, description: DESCRIPTION });
    const rendered = await client.render({
      tenantId: TENANT,
      requirements: analyzed.requirements!,
    });
    const paths = rendered.fileSet!.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(['package.json', 'Dockerfile', 'src/app.ts', 'openapi.json']),
    );
    expect(rendered.fileSet!.files.every((f) => f.provenance!.by.case === 'generator')).toBe(true);
    const pkg = rendered.fileSet!.files.find((f) => f.path === 'package.json')!;
    const bytes = await cg.app.runtime.blobs.get(TENANT, pkg.blob!.key);
    expect(JSON.parse(new TextDecoder().decode(bytes)).name).toBe(analyzed.requirements!.appName);

    const res = await client.validate({ tenantId: TENANT, fileSet: rendered.fileSetRef! });
    const report = res.report!;
    const c = report.checks!;
    const blocking = [c.syntax!, c.typecheck!, c.security!, c.secrets!, c.dependencies!].flatMap(
      (check) =>
        check.findings
          .filter((f) => f.severity >= Severity.HIGH)
          .map((f) => `${f.ruleId} ${f.file}: ${f.message}`),
    );
    expect(blocking).toEqual([]);
    expect(report.status).toBe(ReportStatus.PASSED);
    expect(report.summary!.blocking).toBe(0);
    expect(report.checks!.syntax!.filesChecked).toBeGreaterThan(10);
    expect(
      report.checks!.dependencies!.findings.filter((f) => f.severity >= Severity.HIGH),
    ).toEqual([]);
    expect(await cg.app.runtime.blobs.has(TENANT, res.reportRef!.key)).toBe(true);

    // Tenancy: the same key from another tenant is not found.
    const other = await rejected(
      client.validate({ tenantId: 'tenant-b', fileSet: rendered.fileSetRef! }),
    );
    expect(other.code).toBe(Code.NOT_FOUND);
    const badCheck = await rejected(
      client.validate({
        tenantId: TENANT,
        fileSet: rendered.fileSetRef!,
        checks: ['syntax', 'spelling'],
      }),
    );
    expect(badCheck.code).toBe(Code.INVALID_ARGUMENT);
    expect(badCheck.message).toMatch(/^checks\[1\]: must be one of syntax, .*"spelling"/);
    const badKey = await rejected(
      client.validate({
        tenantId: TENANT,
        fileSet: { key: 'sha256:nope', sizeBytes: 1n, mediaType: 'x' },
      }),
    );
    expect(badKey.code).toBe(Code.INVALID_ARGUMENT);
    expect(badKey.message).toMatch(/^file_set: must be a blob key/);
    const noReq = await rejected(client.render({ tenantId: TENANT }));
    expect(noReq.code).toBe(Code.INVALID_ARGUMENT);
    expect(noReq.message).toBe('requirements: is required');
  });

  it('Render refuses requirements that break the artifact rules, naming the field', async () => {
    const analyzed = await client.analyze({ tenantId: TENANT, description: DESCRIPTION });
    const requirements = analyzed.requirements!;
    requirements.entities[0]!.name = 'not a name';
    const err = await rejected(client.render({ tenantId: TENANT, requirements }));
    expect(err.code).toBe(Code.INVALID_ARGUMENT);
    expect(err.message).toMatch(/^requirements\.entities\.0\.name: must be PascalCase/);
  });
});

describe('events', () => {
  it('GenerationRequested → RequirementsAnalyzed → CodeDrafted → CodeValidated, each recorded once', async () => {
    const generationId = uniqueName('gen');
    await requestGeneration(generationId, DESCRIPTION);
    const analyzed = await waitFor('RequirementsAnalyzed', () =>
      eventOf(RequirementsAnalyzedSchema, generationId),
    );
    expect(analyzed.tenantId).toBe(TENANT);
    expect(analyzed.entityCount).toBeGreaterThanOrEqual(3);
    expect(analyzed.mode).toBe(GenerationMode.BLUEPRINT);
    expect(analyzed.ruleBased).toBe(true);
    expect(analyzed.stack!.templateId).toBe('ts-fastify');
    const requirements = JSON.parse(
      new TextDecoder().decode(await cg.app.runtime.blobs.get(TENANT, analyzed.requirements!.key)),
    ) as { appName: string };
    expect(requirements.appName).toBe(analyzed.appName);

    const drafted = await waitFor('CodeDrafted', () => eventOf(CodeDraftedSchema, generationId));
    expect(drafted.attempt).toBe(1);
    expect(drafted.fileCount).toBeGreaterThan(10);
    expect(drafted.requirements!.key).toBe(analyzed.requirements!.key);

    const validated = await waitFor(
      'CodeValidated',
      () => eventOf(CodeValidatedSchema, generationId),
      120_000,
    );
    expect(validated.fileset!.key).toBe(drafted.fileset!.key);
    expect(validated.appName).toBe(analyzed.appName);
    expect(validated.findings!.high + validated.findings!.critical).toBe(0);
    expect(eventOf(ValidationFailedSchema, generationId)).toBeUndefined();

    const runs = await listRuns(cg.app.runtime.db, TENANT, generationId);
    expect(runs.map((r) => [r.stage, r.outcome])).toEqual([
      ['analysis', 'analyzed'],
      ['drafting', 'drafted'],
      ['validation', 'validated'],
    ]);
    // Another tenant sees nothing of it.
    expect(await listRuns(cg.app.runtime.db, 'tenant-b', generationId)).toEqual([]);
  });

  it('a description with nothing usable fails the generation at the analysis stage, once', async () => {
    const generationId = uniqueName('gen');
    await requestGeneration(generationId, 'hello there, please be quick');
    const failed = await waitFor('GenerationFailed', () =>
      eventOf(GenerationFailedSchema, generationId),
    );
    expect(failed.stage).toBe(GenerationStage.ANALYSIS);
    expect(failed.retriable).toBe(false);
    expect(failed.errorCode).toMatch(/^description_/);
    expect(failed.reason).toMatch(/^description: /);
    expect(eventOf(RequirementsAnalyzedSchema, generationId)).toBeUndefined();
  });

  it('a draft with a hallucinated package and eval fails validation with the checks named', async () => {
    const generationId = uniqueName('gen');
    const blobs = cg.app.runtime.blobs;
    const put = async (text: string, mediaType = 'text/plain') => {
      const r = await blobs.put(TENANT, new TextEncoder().encode(text), { mediaType });
      return { key: r.key, sizeBytes: r.size, mediaType: r.mediaType };
    };
    const generator = { by: 'generator' as const, generator: 'test@1', template: '' };
    const files = [
      {
        path: 'package.json',
        blob: await put(
          JSON.stringify({
            name: 'x',
            version: '1.0.0',
            dependencies: { fastify: '^5.0.0', 'leftpad-turbo-ultra-xyz': '^1.0.0' },
          }),
        ),
        executable: false,
        provenance: generator,
      },
      {
        path: 'src/index.js',
        blob: await put(
          "import fastify from 'fastify';\nimport pad from 'leftpad-turbo-ultra-xyz';\nconst app = fastify();\napp.get('/run', async (req) => eval(req.query.code));\nexport default pad;\n",
        ),
        executable: false,
        provenance: generator,
      },
    ];
    const fileSetRef = await cg.app.codegen.putJson(
      TENANT,
      { schemaVersion: 1, files },
      'application/vnd.quantumlayer.fileset+json',
    );
    await cg.bus.publish(
      toOutgoingEvent(
        CodeDraftedSchema,
        create(CodeDraftedSchema, {
          generationId,
          tenantId: TENANT,
          fileset: {
            key: fileSetRef.key,
            sizeBytes: BigInt(fileSetRef.sizeBytes),
            mediaType: fileSetRef.mediaType,
          },
          attempt: 2,
          fileCount: 2,
        }),
        { source: 'agent', ceSubject: generationId, tenantId: TENANT },
      ),
    );
    const failed = await waitFor('ValidationFailed', () =>
      eventOf(ValidationFailedSchema, generationId),
    );
    expect(failed.attempt).toBe(2);
    expect(failed.failedChecks).toEqual(
      expect.arrayContaining([ValidationCheck.DEPENDENCIES, ValidationCheck.SECURITY]),
    );
    expect(failed.findings!.high + failed.findings!.critical).toBeGreaterThanOrEqual(2);
    const report = JSON.parse(
      new TextDecoder().decode(await blobs.get(TENANT, failed.report!.key)),
    ) as {
      checks: { dependencies: { findings: { ruleId: string; data?: { package?: string } }[] } };
    };
    expect(report.checks.dependencies.findings.map((f) => f.data?.package)).toContain(
      'leftpad-turbo-ultra-xyz',
    );
    expect(eventOf(CodeValidatedSchema, generationId)).toBeUndefined();
  });
});

it('a bad setting stops the service before anything opens, naming the variable', async () => {
  await expect(
    createCodegenApp({
      env: { QL_CODEGEN_FAIL_ON: 'severe', QL_CODEGEN_NPM_REGISTRY_URL: 'ftp://x' },
    }),
  ).rejects.toThrow(ConfigError);
  // The error is awaited, so a call that did not fail would fail the test.
  const err = await createCodegenApp({ env: { QL_CODEGEN_FAIL_ON: 'severe' } }).then(
    () => new Error('expected a ConfigError, the app was built'),
    (e: Error) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  expect(err.message).toMatch(/QL_CODEGEN_FAIL_ON/);
  expect(err.message).toMatch(/severe/);
});
