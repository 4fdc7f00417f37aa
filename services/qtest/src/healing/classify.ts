import type { TestCase, TestReport } from '../reports/index.js';
import type { ParsedAssertion } from './assertions.js';
import { cleanFailureText, failureText, parseAssertion, thrownError } from './assertions.js';
import type { ChangedFile, CodeChange } from './change.js';
import { changedFiles, isTestPath } from './change.js';
import { environmentEvidence } from './environment.js';

export type FailureClass = 'assertion-drift' | 'regression' | 'environment';

/** How the sandbox ended the current run, when it stopped it (see SandboxResult). */
export interface SandboxStop {
  stoppedBy?: string;
  reason?: string;
}

export interface ClassifyInput {
  /** The run before the change, in which the tests passed. */
  previous: TestReport;
  /** The run after the change. */
  current: TestReport;
  /** The change between the two runs; without it no mismatch can be explained (→ regression). */
  change?: CodeChange;
  sandbox?: SandboxStop;
}

export interface FailureClassification {
  /** The test as it failed in the current run. */
  test: TestCase;
  class: FailureClass;
  /** Why, in one line a reader can check against the failure and the diff. */
  evidence: string;
  /** The expected/received values, when the failure is an assertion we could read. */
  assertion?: ParsedAssertion;
}

/**
 * For every test that passed in `previous` and fails in `current`: environment, assertion
 * drift or regression. Conservative by construction: drift needs positive evidence in the
 * change (see `explainByChange`); everything that is neither provably the environment nor
 * explained by the change is a regression, because a regression must never be "healed".
 */
export function classifyFailures(input: ClassifyInput): FailureClassification[] {
  const files = input.change ? changedFiles(input.change) : undefined;
  const out: FailureClassification[] = [];
  for (const { now } of newlyFailing(input.previous, input.current)) {
    out.push(classifyOne(now, files, input.sandbox));
  }
  return out;
}

function key(t: TestCase): string {
  return `${t.file ?? ''}\u0000${t.suite ?? ''}\u0000${t.name}`;
}

/** Pairs each previously passing test with its failing counterpart in the current run. */
function newlyFailing(
  previous: TestReport,
  current: TestReport,
): Array<{ before: TestCase; now: TestCase }> {
  const byId = new Map(current.tests.map((t) => [t.id, t]));
  const byKey = new Map(current.tests.map((t) => [key(t), t]));
  const fileErrors = new Map(
    current.tests
      .filter((t) => t.status === 'errored' && t.file !== undefined && t.id === t.file)
      .map((t) => [t.file!, t]),
  );
  const pairs: Array<{ before: TestCase; now: TestCase }> = [];
  for (const before of previous.tests) {
    if (before.status !== 'passed') continue;
    let now = byId.get(before.id) ?? byKey.get(key(before));
    if (!now && before.file) {
      // The whole file failed to load (jest reports one errored entry for it): every test in it
      // that passed before fails now, with the file's error.
      const fileError = fileErrors.get(before.file);
      if (fileError) now = { ...before, status: 'errored', failure: fileError.failure };
    }
    // Gone without a trace: removed or renamed, which is not a failure.
    if (!now || (now.status !== 'failed' && now.status !== 'errored')) continue;
    pairs.push({ before, now });
  }
  return pairs;
}

function classifyOne(
  test: TestCase,
  files: readonly ChangedFile[] | undefined,
  sandbox: SandboxStop | undefined,
): FailureClassification {
  const result = (cls: FailureClass, evidence: string, assertion?: ParsedAssertion) => ({
    test,
    class: cls,
    evidence,
    ...(assertion ? { assertion } : {}),
  });
  if (sandbox?.stoppedBy) {
    return result(
      'environment',
      `the sandbox stopped the run (${sandbox.stoppedBy}${sandbox.reason ? `: ${sandbox.reason}` : ''})`,
    );
  }
  if (!test.failure) return result('regression', 'failed without a failure message');
  const raw = failureText(test.failure);
  const text = cleanFailureText(raw);

  const env = environmentEvidence(text, files ?? []);
  if (env) return result(env.kind, env.evidence);

  const assertion = parseAssertion(raw);
  if (!assertion) {
    const thrown = thrownError(text);
    const first = firstLine(text);
    return result(
      'regression',
      thrown
        ? `threw ${thrown} instead of failing an assertion: ${first}`
        : `not an assertion mismatch that can be compared: ${first}`,
    );
  }
  const broken = brokenValue(assertion);
  if (broken) return result('regression', broken, assertion);
  if (!files) {
    return result(
      'regression',
      `${describe(assertion)}; no code change given to explain the difference`,
      assertion,
    );
  }
  const explained = explainByChange(assertion, files, testFileOf(test));
  return explained.ok
    ? result('assertion-drift', `${describe(assertion)}; ${explained.evidence}`, assertion)
    : result(
        'regression',
        `${describe(assertion)}; not explained by the change: ${explained.why}`,
        assertion,
      );
}

