/**
 * Reading the expected and the received value out of a failed assertion, as jest, vitest (chai),
 * node:assert / node:test, pytest, unittest and supertest print them. Only the text is
 * available (a JUnit or JSON report), so this is pattern matching over the formats those tools
 * are known to produce; the unit tests hold real output of each.
 */

export type AssertionFormat =
  'jest' | 'diff' | 'chai' | 'node-assert' | 'pytest' | 'unittest' | 'supertest';

export interface ParsedAssertion {
  /** Which printed forms were recognised (one failure often carries two, e.g. chai + diff). */
  formats: AssertionFormat[];
  /** The expected value(s), as printed. */
  expected: string[];
  /** The received / actual value(s), as printed. */
  received: string[];
}

export interface FailureLike {
  message: string;
  stack?: string | undefined;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * One text for a failure: the stack when it already holds the message (jest JSON, JUnit
 * bodies), else message and stack. JUnit `message` attributes lose their newlines, so a stack
 * that starts like the message is preferred over it.
 */
export function failureText(failure: FailureLike): string {
  const message = failure.message.replace(ANSI, '');
  const stack = failure.stack?.replace(ANSI, '');
  if (!stack) return message;
  const head = message.split('\n')[0]!.slice(0, 24);
  return stack.includes(message) || (head && stack.includes(head)) ? stack : `${message}\n${stack}`;
}

/**
 * Removes what is not the failure itself: stack frames, jest/vitest code frames (they quote the
 * test's own source), node's error-object dump, and pytest's quoted source (only `E` lines kept).
 */
export function cleanFailureText(text: string): string {
  let lines = text.replace(ANSI, '').split('\n');
  if (lines.some((l) => /^E\s/.test(l))) {
    lines = lines.filter((l) => /^E(\s|$)/.test(l)).map((l) => l.replace(/^E\s{0,5}/, ''));
  }
  return lines
    .filter(
      (l) =>
        !/^\s*at\s/.test(l) &&
        !/^\s*❯\s/.test(l) &&
        !/^\s*>?\s*\d+\s*\|/.test(l) &&
        !/^\s*\|\s*\^/.test(l) &&
        !/^\s*(code|failureType|generatedMessage|operator|actual|expected):\s/.test(l) &&
        !/^\s*\}\]?\s*\{?$/.test(l),
    )
    .join('\n');
}

const dequote = (v: string) => v.trim();

interface Collector {
  formats: Set<AssertionFormat>;
  expected: string[];
  received: string[];
}

function add(c: Collector, format: AssertionFormat, expected?: string, received?: string): void {
  c.formats.add(format);
  if (expected !== undefined && expected.trim() && !c.expected.includes(dequote(expected))) {
    c.expected.push(dequote(expected));
  }
  if (received !== undefined && received.trim() && !c.received.includes(dequote(received))) {
    c.received.push(dequote(received));
  }
}

/** `- Expected` / `+ Received` (jest, vitest) and `+ actual - expected` (node:assert) blocks. */
function diffBlocks(lines: string[], c: Collector): void {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let indent: string;
    let minus: 'expected' | 'received';
    const jest = /^(\s*)- Expected\b/.exec(line);
    const node = /^(\s*)\+ actual - expected\s*$/.exec(line);
    if (jest && /^\s*\+ Received\b/.test(lines[i + 1] ?? '')) {
      indent = jest[1]!;
      minus = 'expected';
      i++;
    } else if (node) {
      indent = node[1]!;
      minus = 'expected';
    } else continue;
    // Only the first block: node repeats the same diff in the error's `cause`.
    for (let j = i + 1; j < lines.length && j < i + 200; j++) {
      const l = lines[j]!;
      if (/^\s*\[cause\]|^\s*cause: /.test(l)) break;
      if (!l.startsWith(indent)) continue;
      const rest = l.slice(indent.length);
      const m = /^([-+])(?: (.*))?$/.exec(rest);
      if (!m) continue;
      const value = m[2] ?? '';
      if (m[1] === '-') add(c, 'diff', minus === 'expected' ? value : undefined);
      else add(c, 'diff', undefined, value);
    }
    return;
  }
}

const JEST_PAIR = /^\s*(Expected|Received)((?: [a-z]+)*)\s*: {1,3}(.*)$/;

/**
 * `Expected: …` / `Received: …` lines. When labels pair up (`Expected length` / `Received
 * length`) only the pairs count: `Received array: [0, 1, …]` under toHaveLength is context.
 */
function jestPairs(lines: string[], c: Collector): void {
  const found: Array<{ side: string; label: string; value: string }> = [];
  for (const line of lines) {
    const m = JEST_PAIR.exec(line);
    if (m) found.push({ side: m[1]!, label: m[2]!.trim(), value: m[3]! });
  }
  const labels = (side: string) =>
    new Set(found.filter((f) => f.side === side).map((f) => f.label));
  const expLabels = labels('Expected');
  const recLabels = labels('Received');
  const paired = [...expLabels].filter((l) => recLabels.has(l));
  for (const f of found) {
    if (paired.length > 0 && !paired.includes(f.label)) continue;
    if (f.side === 'Expected') add(c, 'jest', f.value);
    else add(c, 'jest', undefined, f.value);
  }
}

