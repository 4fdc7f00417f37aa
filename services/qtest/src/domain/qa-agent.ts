// The QA agent's two prompts and the parsing of its answers. Pure: no I/O. The prompts live here,
// beside the service that checks their output, until the agent service's prompt library exists
// (DESIGN §2); the answers are untrusted input and are checked like any other.
import path from 'node:path';
import { z } from 'zod';
import type { LineRange } from '../reports/index.js';

export interface TestTarget {
  /** Project-relative path of the source file to cover. */
  file: string;
  source: string;
  uncovered: LineRange[];
  /** Lines of the file coverage counts, and how many are covered. */
  lines: { covered: number; total: number };
}

export interface ProjectFacts {
  runner: string;
  /** An existing test file, as an example of the project's style and imports. */
  example?: { file: string; source: string };
  /** Where test files live, e.g. "test/"; new tests go there. */
  testDir: string;
  /** File name pattern of test files, e.g. ".test.ts". */
  testSuffix: string;
}

export interface ChatPrompt {
  system: string;
  user: string;
}

const SYSTEM = [
  'You are the QA engineer of a software team. You write focused, deterministic unit tests.',
  'Rules: no network, no real time or randomness without control, no sleeping, no snapshot',
  'files; import the code under test by a relative path; use only packages the project already',
  'has. Answer with one JSON object and nothing else.',
].join(' ');

function numbered(source: string, uncovered: LineRange[]): string {
  const miss = (n: number) => uncovered.some((r) => n >= r.start && n <= r.end);
  return source
    .split('\n')
    .map((line, i) => `${miss(i + 1) ? '!' : ' '}${String(i + 1).padStart(4)} ${line}`)
    .join('\n');
}

export function testGenerationPrompt(target: TestTarget, facts: ProjectFacts): ChatPrompt {
  const ranges = target.uncovered.map((r) =>
    r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`,
  );
  const user = [
    `Project test runner: ${facts.runner}. Test files live in ${facts.testDir} and end in ${facts.testSuffix}.`,
    facts.example
      ? `An existing test (${facts.example.file}), for style and imports:\n\`\`\`\n${facts.example.source}\n\`\`\``
      : '',
    `Write ONE new test file that executes the uncovered lines of ${target.file} (marked "!",`,
    `lines ${ranges.join(', ')}; ${target.lines.covered} of ${target.lines.total} lines covered now).`,
    `\`\`\`\n${numbered(target.source, target.uncovered)}\n\`\`\``,
    'Answer: {"path": "<new test file path, relative to the project root>", "content": "<the whole file>"}',
  ]
    .filter(Boolean)
    .join('\n\n');
  return { system: SYSTEM, user };
}

export interface TestUpdateRequest {
  testFile: string;
  testSource: string;
  testName: string;
  failure: string;
  /** The code change that made the assertion drift (unified diff or before/after). */
  change: string;
}

export function testUpdatePrompt(req: TestUpdateRequest): ChatPrompt {
  const user = [
    `The test "${req.testName}" in ${req.testFile} passed before this intentional code change and fails now:`,
    `\`\`\`diff\n${req.change}\n\`\`\``,
    `Failure:\n\`\`\`\n${req.failure}\n\`\`\``,
    `Current test file:\n\`\`\`\n${req.testSource}\n\`\`\``,
    'Update the test file so the test expects the new, intended behaviour. Change only what the',
    'code change explains; keep every other test as it is.',
    `Answer: {"path": "${req.testFile}", "content": "<the whole updated file>"}`,
  ].join('\n\n');
  return { system: SYSTEM, user };
}

const AnswerSchema = z.object({
  path: z.string().min(1, 'path: must not be empty').max(300),
  content: z.string().min(1, 'content: must not be empty').max(200_000),
});

export interface ProposedFile {
  path: string;
  content: string;
}

export class AnswerError extends Error {}

/**
 * The agent's answer as a file. Models wrap JSON in a code fence now and then; anything else is
 * refused with the reason, which ends up in the rejected-tests record.
 */
export function parseFileAnswer(text: string): ProposedFile {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)\n```/.exec(text);
  const raw = (fenced ? fenced[1]! : text).trim();
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new AnswerError('the answer is not a JSON object');
  }
  const parsed = AnswerSchema.safeParse(value);
  if (!parsed.success) throw new AnswerError(parsed.error.issues.map((i) => i.message).join('; '));
  return parsed.data;
}

/**
 * Where a proposed test may be written: inside the test directory, with the project's test
 * suffix, not escaping the project. Returns the normalized path or the reason it is refused.
 */
export function checkTestPath(
  proposed: string,
  facts: Pick<ProjectFacts, 'testDir' | 'testSuffix'>,
): { ok: true; path: string } | { ok: false; reason: string } {
  if (path.isAbsolute(proposed) || proposed.includes('\\'))
    return { ok: false, reason: `path "${proposed}" must be relative, with forward slashes` };
  const norm = path.posix.normalize(proposed);
  if (norm.startsWith('..') || norm.split('/').includes('node_modules'))
    return { ok: false, reason: `path "${proposed}" leaves the project's test directory` };
  const dir = facts.testDir.replace(/\/?$/, '/');
  if (dir !== './' && !norm.startsWith(dir))
    return { ok: false, reason: `path "${proposed}" is not under ${dir}` };
  if (!norm.endsWith(facts.testSuffix))
    return { ok: false, reason: `path "${proposed}" does not end in ${facts.testSuffix}` };
  return { ok: true, path: norm };
}
