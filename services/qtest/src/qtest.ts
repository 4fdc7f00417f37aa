// The service's operations over its ports (blob store, database, router): what the gRPC handlers
// and the CapsuleBuilt consumer call. Unpacks a capsule into a private directory, runs the
// quality gate on it, stores the report, and (agent mode) generates tests through the QA agent.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  extractCapsule,
  MANIFEST_PATH,
  PROJECT_DIR,
  type CapsuleManifest,
} from '@quantumlayer/capsule';
import {
  BlobNotFoundError,
  isTenantId,
  TENANT_ID_RULE,
  type BlobStore,
  type Database,
  type Logger,
  blobKeyOf,
  parseBlobKey,
} from '@quantumlayer/kit';
import { FILESET_MEDIA_TYPE, FileSetSchema, mediaTypeOf } from '@quantumlayer/codegen';
import { z } from 'zod';
import type { LlmPort } from './clients/router.js';
import type { QTestEnv } from './config.js';
import type { ProjectFacts } from './domain/qa-agent.js';
import { QTestNotFoundError, QTestRequestError, QTestUnavailableError } from './errors.js';
import { generateTests, type Evaluator, type TestGenResult } from './generate/testgen.js';
import { qualifyProject, type QualityReport } from './qualify.js';
import { getRun, previousRun, type RunRecord } from './store/runs.js';
import { healAfterChange, type HealingReport } from './heal.js';
import type { QTestMetrics } from './metrics.js';
import { loadVulnDb, type VulnDb } from './security/index.js';
import { buildProject, installDependencies, runInstalledTests, type StepRecord } from './steps.js';

export const REPORT_MEDIA_TYPE = 'application/vnd.quantumlayer.qtest-report+json';
const MAX_ARCHIVE = 64 * 1024 * 1024;

const RequirementsDoc = z.object({
  acceptanceCriteria: z.array(z.object({ id: z.string() })),
});

export interface RunInput {
  generationId: string;
  attempt: number;
  archive: Uint8Array;
  /** The archive's blob key, when it came from the blob store (recorded for the next round). */
  capsuleKey?: string;
  /** The manifest digest when the caller knows it (CapsuleBuilt carries it). */
  manifestDigest?: string;
  runs?: number;
  requirementsKey?: string;
  /** Same inputs → same run id (a redelivered event records the same run). */
  deterministicId?: boolean;
  signal?: AbortSignal;
}

export interface GenerateInput {
  generationId: string;
  archive: Uint8Array;
  maxTests: number;
  model?: string;
  signal?: AbortSignal;
}

export type GenerationOutcome = TestGenResult & { fileSetKey?: string; fileSetSize?: number };

export interface QTestOptions {
  db: Database;
  blobs: BlobStore;
  config: QTestEnv;
  logger: Logger;
  /** The QA agent's LLM (the router); absent in blueprint mode. */
  llm?: LlmPort;
  metrics?: QTestMetrics;
}

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

export class QTest {
  /** The OSV snapshot, read once (it can be hundreds of MB) on the first run that needs it. */
  private vulnDb: Promise<VulnDb> | undefined;

  constructor(private readonly o: QTestOptions) {}

  private vulnDatabase(): Promise<VulnDb> | undefined {
    const file = this.o.config.QL_QTEST_VULN_DB;
    if (!file) return undefined;
    this.vulnDb ??= loadVulnDb(file).catch((err: unknown) => {
      this.vulnDb = undefined;
      throw err;
    });
    return this.vulnDb;
  }

  tenant(id: string): string {
    if (!isTenantId(id)) throw new QTestRequestError('tenant_id', TENANT_ID_RULE);
    return id;
  }

  private get limits() {
    return {
      wallMs: this.o.config.QL_QTEST_STEP_TIMEOUT_S * 1000,
      memoryBytes: this.o.config.QL_QTEST_MEMORY_MB * 1024 * 1024,
    };
  }

  async blob(tenantId: string, key: string, field: string): Promise<Uint8Array> {
    try {
      parseBlobKey(key);
    } catch {
      throw new QTestRequestError(field, 'must be a blob key "sha256:" + 64 hex digits');
    }
    try {
      return await this.o.blobs.get(tenantId, key);
    } catch (err) {
      if (err instanceof BlobNotFoundError)
        throw new QTestNotFoundError(`${field}: blob ${key} not found`);
      throw err;
    }
  }

