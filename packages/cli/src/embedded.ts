// Embedded mode (DESIGN.md §5): the services of a generation built by their own app.ts and wired
// in this process with the in-memory bus, one PGlite and one local blob directory — the same
// handlers, events and stores as the distributed deployment: codegen (analysis, the
// blueprint-mode drafter, validation), capsule (packaging) and, when asked, qtest (the quality
// gate in the sandbox).
import path from 'node:path';
import { create, type DescMessage } from '@bufbuild/protobuf';
import { createCapsuleApp, type CapsuleApp } from '@quantumlayer/capsule';
import { createQTestApp, type QTestApp, type QualityReport } from '@quantumlayer/qtest';
import {
  createCodegenApp,
  ValidationReportSchema,
  type CodegenApp,
  type ValidationReport,
} from '@quantumlayer/codegen';
import {
  CapsuleBuiltSchema,
  CodeDraftedSchema,
  CodeValidatedSchema,
  Complexity,
  GenerationFailedSchema,
  GenerationMode,
  GenerationRequestedSchema,
  GenerationStage,
  PrincipalKind,
  RequirementsAnalyzedSchema,
  TestsCompletedSchema,
  ValidationFailedSchema,
} from '@quantumlayer/contracts';
import {
  createBlobStore,
  decodeEvent,
  MemoryEventBus,
  newEventId,
  openEmbeddedDatabase,
  subjectFor,
  toOutgoingEvent,
  type Database,
  type DeliveredEvent,
  type Logger,
} from '@quantumlayer/kit';

export const LOCAL_TENANT = 'local';

export type Stage = 'analysis' | 'drafting' | 'validation' | 'packaging' | 'testing';

export type Progress =
  | {
      stage: 'analyzed';
      appName: string;
      entities: number;
      criteria: number;
      effort: string;
      ms: number;
    }
  | { stage: 'drafted'; files: number; ms: number }
  | { stage: 'validated'; passed: boolean; summary: string; ms: number }
  | { stage: 'packaged'; fileName: string; manifestDigest: string; keyId: string; ms: number }
  | { stage: 'testing'; runs: number }
  | { stage: 'tested'; report: QualityReport; ms: number };

export interface EmbeddedFile {
  path: string;
  content: string;
  executable: boolean;
}

export interface EmbeddedCapsule {
  fileName: string;
  archive: Uint8Array;
  manifestDigest: string;
  signingKeyId: string;
}

export type EmbeddedResult =
  | {
      ok: true;
      generationId: string;
      appName: string;
      files: EmbeddedFile[];
      report: ValidationReport;
      capsule: EmbeddedCapsule;
      /** The quality gate's run of the capsule, when tests were asked for. */
      tests?: QualityReport;
    }
  | {
      ok: false;
      generationId: string;
      stage: Stage;
      reason: string;
      code: string;
      appName?: string;
      files?: EmbeddedFile[];
      report?: ValidationReport;
    };

export interface EmbeddedOptions {
  description: string;
  stack?: string;
  projectName?: string;
  /** Where the embedded services keep their database and blobs. */
  dataDir: string;
  logger: Logger;
  /** Extra QL_* settings for the services (signing key, registry mirror, offline mode …). */
  env?: Record<string, string | undefined>;
  onProgress?: (p: Progress) => void;
  /** Where the initialized PGlite template is cached (default ~/.cache/quantumlayer/pglite). */
  pgliteCacheDir?: string;
  /** Gives up after this long (default 10 minutes: the first lock file of a stack needs npm). */
  timeoutMs?: number;
  /** Also run the quality gate on the capsule (qtest, in the sandbox), the tests this many times. */
  testRuns?: number;
}

const EFFORT: Partial<Record<Complexity, string>> = {
  [Complexity.LOW]: 'simple',
  [Complexity.MEDIUM]: 'medium',
  [Complexity.HIGH]: 'complex',
  [Complexity.VERY_HIGH]: 'very complex',
};

const STAGE: Partial<Record<GenerationStage, Stage>> = {
  [GenerationStage.ANALYSIS]: 'analysis',
  [GenerationStage.DRAFTING]: 'drafting',
  [GenerationStage.VALIDATION]: 'validation',
  [GenerationStage.PACKAGING]: 'packaging',
  [GenerationStage.TESTING]: 'testing',
};

