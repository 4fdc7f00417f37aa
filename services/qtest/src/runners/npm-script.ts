import { parse, quote } from 'shell-quote';

/** One word of a command line; a glob is left for the shell to expand in the sandbox. */
export type Word = { text: string; glob: boolean };

export interface ParsedScript {
  /** Leading `NAME=value` assignments (also after `cross-env`). */
  env: Record<string, string>;
  words: Word[];
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/**
 * Splits an npm test script into one simple command: its environment assignments and words.
 * Undefined for anything else (`&&`, pipes, redirections, subshells): such a script is not
 * re-run with extra flags, the runner's own command is used instead.
 */
export function parseScript(script: string): ParsedScript | undefined {
  // Keep $VARS as written: npm would expand them from its own environment, which we do not have.
  const entries = parse(script, (key) => `$${key}`);
  const words: Word[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') words.push({ text: entry, glob: false });
    else if ('op' in entry && entry.op === 'glob') words.push({ text: entry.pattern, glob: true });
    else if ('comment' in entry) break;
    else return undefined;
  }
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length; i++) {
    const w = words[i] as Word;
    if (w.glob) break;
    if (w.text === 'cross-env' || w.text === 'env') continue;
    const m = ASSIGNMENT.exec(w.text);
    if (!m) break;
    env[m[1] as string] = m[2] as string;
  }
  let rest = words.slice(i);
  if (rest[0]?.text === 'npx') {
    rest = rest.slice(1);
    while (rest[0]?.text.startsWith('-')) rest = rest.slice(1);
  }
  return rest.length > 0 ? { env, words: rest } : undefined;
}

/** node's options that take their value as the next word. */
const NODE_VALUE_FLAGS = new Set([
  '-r',
  '--require',
  '--import',
  '--loader',
  '--experimental-loader',
  '-C',
  '--conditions',
  '--test-reporter',
  '--test-reporter-destination',
  '--test-name-pattern',
  '--test-skip-pattern',
  '--test-concurrency',
  '--test-shard',
  '--env-file',
  '--input-type',
  '--stack-size',
  '--title',
]);

export interface NodeCommand {
  /** Options before the script (or before the test files, with --test). */
  nodeFlags: Word[];
  /** The script and its arguments, or the test files with --test. */
  rest: Word[];
}

/** Splits `node [flags] [script args…]`; undefined when the command is not node. */
export function splitNode(words: Word[]): NodeCommand | undefined {
  const head = words[0];
  if (!head || head.glob || !/(^|\/)node$/.test(head.text)) return undefined;
  const nodeFlags: Word[] = [];
  let i = 1;
  while (i < words.length) {
    const w = words[i] as Word;
    if (w.glob || !w.text.startsWith('-') || w.text === '--') break;
    nodeFlags.push(w);
    if (NODE_VALUE_FLAGS.has(w.text) && i + 1 < words.length) nodeFlags.push(words[i + 1] as Word);
    i += NODE_VALUE_FLAGS.has(w.text) ? 2 : 1;
  }
  if (words[i]?.text === '--' && !words[i]?.glob) i += 1;
  return { nodeFlags, rest: words.slice(i) };
}

export function literal(texts: string[]): Word[] {
  return texts.map((text) => ({ text, glob: false }));
}

/**
 * An argv for the sandbox: run directly when there is no glob, else through `sh -c` so the
 * shell expands the globs in the project copy as npm's shell would have.
 */
export function toArgv(words: Word[]): { command: string; args: string[] } {
  const [head, ...tail] = words;
  if (!head) throw new Error('empty command');
  if (!words.some((w) => w.glob)) return { command: head.text, args: tail.map((w) => w.text) };
  const line = words.map((w) => (w.glob ? quoteGlob(w.text) : quote([w.text]))).join(' ');
  return { command: 'sh', args: ['-c', `exec ${line}`] };
}

/** Quotes every character of a glob pattern except the glob operators themselves. */
function quoteGlob(pattern: string): string {
  return pattern.replace(/[^A-Za-z0-9_./*?[\]-]/g, (c) => `\\${c}`);
}