  checkArchive(archive: Uint8Array, field = 'archive'): Uint8Array {
    if (archive.length === 0) throw new QTestRequestError(field, 'is empty');
    if (archive.length > MAX_ARCHIVE)
      throw new QTestRequestError(field, `is larger than ${MAX_ARCHIVE / 1024 / 1024} MiB`);
    return archive;
  }

  /** Unpacks the capsule (archive checks, file hashes) into a new directory under the work root. */
  private async unpack(
    archive: Uint8Array,
  ): Promise<{ root: string; project: string; manifest: CapsuleManifest; digest: string }> {
    const root = await mkdtemp(path.join(this.o.config.QL_QTEST_WORK_DIR ?? os.tmpdir(), 'ql-qt-'));
    try {
      const dir = path.join(root, 'capsule');
      const manifest = await extractCapsule(archive, dir);
      // The digest is of the manifest's bytes as archived, which extraction wrote out verbatim.
      const manifestBytes = await readFile(path.join(dir, MANIFEST_PATH));
      return {
        root,
        project: path.join(dir, PROJECT_DIR),
        manifest,
        digest: blobKeyOf(manifestBytes),
      };
    } catch (err) {
      await rm(root, { recursive: true, force: true });
      throw err;
    }
  }

  /** Acceptance criteria ids from the requirements blob (given, or named by the manifest). */
  private async criteria(
    tenantId: string,
    manifest: CapsuleManifest,
    requirementsKey?: string,
  ): Promise<string[] | undefined> {
    const key =
      requirementsKey ||
      (manifest.generation.requirementsSha256
        ? `sha256:${manifest.generation.requirementsSha256}`
        : undefined);
    if (!key) return undefined;
    let data: Uint8Array;
    try {
      data = await this.blob(tenantId, key, 'requirements');
    } catch (err) {
      // The manifest only names the digest: a capsule built elsewhere may not have it here.
      if (err instanceof QTestNotFoundError && !requirementsKey) return undefined;
      throw err;
    }
    const doc = RequirementsDoc.safeParse(JSON.parse(Buffer.from(data).toString('utf8')));
    if (!doc.success) throw new QTestRequestError('requirements', 'is not a Requirements document');
    return doc.data.acceptanceCriteria.map((c) => c.id);
  }

  /**
   * Runs the quality gate on a capsule and stores the full report as a blob. Returns the row to
   * record (the caller saves it, in its own transaction when an event is published with it).
   */
  async run(
    tenantId: string,
    input: RunInput,
  ): Promise<{ record: Omit<RunRecord, 'createdAt'>; report: QualityReport }> {
    const runs = input.runs || this.o.config.QL_QTEST_RUNS;
    if (runs < 1 || runs > 10)
      throw new QTestRequestError('runs', 'must be between 1 and 10 (0 means the default)');
    const unpacked = await this.unpack(this.checkArchive(input.archive));
    try {
      const digest = input.manifestDigest || unpacked.digest;
      const criteria = await this.criteria(tenantId, unpacked.manifest, input.requirementsKey);
      const log = this.o.logger.child({ tenant: tenantId, generation: input.generationId });
      const report = await qualifyProject({
        dir: unpacked.project,
        runs,
        minLineCoveragePct: this.o.config.QL_QTEST_COVERAGE_MIN,
        ...(criteria ? { acceptanceCriteria: criteria } : {}),
        ...(this.o.config.QL_QTEST_VULN_DB ? { vulnDb: await this.vulnDatabase()! } : {}),
        limits: this.limits,
        workRoot: unpacked.root,
        ...(input.signal ? { signal: input.signal } : {}),
        onStep: (e) => log.debug(e, 'qtest step'),
      });
      if (input.attempt > 1 && input.generationId && report.tests) {
        const healing = await this.heal(tenantId, input, report, unpacked);
        if (healing) {
          report.healing = healing;
          report.summary.healed = healing.counts.healed;
          const { regressions, environment, healed } = healing.counts;
          if (regressions + environment + healed > 0)
            report.summary.failedGates.push(
              `since the previous round: ${regressions} regression(s), ${environment} environment failure(s), ${healed} test(s) healed (updates in the report)`,
            );
        }
      }
      const generated = await this.testsForThinCoverage(tenantId, input, report, unpacked.project);
      if (generated) {
        report.generated = {
          proposed: generated.proposed,
          kept: generated.kept,
          rejected: generated.rejected,
          tests: generated.tests,
          lineCoverageBeforePct: generated.lineCoverageBeforePct,
          lineCoverageAfterPct: generated.lineCoverageAfterPct,
          ...(generated.fileSetKey ? { fileSet: generated.fileSetKey } : {}),
        };
        if (generated.kept > 0)
          report.summary.failedGates.push(
            `${generated.kept} generated test(s) would raise line coverage to ${generated.lineCoverageAfterPct}% (in the report, for the next draft)`,
          );
      }
      this.o.metrics?.record(report);
      const bytes = Buffer.from(JSON.stringify(report));
      const ref = await this.o.blobs.put(tenantId, bytes, { mediaType: REPORT_MEDIA_TYPE });
      const runId = input.deterministicId
        ? `run_${sha256(`${tenantId}\n${input.generationId}\n${digest}\n${input.attempt}`).slice(0, 32)}`
        : `run_${randomUUID().replaceAll('-', '')}`;
      return {
        record: {
          tenantId,
          runId,
          generationId: input.generationId,
          manifestDigest: digest,
          attempt: input.attempt,
          capsuleKey: input.capsuleKey ?? '',
          summary: report.summary,
          reportKey: ref.key,
          reportSize: bytes.length,
        },
        report,
      };
    } finally {
      await rm(unpacked.root, { recursive: true, force: true });
    }
  }