/**
 * The failing test's file: from the report, else from the failure (pytest's JUnit keeps only
 * the module; its traceback ends with `test_users.py:10: AssertionError`).
 */
function testFileOf(test: TestCase): string | undefined {
  if (test.file) return test.file;
  const text = `${test.failure?.stack ?? ''}\n${test.failure?.message ?? ''}`;
  return /(?:^|\s)([\w./-]+\.py):\d+: \w+/m.exec(text)?.[1];
}

function firstLine(text: string): string {
  const line =
    text
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

function short(values: readonly string[]): string {
  const v = values.map((x) => x.replace(/,$/, '')).join(' | ');
  return v.length > 80 ? `${v.slice(0, 79)}…` : v;
}

function describe(a: ParsedAssertion): string {
  return `expected ${short(a.expected) || '?'}, received ${short(a.received) || '?'}`;
}

// ---------------------------------------------------------------------------------------------
// Values that are a symptom of breakage, whatever the diff says.

const EMPTY = /^(undefined|null|None|NaN|\[\]|\{\}|""|''|\(empty\))$/;
const STATUS_5XX = /^5\d\d\b/;

function brokenValue(a: ParsedAssertion): string | undefined {
  const recv = a.received.map((v) => v.replace(/^['"]|['"]$/g, '').trim());
  const exp = a.expected.join('\n');
  if (a.received.length > 0 && a.received.every((v) => EMPTY.test(v.trim()))) {
    return `received ${short(a.received)} where ${short(a.expected)} was expected: the code produced nothing`;
  }
  if (recv.some((v) => STATUS_5XX.test(v)) && !/\b5\d\d\b/.test(exp)) {
    return `${describe(a)}: a 5xx status is a server error, not a changed contract`;
  }
  const all = a.received.join('\n');
  for (const marker of ['undefined', 'NaN', '[object Object]', 'Internal Server Error']) {
    if (all.includes(marker) && !exp.includes(marker)) {
      return `${describe(a)}: the received value contains ${marker}`;
    }
  }
  const error = /\b([A-Z]\w*(?:Error|Exception))\b/.exec(all);
  if (error && !exp.includes(error[1]!)) {
    return `${describe(a)}: the received value is an error (${error[1]})`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Drift: does the change account for the difference between expected and received?

const TOKEN = /[\p{L}_$][\p{L}\p{N}_$]*|\d+(?:\.\d+)?/gu;
/** Words the runners print around values (type names, literals, labels): not evidence. */
const NOISE = new Set([
  'Object',
  'Array',
  'Map',
  'Set',
  'Function',
  'Promise',
  'true',
  'false',
  'null',
  'undefined',
  'None',
  'True',
  'False',
  'NaN',
  'Infinity',
  'Expected',
  'Received',
  'expected',
  'received',
  'actual',
  'dict',
  'list',
  'tuple',
]);

/** Runners shorten long values ("{'full_name':...ace'}"): the cut words are not tokens. */
const TRUNCATED = /[\p{L}\p{N}_$]*(?:\.\.\.|…)[\p{L}\p{N}_$]*/gu;

function tokens(texts: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const t of texts) {
    for (const m of t.replace(TRUNCATED, ' ').matchAll(TOKEN)) {
      if (!NOISE.has(m[0])) out.add(m[0]);
    }
  }
  return out;
}

const isNumber = (t: string) => /^\d/.test(t);

interface Where {
  file: string;
  line: number;
}

function index(
  lines: ReadonlyArray<{ line: number; text: string }>,
  file: string,
  into: Map<string, Where[]>,
) {
  for (const l of lines) {
    for (const t of tokens([l.text])) {
      const list = into.get(t) ?? [];
      list.push({ file, line: l.line });
      into.set(t, list);
    }
  }
}

/**
 * The heuristic, deliberately narrow:
 *  1. Split the tokens (identifiers, words, numbers) of the expected and the received value
 *     into expected-only (the old value) and received-only (the new value).
 *  2. Every distinctive expected-only token must be on a line the change removed from a source
 *     file (tests do not count): the old value was taken out on purpose.
 *  3. Every distinctive received-only token must be in the changed source (added lines or the
 *     file's unchanged text): the new value comes from the code, not from nowhere.
 *  4. At least one received-only token must be on an added line of a file that also removed an
 *     expected-only token: the old value was replaced by the new one there.
 * Numbers count only when the old value had a number too (a changed constant), or when they are
 * long enough not to be everywhere. Anything that fails a step is not drift.
 */
export function explainByChange(
  a: ParsedAssertion,
  files: readonly ChangedFile[],
  /** The failing test's file: changed files in its language are preferred as evidence. */
  testFile?: string,
): { ok: true; evidence: string } | { ok: false; why: string } {
  const src = files.filter((f) => !isTestPath(f.path));
  if (src.length === 0) return { ok: false, why: 'the change touches no source file' };
  const exp = tokens(a.expected);
  const rec = tokens(a.received);
  const expOnly = [...exp].filter((t) => !rec.has(t));
  const recvOnly = [...rec].filter((t) => !exp.has(t));
  const numericChange = expOnly.some(isNumber);
  const distinctive = (t: string) => (isNumber(t) ? numericChange || t.length >= 3 : t.length >= 2);
  const oldTokens = expOnly.filter(distinctive);
  const newTokens = recvOnly.filter(distinctive);
  if (newTokens.length === 0) {
    return {
      ok: false,
      why: 'the received value has nothing new that a change could have introduced',
    };
  }
  const added = new Map<string, Where[]>();
  const removed = new Map<string, Where[]>();
  const unchanged = new Set<string>();
  for (const f of src) {
    index(f.added, f.path, added);
    index(f.removed, f.oldPath ?? f.path, removed);
    for (const t of tokens(f.unchanged)) unchanged.add(t);
  }
  const kept = oldTokens.find((t) => !removed.has(t));
  if (kept !== undefined) {
    return { ok: false, why: `the expected "${kept}" is on no line the change removed` };
  }
  const stray = newTokens.find((t) => !added.has(t) && !unchanged.has(t));
  if (stray !== undefined) {
    return { ok: false, why: `the received "${stray}" appears nowhere in the changed code` };
  }
  // Files in the test's language first, so the evidence points at the code the test runs.
  const family = testFile ? languageFamily(testFile) : undefined;
  const rankOf = (file: string) => (family && languageFamily(file) === family ? 0 : 1);
  let best: { t: string; w: Where; o?: string; r?: Where; score: number } | undefined;
  for (const t of newTokens) {
    for (const w of added.get(t) ?? []) {
      if (oldTokens.length === 0) {
        const score = rankOf(w.file) * 1e6;
        if (!best || score < best.score) best = { t, w, score };
        continue;
      }
      for (const o of oldTokens) {
        for (const r of removed.get(o)!) {
          if (!sameFile(r.file, w.file, src)) continue;
          // The removed line nearest to the added one: most likely the line it replaced.
          const score = rankOf(w.file) * 1e6 + Math.abs(r.line - w.line);
          if (!best || score < best.score) best = { t, w, o, r, score };
        }
      }
    }
  }
  if (!best) {
    return { ok: false, why: 'no changed line replaces the expected value with the received one' };
  }
  const { t, w, o, r } = best;
  return {
    ok: true,
    evidence:
      o && r
        ? `the change replaced "${o}" (${r.file}:${r.line}, removed) with "${t}" (${w.file}:${w.line}, added)`
        : `${w.file}:${w.line} (added) introduces "${t}"`,
  };
}

function languageFamily(path: string): string | undefined {
  const ext = /\.([a-z]+)$/i.exec(path)?.[1]?.toLowerCase();
  if (!ext) return undefined;
  if (['js', 'cjs', 'mjs', 'jsx', 'ts', 'cts', 'mts', 'tsx'].includes(ext)) return 'js';
  if (['py', 'pyi'].includes(ext)) return 'py';
  return ext;
}

function sameFile(removedIn: string, addedIn: string, files: readonly ChangedFile[]): boolean {
  if (removedIn === addedIn) return true;
  return files.some((f) => f.path === addedIn && f.oldPath === removedIn);
}
