import { cleanFailureText, failureText, parseAssertion, thrownError } from './assertions.js';

// Failure texts as the tools print them (jest 30.5, vitest 3.2, node 20 node:test / assert,
// pytest 9.0): produced by running tiny real tests; stack frames trimmed, paths → /project.

const JEST_TOBE = {
  message:
    'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: "Hello, Ada!"\nReceived: "Hi, Ada!"',
  stack:
    'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: "Hello, Ada!"\nReceived: "Hi, Ada!"\n    at Object.toBe (/project/sample.test.js:4:50)\n    at Promise.finally.completed (/project/node_modules/.pnpm/jest-circus@30.5.2/node_modules/jest-circus/build/jestAdapterInit.js:1834:28)',
};

const JEST_TOEQUAL =
  'Error: expect(received).toEqual(expected) // deep equality\n\n- Expected  - 1\n+ Received  + 1\n\n  Object {\n+   "fullName": "Ada",\n    "id": 1,\n-   "name": "Ada",\n  }\n    at Object.toEqual (/project/sample.test.js:5:47)';

const JEST_TOHAVELENGTH =
  'Error: expect(received).toHaveLength(expected)\n\nExpected length: 2\nReceived length: 3\nReceived array:  [1, 2, 3]\n    at Object.toHaveLength (/project/sample.test.js:18:46)';

const JEST_TOTHROW =
  "Error: expect(received).toThrow(expected)\n\nExpected substring: \"invalid email\"\nReceived message:   \"Invalid email address\"\n\n      12 | test('missing module', () => { require('left-pad-not-here'); });\n    > 14 | test('toThrow', () => { expect(() => { throw new Error('Invalid email address'); }).toThrow('invalid email'); });\n         |                                              ^\n\n      at sample.test.js:14:46\n    at Object.toThrow (/project/sample.test.js:14:85)";

const JEST_TOHAVEPROPERTY =
  'Error: expect(received).toHaveProperty(path, value)\n\nExpected path: "name"\nReceived path: []\n\nExpected value: "Ada"\nReceived value: {"fullName": "Ada", "id": 1}\n    at Object.toHaveProperty (/project/sample.test.js:15:47)';

const VITEST_JSON =
  "AssertionError: expected 'Hi, Ada!' to be 'Hello, Ada!' // Object.is equality\n    at /project/t.test.js:3:47\n    at file:///project/node_modules/@vitest/runner/dist/chunk-hooks.js:155:11\n    at runWithTimeout (file:///project/node_modules/@vitest/runner/dist/chunk-hooks.js:1863:10)";

const VITEST_JUNIT = {
  message: "expected { id: 1, fullName: 'Ada' } to deeply equal { id: 1, name: 'Ada' }",
  stack:
    'AssertionError: expected { id: 1, fullName: \'Ada\' } to deeply equal { id: 1, name: \'Ada\' }\n\n- Expected\n+ Received\n\n  {\n+   "fullName": "Ada",\n    "id": 1,\n-   "name": "Ada",\n  }\n\n ❯ t.test.js:4:64',
};

const VITEST_CHAI_EQUAL = {
  message: 'expected 500 to equal 200',
  stack:
    'AssertionError: expected 500 to equal 200\n\n- Expected\n+ Received\n\n- 200\n+ 500\n\n ❯ t.test.js:5:35',
};

const NODE_TEST_STRICT = {
  message: "Expected values to be strictly equal:+ actual - expected+ 'Hi, Ada!'- 'Hello, Ada!'",
  type: 'testCodeFailure',
  stack:
    "Error [ERR_TEST_FAILURE]: Expected values to be strictly equal:\n+ actual - expected\n\n+ 'Hi, Ada!'\n- 'Hello, Ada!'\n    at AsyncResource.runInAsyncScope (node:async_hooks:206:9) {\n  code: 'ERR_TEST_FAILURE',\n  failureType: 'testCodeFailure',\n  cause: AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:\n  + actual - expected\n  \n  + 'Hi, Ada!'\n  - 'Hello, Ada!'\n      at TestContext.<anonymous> (file:///project/t.test.mjs:4:40)\n      at Test.runInAsyncScope (node:async_hooks:206:9)",
};