const CHAI =
  /^(?:AssertionError(?: \[[A-Z_]+\])?: )?expected (.+?) to (?:not )?(?:be|equal|deeply equal|strictly equal|eql|deep equal|include|contain|match|have property|have length(?: of)?|have lengthOf|have members|have keys|be above|be below|be at least|be at most|throw(?: error matching)?) (.+?)(?: \/\/ .*)?$/;

const SUPERTEST = /expected (\d{3}) "([^"]*)", got (\d{3}) "([^"]*)"/;

const PYTEST_ASSERT = /^(?:AssertionError: )?assert (.+?) == (.+)$/;
const PYTEST_WHERE = /^\s*\+\s+where (.+?) = /;

function pytest(lines: string[], c: Collector): void {
  const at = lines.findIndex((l) => PYTEST_ASSERT.test(l.trim()));
  if (at < 0) return;
  const m = PYTEST_ASSERT.exec(lines[at]!.trim())!;
  let left = m[1]!;
  const right = m[2]!;
  // `assert area("square", 2) == 5` prints the call; the "where" line has its value.
  const where = lines.slice(at + 1).find((l) => PYTEST_WHERE.test(l));
  if (where && /\w\(/.test(left)) left = PYTEST_WHERE.exec(where)![1]!;
  add(c, 'pytest', right, left);
  let section: 'left' | 'right' | 'diff' | undefined;
  for (const raw of lines.slice(at + 1)) {
    const l = raw.trim();
    if (!l || PYTEST_WHERE.test(raw) || l.startsWith('?')) continue;
    if (/^Left contains/.test(l)) section = 'left';
    else if (/^Right contains/.test(l)) section = 'right';
    else if (/^(Differing items|Full diff|Omitting|Use -v)/.test(l)) section = 'diff';
    else if (/^[-+] /.test(l)) {
      if (l[0] === '-') add(c, 'pytest', l.slice(2));
      else add(c, 'pytest', undefined, l.slice(2));
    } else if (section === 'left') add(c, 'pytest', undefined, l);
    else if (section === 'right') add(c, 'pytest', l);
    else if (section === 'diff') {
      const d = /^(.+?) != (.+)$/.exec(l);
      if (d) add(c, 'pytest', d[2], d[1]);
    }
  }
}

// JUnit `message` attributes glue node's header to the values ("…strictly equal:500 !== 200").
const NODE_ONE_LINE =
  /^(?:AssertionError(?: \[ERR_ASSERTION\])?: )?(?:Expected values to be [\w -]+:\s*)?(.+?) (!==|!=|==) (.+)$/;

/** Parses the expected and received values of a failed assertion, or undefined. */
export function parseAssertion(failure: FailureLike | string): ParsedAssertion | undefined {
  const raw = typeof failure === 'string' ? failure : failureText(failure);
  const lines = cleanFailureText(raw).split('\n');
  const c: Collector = { formats: new Set(), expected: [], received: [] };

  diffBlocks(lines, c);
  jestPairs(lines, c);
  pytest(lines, c);
  for (const line of lines) {
    const l = line.trim();
    const chai = CHAI.exec(l);
    if (chai) {
      add(c, 'chai', chai[2], chai[1]);
      continue;
    }
    const st = SUPERTEST.exec(l);
    if (st) add(c, 'supertest', `${st[1]} "${st[2]}"`, `${st[3]} "${st[4]}"`);
  }
  // The bare `a !== b` / `a == b` forms only where the text says it is an assertion, so that
  // a line of code in an error message is not taken for one.
  if (c.formats.size === 0 && /AssertionError|ERR_ASSERTION|Expected values to be/.test(raw)) {
    for (const line of lines) {
      const m = NODE_ONE_LINE.exec(line.trim());
      if (!m || /^assert /.test(m[1]!)) continue;
      add(
        c,
        /AssertionError: /.test(line) && !/\[ERR_/.test(line) ? 'unittest' : 'node-assert',
        m[3],
        m[1],
      );
      break;
    }
  }
  if (c.expected.length === 0 && c.received.length === 0) return undefined;
  return { formats: [...c.formats], expected: c.expected, received: c.received };
}

const NOT_THROWN = new Set(['AssertionError', 'Error']);

/**
 * The error a test died of when it is not an assertion (TypeError, KeyError, …): the first
 * `SomethingError:` / `SomethingException:` in the text, skipping runner wrappers.
 */
export function thrownError(text: string): string | undefined {
  const re = /\b([A-Z][A-Za-z0-9]*(?:Error|Exception))\b(?: \[[^\]]*\])?:/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (!NOT_THROWN.has(m[1]!)) return m[1];
  }
  return undefined;
}
