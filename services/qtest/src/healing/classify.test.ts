import type { TestCase, TestReport } from '../reports/index.js';
import { changedFiles, unifiedDiff } from './change.js';
import type { CodeChange } from './change.js';
import { classifyFailures } from './classify.js';

// Failure messages below are real output (jest 30.5, vitest 3.2, pytest 9.0, node 20), stack
// frames trimmed and paths rewritten to /project.

const passed = (name: string, file = '/project/src/user.test.js'): TestCase => ({
  id: `${file} > ${name}`,
  name,
  file,
  status: 'passed',
  durationMs: 3,
});

const failed = (
  name: string,
  message: string,
  stack?: string,
  file = '/project/src/user.test.js',
): TestCase => ({
  ...passed(name, file),
  status: 'failed',
  failure: { message, ...(stack ? { stack } : {}) },
});

const report = (tests: TestCase[]): TestReport => ({
  runner: 'jest',
  totals: { tests: tests.length, passed: 0, failed: 0, skipped: 0, errored: 0, durationMs: 0 },
  tests,
});

function classifyOne(test: TestCase, change?: CodeChange, sandbox?: { stoppedBy: string }) {
  const out = classifyFailures({
    previous: report([passed(test.name, test.file)]),
    current: report([test]),
    ...(change ? { change } : {}),
    ...(sandbox ? { sandbox } : {}),
  });
  expect(out).toHaveLength(1);
  return out[0]!;
}

const USER_BEFORE = `export function toUser(row) {
  return { id: row.id, name: row.name, role: 'member' };
}

export function greet(user) {
  return \`Hello, \${user.name}!\`;
}

export const PAGE_SIZE = 20;
`;
const USER_AFTER = `export function toUser(row) {
  return { id: row.id, fullName: row.name, role: 'member' };
}

export function greet(user) {
  return \`Welcome back, \${user.fullName}!\`;
}

export const PAGE_SIZE = 20;
`;
const CHANGE: CodeChange = {
  files: [{ path: 'src/user.js', before: USER_BEFORE, after: USER_AFTER }],
};

const JEST_GREETING =
  'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: "Hello, Ada!"\nReceived: "Welcome back, Ada!"';
const JEST_RENAME =
  'Error: expect(received).toEqual(expected) // deep equality\n\n- Expected  - 1\n+ Received  + 1\n\n  Object {\n+   "fullName": "Ada",\n    "id": 1,\n-   "name": "Ada",\n    "role": "member",\n  }';