const NODE_TEST_NUMBERS = {
  message: 'Expected values to be strictly equal:500 !== 200',
  stack:
    "[Error [ERR_TEST_FAILURE]: Expected values to be strictly equal:\n\n500 !== 200\n] {\n  code: 'ERR_TEST_FAILURE',\n  failureType: 'testCodeFailure',\n  cause: AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:\n  \n  500 !== 200\n  \n      at TestContext.<anonymous> (file:///project/t.test.mjs:6:34)",
};

const PYTEST_MESSAGE =
  "AssertionError: assert 'Hi, Ada!' == 'Hello, Ada!'\n  \n  - Hello, Ada!\n  + Hi, Ada!";
const PYTEST_BODY =
  '>   def test_str(): assert greet("Ada") == "Hello, Ada!"\n                    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\nE   AssertionError: assert \'Hi, Ada!\' == \'Hello, Ada!\'\nE     \nE     - Hello, Ada!\nE     + Hi, Ada!\n\ntest_sample.py:4: AssertionError';

const PYTEST_DICT =
  "AssertionError: assert {'full_name': 'Ada', 'id': 1} == {'id': 1, 'name': 'Ada'}\n  \n  Omitting 1 identical items, use -vv to show\n  Left contains 1 more item:\n  {'full_name': 'Ada'}\n  Right contains 1 more item:\n  {'name': 'Ada'}\n  Use -v to get more diff";

const PYTEST_WHERE = "AssertionError: assert 4 == 5\n +  where 4 = area('square', 2)";