/** Runs one blueprint-mode generation through the in-process services. */
export async function generateEmbedded(options: EmbeddedOptions): Promise<EmbeddedResult> {
  const bus = new MemoryEventBus({ logger: options.logger });
  const apps: (CodegenApp | CapsuleApp | QTestApp)[] = [];
  let db: Database | undefined;
  const generationId = newEventId();
  try {
    // One PGlite (from a cached template: ~2 s instead of ~10 s of initdb) and one blob directory
    // shared by the services, as one deployment shares its servers.
    db = await openEmbeddedDatabase({
      schema: 'embedded',
      dataDir: path.join(options.dataDir, 'pglite'),
      ...(options.pgliteCacheDir ? { cacheDir: options.pgliteCacheDir } : {}),
    });
    const blobs = createBlobStore({ dataDir: options.dataDir });
    const env = {
      QL_HOST: '127.0.0.1',
      QL_HTTP_PORT: '0',
      QL_GRPC_PORT: '0',
      QL_DATA_DIR: options.dataDir,
      QL_SHUTDOWN_TIMEOUT_MS: '5000',
      ...options.env,
    };
    const ports = { env, bus, db, blobs, logger: options.logger, tracing: null };
    const codegen = await createCodegenApp(ports);
    apps.push(codegen);
    const capsule = await createCapsuleApp(ports);
    apps.push(capsule);
    const testRuns = options.testRuns;
    if (testRuns)
      apps.push(
        await createQTestApp({ ...ports, env: { ...env, QL_QTEST_RUNS: String(testRuns) } }),
      );
    for (const app of apps) await app.start();

    let last = performance.now();
    const lap = () => {
      const now = performance.now();
      const ms = now - last;
      last = now;
      return Math.round(ms);
    };
    const readJson = async (key: string) =>
      JSON.parse(new TextDecoder().decode(await blobs.get(LOCAL_TENANT, key))) as unknown;
    const readFiles = async (filesetKey: string) =>
      codegen.codegen.readFiles(
        LOCAL_TENANT,
        await codegen.codegen.readFileSet(LOCAL_TENANT, filesetKey),
      );

    const outcome = new Promise<EmbeddedResult>((resolve, reject) => {
      let appName = '';
      let report: ValidationReport | undefined;
      let filesetKey: string | undefined;
      let built: Extract<EmbeddedResult, { ok: true }> | undefined;
      const watch = (schema: DescMessage, fn: (e: DeliveredEvent) => Promise<void>) =>
        bus.subscribe(
          {
            stream: 'QL_GENERATION',
            durable: `cli-${schema.name}`.toLowerCase(),
            filterSubject: subjectFor(schema),
            maxDeliver: 1,
            ackWaitMs: 60_000,
            maxInFlight: 1,
            deadLetterSubject: 'ql.dlq.cli',
          },
          async (e) => {
            if (e.ceSubject !== generationId) return;
            await fn(e).catch(reject);
          },
        );
      const validated = async (reportKey: string, fileset: string, passed: boolean) => {
        report = ValidationReportSchema.parse(await readJson(reportKey));
        filesetKey = fileset;
        options.onProgress?.({
          stage: 'validated',
          passed,
          summary: report.summary.text,
          ms: lap(),
        });
      };
      void Promise.all([
        watch(RequirementsAnalyzedSchema, async (e) => {
          const m = decodeEvent(RequirementsAnalyzedSchema, e);
          appName = m.appName;
          options.onProgress?.({
            stage: 'analyzed',
            appName: m.appName,
            entities: m.entityCount,
            criteria: m.acceptanceCriteriaCount,
            effort: EFFORT[m.complexity] ?? 'unknown',
            ms: lap(),
          });
        }),
        watch(CodeDraftedSchema, async (e) => {
          const m = decodeEvent(CodeDraftedSchema, e);
          options.onProgress?.({ stage: 'drafted', files: m.fileCount, ms: lap() });
        }),
        watch(CodeValidatedSchema, async (e) => {
          const m = decodeEvent(CodeValidatedSchema, e);
          await validated(m.report!.key, m.fileset!.key, true);
        }),
        watch(ValidationFailedSchema, async (e) => {
          const m = decodeEvent(ValidationFailedSchema, e);
          await validated(m.report!.key, m.fileset!.key, false);
          resolve({
            ok: false,
            generationId,
            stage: 'validation',
            code: 'validation_failed',
            reason: report!.summary.text,
            appName,
            files: await readFiles(m.fileset!.key),
            report: report!,
          });
        }),
        watch(CapsuleBuiltSchema, async (e) => {
          const m = decodeEvent(CapsuleBuiltSchema, e);
          const { record } = await capsule.capsules.get(LOCAL_TENANT, m.capsule!.key);
          options.onProgress?.({
            stage: 'packaged',
            fileName: record.fileName,
            manifestDigest: m.manifestDigest,
            keyId: m.signingKeyId,
            ms: lap(),
          });
          built = {
            ok: true,
            generationId,
            appName: m.appName || appName,
            files: await readFiles(filesetKey!),
            report: report!,
            capsule: {
              fileName: record.fileName,
              archive: await blobs.get(LOCAL_TENANT, m.capsule!.key),
              manifestDigest: m.manifestDigest,
              signingKeyId: m.signingKeyId,
            },
          };
          if (testRuns) options.onProgress?.({ stage: 'testing', runs: testRuns });
          else resolve(built);
        }),
        watch(TestsCompletedSchema, async (e) => {
          const m = decodeEvent(TestsCompletedSchema, e);
          const tests = (await readJson(m.report!.key)) as QualityReport;
          options.onProgress?.({ stage: 'tested', report: tests, ms: lap() });
          resolve({ ...built!, tests });
        }),
        watch(GenerationFailedSchema, async (e) => {
          const m = decodeEvent(GenerationFailedSchema, e);
          resolve({
            ok: false,
            generationId,
            stage: STAGE[m.stage] ?? 'analysis',
            code: m.errorCode,
            reason: m.reason,
            ...(appName ? { appName } : {}),
            ...(filesetKey ? { files: await readFiles(filesetKey) } : {}),
            ...(report ? { report } : {}),
          });
        }),
      ])
        .then(() =>
          bus.publish(
            toOutgoingEvent(
              GenerationRequestedSchema,
              create(GenerationRequestedSchema, {
                generationId,
                tenantId: LOCAL_TENANT,
                description: options.description,
                mode: GenerationMode.BLUEPRINT,
                ...(options.stack ? { stack: { templateId: options.stack } } : {}),
                ...(options.projectName ? { options: { projectName: options.projectName } } : {}),
                requestedBy: { kind: PrincipalKind.USER, id: LOCAL_TENANT },
              }),
              { source: 'cli', ceSubject: generationId, tenantId: LOCAL_TENANT },
            ),
          ),
        )
        .catch(reject);
    });

    const timeoutMs = options.timeoutMs ?? 600_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`the generation did not finish within ${Math.round(timeoutMs / 1000)} s`),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([outcome, timeout]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    for (const app of apps.reverse()) await app.stop('generation finished');
    await db?.close();
    await bus.close();
  }
}