describe('environment', () => {
  const cases: Array<[string, string, string]> = [
    [
      'jest timeout',
      'thrown: "Exceeded timeout of 5000 ms for a test.\nAdd a timeout value to this test to increase the timeout, if this is a long-running test. See https://jestjs.io/docs/api#testname-fn-timeout."',
      'test timeout (jest): thrown: "Exceeded timeout of 5000 ms for a test.',
    ],
    [
      'vitest timeout',
      'Error: Test timed out in 5000ms.',
      'test timeout (vitest): Error: Test timed out in 5000ms.',
    ],
    [
      'connection refused',
      'Error: connect ECONNREFUSED 127.0.0.1:5432',
      'network: Error: connect ECONNREFUSED 127.0.0.1:5432',
    ],
    [
      'DNS',
      'Error: getaddrinfo ENOTFOUND api.stripe.com',
      'network: Error: getaddrinfo ENOTFOUND api.stripe.com',
    ],
    [
      'DNS, try again',
      'Error: getaddrinfo EAI_AGAIN registry.npmjs.org',
      'network: Error: getaddrinfo EAI_AGAIN registry.npmjs.org',
    ],
    [
      'python connection refused',
      'ConnectionRefusedError: [Errno 111] Connection refused',
      'network: ConnectionRefusedError: [Errno 111] Connection refused',
    ],
    [
      'missing package (jest)',
      "Cannot find module 'left-pad' from 'src/user.test.js'",
      "missing package: Cannot find module 'left-pad' from 'src/user.test.js'",
    ],
    [
      'missing package (python)',
      "ModuleNotFoundError: No module named 'requests'",
      "missing package: ModuleNotFoundError: No module named 'requests'",
    ],
    [
      'permissions',
      "Error: EACCES: permission denied, open '/var/log/app.log'",
      "permissions: Error: EACCES: permission denied, open '/var/log/app.log'",
    ],
    [
      'port in use',
      'Error: listen EADDRINUSE: address already in use :::3000',
      'port in use: Error: listen EADDRINUSE: address already in use :::3000',
    ],
    [
      'missing executable',
      'Error: spawn python3 ENOENT',
      'missing executable: Error: spawn python3 ENOENT',
    ],
    [
      'memory',
      'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
      'memory: FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
    ],
  ];
  it.each(cases)('%s', (_label, message, evidence) => {
    expect(classifyOne(failed('t', message), CHANGE)).toMatchObject({
      class: 'environment',
      evidence,
    });
  });

  it('a sandbox stop makes every newly failing test environment', () => {
    expect(classifyOne(failed('t', JEST_GREETING), CHANGE, { stoppedBy: 'memory' })).toMatchObject({
      class: 'environment',
      evidence: 'the sandbox stopped the run (memory)',
    });
  });

  it('a frame named runWithTimeout is not a timeout', () => {
    const c = classifyOne(
      failed(
        't',
        "TypeError: Cannot read properties of undefined (reading 'id')",
        "TypeError: Cannot read properties of undefined (reading 'id')\n    at runWithTimeout (file:///project/node_modules/@vitest/runner/dist/chunk-hooks.js:1863:10)",
      ),
      CHANGE,
    );
    expect(c.class).toBe('regression');
  });

  it('a module the change deleted, or a relative import, is the code’s fault', () => {
    const deleted: CodeChange = {
      diff: 'diff --git a/src/billing.js b/src/billing.js\ndeleted file mode 100644\n--- a/src/billing.js\n+++ /dev/null\n@@ -1 +0,0 @@\n-export const rate = 1;\n',
    };
    expect(
      classifyOne(failed('t', "Cannot find module 'billing' from 'src/user.test.js'"), deleted),
    ).toEqual(
      expect.objectContaining({
        class: 'regression',
        evidence:
          "Cannot find module 'billing' from 'src/user.test.js': src/billing.js was deleted by the change",
      }),
    );
    expect(
      classifyOne(failed('t', "Cannot find module './billing' from 'src/user.test.js'"), CHANGE),
    ).toMatchObject({ class: 'regression' });
    const dropped: CodeChange = {
      files: [
        {
          path: 'package.json',
          before: '{\n  "dependencies": {\n    "left-pad": "1.3.0"\n  }\n}\n',
          after: '{\n  "dependencies": {}\n}\n',
        },
      ],
    };
    expect(
      classifyOne(failed('t', "Cannot find module 'left-pad' from 'src/user.test.js'"), dropped),
    ).toMatchObject({
      class: 'regression',
      evidence: expect.stringContaining('the change removed left-pad from package.json:3'),
    });
  });
});

describe('assertion drift', () => {
  it('a changed message string (changed files with before/after text)', () => {
    const c = classifyOne(failed('greets', JEST_GREETING), CHANGE);
    expect(c).toMatchObject({
      class: 'assertion-drift',
      evidence:
        'expected "Hello, Ada!", received "Welcome back, Ada!"; the change replaced "Hello" (src/user.js:6, removed) with "Welcome" (src/user.js:6, added)',
    });
  });

  it('a renamed field (the same change as a unified diff)', () => {
    const c = classifyOne(failed('maps', JEST_RENAME), { diff: unifiedDiff(CHANGE) });
    expect(c.class).toBe('assertion-drift');
    expect(c.evidence).toContain(
      'replaced "name" (src/user.js:2, removed) with "fullName" (src/user.js:2, added)',
    );
  });

  it('a changed constant (numbers count when the expected number was removed)', () => {
    const change: CodeChange = {
      files: [{ path: 'src/page.py', before: 'PAGE_SIZE = 20\n', after: 'PAGE_SIZE = 25\n' }],
    };
    expect(classifyOne(failed('test_page', 'assert 25 == 20'), change).class).toBe(
      'assertion-drift',
    );
  });
});

