// Self-healing of a repair round: the capsule's tests are compared with the previous capsule's run
// of the same generation. Tests that passed then and fail now are classified (environment,
// assertion drift, regression); for drift — and only drift — the QA agent proposes an update of the
// test, which is kept only if the test then passes in the sandbox. Nothing is changed in the
// capsule: verified updates go back (as a FileSet) for the agent to apply in its next draft, and
// regressions are reported as such.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LlmPort } from './clients/router.js';
import { AnswerError, testUpdatePrompt } from './domain/qa-agent.js';
import { askForFile } from './qa-agent.js';
import type { Evaluator } from './generate/testgen.js';
import {
  classifyFailures,
  isTestPath,
  planHealing,
  type CodeChange,
  type FailureClass,
  type HealingPlan,
  type ProposeUpdateRequest,
  type ProposedUpdate,
} from './healing/index.js';
import type { TestReport } from './reports/index.js';
import { readProjectFiles } from './security/index.js';

export interface HealingReport {
  /** The run compared with. */
  previousRunId: string;
  changedFiles: string[];
  classifications: { test: string; class: FailureClass; evidence: string }[];
  counts: HealingPlan['counts'];
  healed: { test: string; file: string }[];
  rejected: { test: string; reason: string }[];
  /** Why no update was proposed for drift (blueprint mode has no QA agent). */
  note?: string;
  /** The verified test updates, path → content. */
  updates: Record<string, string>;
}

/** What changed between two project trees, as the healing classifier reads it. */
export async function projectChange(beforeDir: string, afterDir: string): Promise<CodeChange> {
  const [before, after] = await Promise.all([
    readProjectFiles(beforeDir),
    readProjectFiles(afterDir),
  ]);
  const old = new Map(before.files.map((f) => [f.path, f.content]));
  const files: { path: string; before: string | null; after: string | null }[] = [];
  for (const f of after.files) {
    const was = old.get(f.path);
    old.delete(f.path);
    if (was !== f.content) files.push({ path: f.path, before: was ?? null, after: f.content });
  }
  for (const [p, content] of old) files.push({ path: p, before: content, after: null });
  return { files };
}

/**
 * The test file that declares a test, for reports that do not name files (node:test's JUnit): the
 * one test file containing the test's name as a string literal, if exactly one does.
 */
async function fileDeclaring(dir: string, name: string): Promise<string | undefined> {
  const { files } = await readProjectFiles(dir);
  const quoted = [`'${name}'`, `"${name}"`, `\`${name}\``];
  const hits = files.filter((f) => isTestPath(f.path) && quoted.some((q) => f.content.includes(q)));
  return hits.length === 1 ? hits[0]!.path : undefined;
}

export interface HealOptions {
  previousRunId: string;
  previous: TestReport;
  current: TestReport;
  /** The current project (clean, as unpacked) and the previous one. */
  dir: string;
  previousDir: string;
  stoppedBy?: string;
  stopReason?: string;
  llm?: LlmPort;
  model: string;
  tenantId: string;
  generationId: string;
  evaluator: Evaluator;
  /** Parent of the working copy updates are verified in. */
  workRoot: string;
  signal?: AbortSignal;
}

const testLabel = (t: { suite?: string; name: string }) =>
  t.suite ? `${t.suite} › ${t.name}` : t.name;

export async function healAfterChange(o: HealOptions): Promise<HealingReport> {
  const change = await projectChange(o.previousDir, o.dir);
  const classified = classifyFailures({
    previous: o.previous,
    current: o.current,
    change,
    ...(o.stoppedBy ? { sandbox: { stoppedBy: o.stoppedBy, reason: o.stopReason ?? '' } } : {}),
  });
  const base = {
    previousRunId: o.previousRunId,
    changedFiles: 'files' in change ? change.files.map((f) => f.path) : [],
    classifications: classified.map((c) => ({
      test: testLabel(c.test),
      class: c.class,
      evidence: c.evidence,
    })),
  };
  const llm = o.llm;
  // A working copy where verified updates accumulate: a later proposal for the same file starts
  // from the healed text, as planHealing expects.
  let work: string | undefined;
  const workCopy = async () => {
    if (!work) {
      work = path.join(await mkdtemp(path.join(o.workRoot, 'heal-')), 'project');
      await cp(o.dir, work, { recursive: true });
    }
    return work;
  };
  try {
    const plan = await planHealing(classified, {
      change,
      proposeUpdate: async (req: ProposeUpdateRequest): Promise<ProposedUpdate | null> => {
        if (!llm) return null;
        const dir = await workCopy();
        const file = req.file ?? (await fileDeclaring(dir, req.test.name));
        if (!file) return null;
        const prompt = testUpdatePrompt({
          testFile: file,
          testSource: await readFile(path.join(dir, file), 'utf8'),
          testName: testLabel(req.test),
          failure: req.failure.message,
          change: req.diff,
        });
        try {
          const f = await askForFile(llm, prompt, {
            model: o.model,
            tenantId: o.tenantId,
            generationId: o.generationId,
            caller: 'qtest/qa-heal',
            ...(o.signal ? { signal: o.signal } : {}),
          });
          return { file: f.path, content: f.content };
        } catch (err) {
          if (err instanceof AnswerError) return null;
          throw err;
        }
      },
      verify: async (update, req) => {
        const dir = await workCopy();
        const target = path.join(dir, update.file);
        const before = await readFile(target, 'utf8').catch(() => null);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, update.content);
        const e = await o.evaluator.evaluate(dir, 1, o.signal);
        const passed =
          !e.stoppedBy &&
          e.builds &&
          e.report.tests.some(
            (t) =>
              (t.id === req.test.id || (t.name === req.test.name && t.suite === req.test.suite)) &&
              t.status === 'passed',
          );
        if (!passed) {
          if (before === null) await rm(target, { force: true });
          else await writeFile(target, before);
        }
        return passed;
      },
    });
    return {
      ...base,
      counts: plan.counts,
      healed: plan.healed.map((h) => ({ test: testLabel(h.test), file: h.update.file })),
      rejected: plan.rejected.map((r) => ({ test: testLabel(r.test), reason: r.reason })),
      ...(!llm && plan.counts.drift > 0
        ? {
            note: 'assertion drift found, but no QA agent is configured (blueprint mode): nothing was proposed',
          }
        : {}),
      updates: Object.fromEntries(plan.healed.map((h) => [h.update.file, h.update.content])),
    };
  } finally {
    if (work) await rm(path.dirname(work), { recursive: true, force: true });
  }
}