  /**
   * In agent mode, a capsule whose only trouble is thin coverage gets tests proposed by the QA
   * agent (TestGen-LLM filter); the kept ones go back in the report for the next draft.
   */
  private async testsForThinCoverage(
    tenantId: string,
    input: RunInput,
    report: QualityReport,
    project: string,
  ): Promise<GenerationOutcome | undefined> {
    const llm = this.o.llm;
    const s = report.summary;
    const thin =
      s.coverage.lines !== null && s.coverage.lines < this.o.config.QL_QTEST_COVERAGE_MIN;
    const green = s.tests.failed + s.tests.errored + s.tests.flaky === 0 && !s.stopped;
    if (!llm || !thin || !green || !report.tests) return undefined;
    return this.generateIn(tenantId, project, llm, {
      generationId: input.generationId,
      maxTests: 5,
      ...(input.signal ? { signal: input.signal } : {}),
    });
  }

  /**
   * Compares this round's tests with the generation's previous round (its report and capsule) and
   * heals assertion drift through the QA agent. Undefined when there is no previous round to
   * compare with.
   */
  private async heal(
    tenantId: string,
    input: RunInput,
    report: QualityReport,
    current: { root: string; project: string },
  ): Promise<HealingReport | undefined> {
    const prev = await previousRun(this.o.db, tenantId, input.generationId, input.attempt);
    if (!prev?.capsuleKey) return undefined;
    const prevReport = JSON.parse(
      Buffer.from(await this.blob(tenantId, prev.reportKey, 'previous report')).toString('utf8'),
    ) as QualityReport;
    if (!prevReport.tests || !report.tests) return undefined;
    const before = await this.unpack(
      await this.blob(tenantId, prev.capsuleKey, 'previous capsule'),
    );
    try {
      return await healAfterChange({
        previousRunId: prev.runId,
        previous: prevReport.tests.report,
        current: report.tests.report,
        dir: current.project,
        previousDir: before.project,
        ...(report.tests.stopped
          ? { stoppedBy: report.tests.stopped.by, stopReason: report.tests.stopped.reason }
          : {}),
        ...(this.o.llm ? { llm: this.o.llm } : {}),
        model: this.o.config.QL_QTEST_MODEL,
        tenantId,
        generationId: input.generationId,
        evaluator: this.evaluator(),
        workRoot: current.root,
        ...(input.signal ? { signal: input.signal } : {}),
      });
    } finally {
      await rm(before.root, { recursive: true, force: true });
    }
  }

  async getRun(tenantId: string, runId: string): Promise<RunRecord> {
    const run = await getRun(this.o.db, tenantId, runId);
    if (!run) throw new QTestNotFoundError(`run ${runId} not found`);
    return run;
  }

  /**
   * Proposes tests for the capsule's least covered files through the QA agent and keeps those
   * that pass the TestGen-LLM filter. The kept tests are stored as a FileSet blob.
   */
  async generate(tenantId: string, input: GenerateInput): Promise<GenerationOutcome> {
    const llm = this.o.llm;
    if (!llm)
      throw new QTestUnavailableError(
        'test generation needs the QA agent, and no router is configured (QL_QTEST_ROUTER_ADDRESS)',
      );
    if (input.maxTests < 1 || input.maxTests > 50)
      throw new QTestRequestError('max_tests', 'must be between 1 and 50 (0 means 10)');
    const unpacked = await this.unpack(this.checkArchive(input.archive));
    try {
      const result = await this.generateIn(tenantId, unpacked.project, llm, input);
      this.o.metrics?.recordGenerated(result);
      return result;
    } finally {
      await rm(unpacked.root, { recursive: true, force: true });
    }
  }