describe('regression (conservative)', () => {
  it('no change given: nothing can be explained', () => {
    expect(classifyOne(failed('greets', JEST_GREETING))).toMatchObject({
      class: 'regression',
      evidence:
        'expected "Hello, Ada!", received "Welcome back, Ada!"; no code change given to explain the difference',
    });
  });

  it('a change to tests only explains nothing', () => {
    const change: CodeChange = {
      files: [
        {
          path: 'src/user.test.js',
          before: "const g = 'Hello';\n",
          after: "const g = 'Welcome back';\n",
        },
      ],
    };
    expect(classifyOne(failed('greets', JEST_GREETING), change)).toMatchObject({
      class: 'regression',
      evidence: expect.stringContaining('the change touches no source file'),
    });
  });

  it('a received value the change did not write', () => {
    const message =
      'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: "Hello, Ada!"\nReceived: "Hello, Bob!"';
    expect(classifyOne(failed('greets', message), CHANGE)).toMatchObject({
      class: 'regression',
      evidence: expect.stringContaining('the expected "Ada" is on no line the change removed'),
    });
  });

  it('undefined, NaN, empty values and errors received', () => {
    const undef =
      'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: "Ada"\nReceived: undefined';
    expect(classifyOne(failed('a', undef), CHANGE)).toMatchObject({
      class: 'regression',
      evidence: 'received undefined where "Ada" was expected: the code produced nothing',
    });
    const partly =
      'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: "Hello, Ada!"\nReceived: "Welcome back, undefined!"';
    expect(classifyOne(failed('b', partly), CHANGE)).toMatchObject({
      class: 'regression',
      evidence: expect.stringContaining('the received value contains undefined'),
    });
  });

  it('a 5xx status is never drift, even when the change wrote it', () => {
    const change: CodeChange = {
      files: [{ path: 'src/routes.js', before: 'reply.code(200);\n', after: 'reply.code(500);\n' }],
    };
    expect(
      classifyOne(
        failed('status', 'Error: expected 200 "OK", got 500 "Internal Server Error"'),
        change,
      ),
    ).toMatchObject({ class: 'regression', evidence: expect.stringContaining('5xx') });
    expect(
      classifyOne(
        failed(
          'status',
          'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: 200\nReceived: 500',
        ),
        change,
      ).class,
    ).toBe('regression');
  });

  it('thrown errors', () => {
    expect(
      classifyOne(
        failed('t', "TypeError: Cannot read properties of undefined (reading 'name')"),
        CHANGE,
      ),
    ).toMatchObject({
      class: 'regression',
      evidence:
        "threw TypeError instead of failing an assertion: TypeError: Cannot read properties of undefined (reading 'name')",
    });
  });

  it('a bug in arithmetic: the expected number is still in the code', () => {
    const change: CodeChange = {
      files: [
        {
          path: 'src/cart.js',
          before: 'export const total = (a, b) => a + b;\n',
          after: 'export const total = (a, b) => a - b;\n',
        },
      ],
    };
    expect(
      classifyOne(
        failed(
          'total',
          'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: 5\nReceived: -1',
        ),
        change,
      ).class,
    ).toBe('regression');
  });
});

describe('which tests are classified', () => {
  it('only tests that passed before and fail now; a file that stopped loading counts', () => {
    const file = '/project/src/order.test.js';
    const previous = report([
      passed('still passes'),
      { ...failed('failed before too', 'x'), id: 'f0' },
      { ...passed('skipped now'), id: 's0' },
      passed('removed test'),
      passed('a', file),
      passed('b', file),
    ]);
    const current = report([
      passed('still passes'),
      { ...failed('failed before too', 'x'), id: 'f0' },
      { ...passed('skipped now'), id: 's0', status: 'skipped' },
      {
        id: file,
        name: file,
        file,
        status: 'errored',
        durationMs: 0,
        failure: { message: "SyntaxError: Unexpected token '}'" },
      },
    ]);
    const out = classifyFailures({ previous, current, change: CHANGE });
    expect(out.map((c) => [c.test.name, c.class, c.test.status])).toEqual([
      ['a', 'regression', 'errored'],
      ['b', 'regression', 'errored'],
    ]);
    expect(out[0]!.evidence).toBe(
      "threw SyntaxError instead of failing an assertion: SyntaxError: Unexpected token '}'",
    );
  });
});

describe('changedFiles', () => {
  it('reads added, removed and renamed files from a git diff', () => {
    const files = changedFiles({
      diff: [
        'diff --git a/src/a.js b/src/b.js',
        'similarity index 90%',
        'rename from src/a.js',
        'rename to src/b.js',
        '--- a/src/a.js',
        '+++ b/src/b.js',
        '@@ -1,2 +1,2 @@',
        ' const x = 1;',
        "-export const label = 'old';",
        "+export const label = 'new';",
        '',
      ].join('\n'),
    });
    expect(files).toEqual([
      {
        path: 'src/b.js',
        oldPath: 'src/a.js',
        created: false,
        deleted: false,
        added: [{ line: 2, text: "export const label = 'new';" }],
        removed: [{ line: 2, text: "export const label = 'old';" }],
        unchanged: ['const x = 1;'],
      },
    ]);
  });
});