describe('parseAssertion', () => {
  it('jest toBe: Expected / Received', () => {
    expect(parseAssertion(JEST_TOBE)).toEqual({
      formats: ['jest'],
      expected: ['"Hello, Ada!"'],
      received: ['"Hi, Ada!"'],
    });
  });

  it('jest toEqual: the - Expected / + Received diff lines only, not the context', () => {
    expect(parseAssertion(JEST_TOEQUAL)).toEqual({
      formats: ['diff'],
      expected: ['"name": "Ada",'],
      received: ['"fullName": "Ada",'],
    });
  });

  it('jest toHaveLength: the paired labels win over the received array', () => {
    expect(parseAssertion(JEST_TOHAVELENGTH)).toMatchObject({ expected: ['2'], received: ['3'] });
  });

  it('jest toThrow: substring vs message, ignoring the quoted test source', () => {
    expect(parseAssertion(JEST_TOTHROW)).toEqual({
      formats: ['jest'],
      expected: ['"invalid email"'],
      received: ['"Invalid email address"'],
    });
  });

  it('jest toHaveProperty: path and value pairs', () => {
    expect(parseAssertion(JEST_TOHAVEPROPERTY)).toMatchObject({
      expected: ['"name"', '"Ada"'],
      received: ['[]', '{"fullName": "Ada", "id": 1}'],
    });
  });

  it('vitest (chai) from JSON and from JUnit with its diff', () => {
    expect(parseAssertion(VITEST_JSON)).toEqual({
      formats: ['chai'],
      expected: ["'Hello, Ada!'"],
      received: ["'Hi, Ada!'"],
    });
    expect(parseAssertion(VITEST_JUNIT)).toEqual({
      formats: ['diff', 'chai'],
      expected: ['"name": "Ada",', "{ id: 1, name: 'Ada' }"],
      received: ['"fullName": "Ada",', "{ id: 1, fullName: 'Ada' }"],
    });
    expect(parseAssertion(VITEST_CHAI_EQUAL)).toEqual({
      formats: ['diff', 'chai'],
      expected: ['200'],
      received: ['500'],
    });
  });

  it('node:test strictEqual: + actual - expected, read once despite the repeated cause', () => {
    expect(parseAssertion(NODE_TEST_STRICT)).toEqual({
      formats: ['diff'],
      expected: ["'Hello, Ada!'"],
      received: ["'Hi, Ada!'"],
    });
    expect(parseAssertion(NODE_TEST_NUMBERS)).toEqual({
      formats: ['node-assert'],
      expected: ['200'],
      received: ['500'],
    });
    expect(parseAssertion({ message: NODE_TEST_NUMBERS.message })).toEqual({
      formats: ['node-assert'],
      expected: ['200'],
      received: ['500'],
    });
    expect(parseAssertion('AssertionError [ERR_ASSERTION]: 1 == 2')).toEqual({
      formats: ['node-assert'],
      expected: ['2'],
      received: ['1'],
    });
  });

  it('pytest: assert left == right, from the message or the E lines of the traceback', () => {
    const expected = {
      formats: ['pytest'],
      expected: ["'Hello, Ada!'", 'Hello, Ada!'],
      received: ["'Hi, Ada!'", 'Hi, Ada!'],
    };
    expect(parseAssertion(PYTEST_MESSAGE)).toEqual(expected);
    expect(parseAssertion({ message: PYTEST_MESSAGE, stack: PYTEST_BODY })).toEqual(expected);
  });

  it('pytest: dict differences and "where" values', () => {
    expect(parseAssertion(PYTEST_DICT)).toEqual({
      formats: ['pytest'],
      expected: ["{'id': 1, 'name': 'Ada'}", "{'name': 'Ada'}"],
      received: ["{'full_name': 'Ada', 'id': 1}", "{'full_name': 'Ada'}"],
    });
    expect(parseAssertion(PYTEST_WHERE)).toEqual({
      formats: ['pytest'],
      expected: ['5'],
      received: ['4'],
    });
    expect(
      parseAssertion("AssertionError: assert 4 == 5\n +  where 4 = area('square', 2)"),
    ).toEqual({ formats: ['pytest'], expected: ['5'], received: ['4'] });
  });

  it('unittest and supertest', () => {
    expect(parseAssertion("AssertionError: 'Hi, Ada!' != 'Hello, Ada!'")).toEqual({
      formats: ['unittest'],
      expected: ["'Hello, Ada!'"],
      received: ["'Hi, Ada!'"],
    });
    expect(
      parseAssertion(
        'Error: expected 200 "OK", got 500 "Internal Server Error"\n    at Test._assertStatus',
      ),
    ).toEqual({
      formats: ['supertest'],
      expected: ['200 "OK"'],
      received: ['500 "Internal Server Error"'],
    });
  });

  it('thrown errors are not assertions', () => {
    const typeError =
      "TypeError: Cannot read properties of undefined (reading 'name')\n    at Object.name (/project/sample.test.js:8:58)";
    expect(parseAssertion(typeError)).toBeUndefined();
    expect(thrownError(typeError)).toBe('TypeError');
    expect(thrownError("KeyError: 'name'")).toBe('KeyError');
    expect(
      thrownError(
        "[Error [ERR_TEST_FAILURE]: boom] {\n  code: 'ERR_TEST_FAILURE',\n  cause: TypeError [Error]: boom",
      ),
    ).toBe('TypeError');
    expect(thrownError('AssertionError: assert 1 == 2')).toBeUndefined();
  });
});

describe('failure text', () => {
  it('prefers a stack that holds the message; JUnit messages lose their newlines', () => {
    expect(failureText(NODE_TEST_STRICT)).toBe(NODE_TEST_STRICT.stack);
    expect(failureText({ message: 'boom' })).toBe('boom');
    expect(failureText({ message: 'first', stack: 'other' })).toBe('first\nother');
  });

  it('drops frames and code frames, keeps pytest E lines only', () => {
    expect(cleanFailureText(JEST_TOTHROW)).toBe(
      'Error: expect(received).toThrow(expected)\n\nExpected substring: "invalid email"\nReceived message:   "Invalid email address"\n\n',
    );
    expect(cleanFailureText(PYTEST_BODY)).toBe(
      "AssertionError: assert 'Hi, Ada!' == 'Hello, Ada!'\n\n- Hello, Ada!\n+ Hi, Ada!",
    );
  });
});