  /** Test generation in a disposable project directory (kept tests are written into it). */
  private async generateIn(
    tenantId: string,
    project: string,
    llm: LlmPort,
    input: Omit<GenerateInput, 'archive'>,
  ): Promise<GenerationOutcome> {
    const evaluator = this.evaluator();
    const baseline = await evaluator.evaluate(project, 1, input.signal);
    const result = await generateTests({
      dir: project,
      facts: await projectFacts(project, baseline.runner),
      llm,
      model: input.model || this.o.config.QL_QTEST_MODEL,
      tenantId,
      generationId: input.generationId,
      maxTests: input.maxTests,
      baseline,
      evaluator,
      ...(input.signal ? { signal: input.signal } : {}),
    });
    if (result.kept === 0) return result;
    // A FileSet document as codegen writes and the agent reads it, each file attributed to the QA
    // agent and the model that wrote it.
    const entries = await Promise.all(
      Object.entries(result.files).map(async ([p, f]) => {
        const blob = await this.o.blobs.put(tenantId, Buffer.from(f.content), {
          mediaType: mediaTypeOf(p),
        });
        return {
          path: p,
          blob: { key: blob.key, sizeBytes: blob.size, mediaType: blob.mediaType },
          executable: false,
          provenance: {
            by: 'agent' as const,
            role: 'qa' as const,
            model: f.model,
            provider: f.provider,
          },
        };
      }),
    );
    const doc = Buffer.from(
      JSON.stringify(FileSetSchema.parse({ schemaVersion: 1, files: entries })),
    );
    const ref = await this.o.blobs.put(tenantId, doc, { mediaType: FILESET_MEDIA_TYPE });
    return { ...result, fileSetKey: ref.key, fileSetSize: doc.length };
  }

  /**
   * Builds and tests a working copy in the sandbox, for the test-generation filter. Dependencies
   * are installed once, on the first evaluation; every evaluation builds again, because a
   * proposed test that does not type-check is rejected.
   */
  private evaluator(): Evaluator {
    const options = { limits: this.limits };
    let installed: Promise<StepRecord | undefined> | undefined;
    return {
      async evaluate(dir, runs, signal) {
        const step = { ...options, ...(signal ? { signal } : {}) };
        installed ??= installDependencies(dir, step);
        const install = await installed;
        if (install && !install.ok)
          throw new QTestRequestError('archive', `dependencies do not install: ${install.detail}`);
        const build = await buildProject(dir, step);
        const r = await runInstalledTests(dir, runs, step);
        return {
          runner: r.runner,
          builds: !build || build.ok,
          ...(build && !build.ok ? { buildDetail: build.detail } : {}),
          report: r.report,
          flaky: r.flaky,
          runs: r.runs.length,
          ...(r.coverage ? { coverage: r.coverage } : {}),
          ...(r.stopped
            ? { stoppedBy: r.stopped.by }
            : build?.stoppedBy
              ? { stoppedBy: build.stoppedBy }
              : {}),
        };
      },
    };
  }
}

/** Where the project keeps its tests, how they are named, and one of them as an example. */
export async function projectFacts(dir: string, runner: string): Promise<ProjectFacts> {
  const suffix =
    runner === 'pytest'
      ? '.py'
      : runner === 'go'
        ? '_test.go'
        : runner === 'cargo'
          ? '.rs'
          : '.test.ts';
  for (const testDir of ['test', 'tests', '__tests__', 'src']) {
    let names: string[];
    try {
      names = await readdir(path.join(dir, testDir));
    } catch {
      continue;
    }
    const pick = names.find((n) => /\.test\.[cm]?[jt]s$|^test_.*\.py$|_test\.go$/.test(n));
    if (!pick) continue;
    const actualSuffix = /(\.test\.[cm]?[jt]s)$/.exec(pick)?.[1] ?? suffix;
    return {
      runner,
      testDir: `${testDir}/`,
      testSuffix: actualSuffix,
      example: {
        file: `${testDir}/${pick}`,
        source: (await readFile(path.join(dir, testDir, pick), 'utf8')).slice(0, 6000),
      },
    };
  }
  return { runner, testDir: 'test/', testSuffix: suffix };
}
