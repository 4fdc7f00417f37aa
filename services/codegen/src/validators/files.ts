import { z } from 'zod';

/** One file of a generated project, as the validators receive it (path is POSIX, relative). */
export const SourceFileSchema = z.object({
  path: z.string().min(1),
  content: z.string(),
});
export type SourceFile = z.infer<typeof SourceFileSchema>;

export function normalizePath(p: string): string {
  return p
    .replace(/\\/g, '/')
    .replace(/^\.\//, '')
    .replace(/\/{2,}/g, '/');
}

export function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

/** Test code legitimately holds fake passwords and unauthenticated calls; some rules skip it. */
export function isTestFile(p: string): boolean {
  return (
    /(^|\/)(__tests__|__mocks__|tests?|spec|fixtures?)\//.test(p) ||
    /\.(test|spec)\.[cm]?[jt]sx?$/.test(p) ||
    /(^|\/)test_[^/]*\.py$|_test\.(py|go)$/.test(p)
  );
}

export function isLockFile(p: string): boolean {
  return /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|pnpm-lock\.yaml|yarn\.lock|poetry\.lock|Pipfile\.lock|go\.sum|Cargo\.lock|composer\.lock|Gemfile\.lock|uv\.lock)$/.test(
    p,
  );
}

export function isProbablyBinary(content: string): boolean {
  return content.slice(0, 8000).includes('\u0000');
}

/** 1-based line and column of a UTF-16 offset. */
export function positionAt(content: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = content.indexOf('\n'); i !== -1 && i < offset; i = content.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

export function lineAt(content: string, line: number): string {
  return content.split('\n')[line - 1] ?? '';
}

export function shorten(text: string, max = 160): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}
