import { createTwoFilesPatch, parsePatch, structuredPatch } from 'diff';
import type { StructuredPatch } from 'diff';
import { z } from 'zod';

/**
 * The code change between the two test runs: either the changed files with their text before
 * and after (null/absent before = created, after = deleted), or a unified diff (`git diff`).
 */
export const FileChangeSchema = z.object({
  path: z.string().min(1),
  /** Set when the file was renamed. */
  oldPath: z.string().min(1).optional(),
  before: z.string().nullable().optional(),
  after: z.string().nullable().optional(),
});
export type FileChange = z.infer<typeof FileChangeSchema>;

export const CodeChangeSchema = z.union([
  z.object({ files: z.array(FileChangeSchema) }),
  z.object({ diff: z.string() }),
]);
export type CodeChange = z.infer<typeof CodeChangeSchema>;

export interface ChangedLine {
  /** 1-based line in the new file (added) or the old file (removed). */
  line: number;
  text: string;
}

/** What the change did to one file, line by line. */
export interface ChangedFile {
  path: string;
  oldPath?: string;
  created: boolean;
  deleted: boolean;
  added: ChangedLine[];
  removed: ChangedLine[];
  /**
   * Unchanged text of the file after the change, as far as it is known: the whole file when
   * the text was given, the hunks' context lines for a diff.
   */
  unchanged: string[];
}

const stripPrefix = (name: string | undefined): string | undefined =>
  name === undefined || name === '/dev/null' ? undefined : name.replace(/^[ab]\//, '');

function fromPatch(patch: StructuredPatch, whole?: string): ChangedFile | undefined {
  const oldName = stripPrefix(patch.oldFileName);
  const newName = stripPrefix(patch.newFileName);
  const path = newName ?? oldName;
  if (!path) return undefined;
  const file: ChangedFile = {
    path,
    ...(oldName && newName && oldName !== newName ? { oldPath: oldName } : {}),
    created: patch.isCreate === true || (patch.oldFileName === '/dev/null' && !!newName),
    deleted: patch.isDelete === true || (patch.newFileName === '/dev/null' && !!oldName),
    added: [],
    removed: [],
    unchanged: [],
  };
  for (const hunk of patch.hunks) {
    let oldLine = hunk.oldStart;
    let newLine = hunk.newStart;
    for (const raw of hunk.lines) {
      const mark = raw[0];
      const text = raw.slice(1);
      if (mark === '+') file.added.push({ line: newLine++, text });
      else if (mark === '-') file.removed.push({ line: oldLine++, text });
      else if (mark === ' ') {
        if (whole === undefined) file.unchanged.push(text);
        oldLine++;
        newLine++;
      }
      // "\ No newline at end of file" carries no text.
    }
  }
  if (whole !== undefined) file.unchanged = whole.split('\n');
  return file;
}

/** Line-level view of a change, from file texts (diffed with jsdiff) or a unified diff. */
export function changedFiles(change: CodeChange): ChangedFile[] {
  if ('diff' in change) {
    return parsePatch(change.diff)
      .map((p) => fromPatch(p))
      .filter((f): f is ChangedFile => f !== undefined);
  }
  return change.files.map((f) => {
    const patch = structuredPatch(
      f.oldPath ?? f.path,
      f.path,
      f.before ?? '',
      f.after ?? '',
      undefined,
      undefined,
      { context: 3 },
    );
    const file = fromPatch(patch, f.after ?? '')!;
    file.created = f.before == null;
    file.deleted = f.after == null;
    if (f.oldPath && f.oldPath !== f.path) file.oldPath = f.oldPath;
    return file;
  });
}

/** The change as a unified diff, the form the QA agent reads. */
export function unifiedDiff(change: CodeChange): string {
  if ('diff' in change) return change.diff;
  return change.files
    .map((f) =>
      createTwoFilesPatch(
        f.before == null ? '/dev/null' : `a/${f.oldPath ?? f.path}`,
        f.after == null ? '/dev/null' : `b/${f.path}`,
        f.before ?? '',
        f.after ?? '',
        undefined,
        undefined,
        { context: 3 },
      ),
    )
    .join('');
}

/** Test code, by the naming conventions of jest/vitest/mocha, pytest and go test. */
export function isTestPath(path: string): boolean {
  return (
    /(^|\/)(__tests__|__mocks__|tests?|spec)\//.test(path) ||
    /\.(test|spec)\.[cm]?[jt]sx?$/.test(path) ||
    /(^|\/)test_[^/]*\.py$|_test\.(py|go)$/.test(path) ||
    /(^|\/)conftest\.py$/.test(path)
  );
}
