import type { TestCase } from '../reports/index.js';
import type { FailureClassification } from './classify.js';
import { planHealing } from './plan.js';
import type { ProposeUpdateRequest, ProposedUpdate } from './plan.js';

const test = (name: string, file: string | null = '/project/src/user.test.ts'): TestCase => ({
  id: `${file ?? 'suite'} > ${name}`,
  name,
  ...(file ? { file } : {}),
  status: 'failed',
  durationMs: 1,
  failure: {
    message:
      'Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: "Hello, Ada!"\nReceived: "Hi, Ada!"',
  },
});

const drift = (name: string, file?: string | null): FailureClassification => ({
  test: test(name, file),
  class: 'assertion-drift',
  evidence: 'the change replaced "Hello" (src/user.ts:6, removed) with "Hi" (src/user.ts:6, added)',
});

const CHANGE = {
  files: [
    {
      path: 'src/user.ts',
      before: 'export const greet = (n: string) => `Hello, ${n}!`;\n',
      after: 'export const greet = (n: string) => `Hi, ${n}!`;\n',
    },
  ],
};

describe('planHealing', () => {
  it('asks the QA agent about drift only and keeps updates the re-run confirms', async () => {
    const asked: ProposeUpdateRequest[] = [];
    const verified: ProposedUpdate[] = [];
    const plan = await planHealing(
      [
        drift('greets'),
        { test: test('totals'), class: 'regression', evidence: 'expected 35, received 25' },
        { test: test('inventory'), class: 'environment', evidence: 'network: ECONNREFUSED' },
      ],
      {
        change: CHANGE,
        proposeUpdate: async (req) => {
          asked.push(req);
          return { file: 'src/user.test.ts', content: "expect(greet('Ada')).toBe('Hi, Ada!');\n" };
        },
        verify: async (update) => {
          verified.push(update);
          return true;
        },
      },
    );
    expect(asked.map((r) => r.test.name)).toEqual(['greets']);
    expect(asked[0]).toMatchObject({
      file: '/project/src/user.test.ts',
      evidence: expect.stringContaining('replaced "Hello"'),
      diff: expect.stringContaining('-export const greet = (n: string) => `Hello, ${n}!`;'),
    });
    expect(asked[0]!.diff).toContain('+++ b/src/user.ts');
    expect(verified).toHaveLength(1);
    expect(plan.counts).toEqual({
      drift: 1,
      healed: 1,
      rejected: 0,
      regressions: 1,
      environment: 1,
    });
    expect(plan.healed[0]!.update.file).toBe('src/user.test.ts');
    expect(plan.regressions).toEqual([
      { test: expect.objectContaining({ name: 'totals' }), evidence: 'expected 35, received 25' },
    ]);
  });

  it('rejects: no proposal, a failing re-run, an update to code, agent or re-run errors', async () => {
    const plan = await planHealing(
      [
        drift('no proposal'),
        drift('still fails'),
        drift('edits the code'),
        drift('agent down'),
        drift('verify crashes'),
        drift('empties the file'),
      ],
      {
        proposeUpdate: async ({ test: t }) => {
          if (t.name === 'no proposal') return null;
          if (t.name === 'agent down') throw new Error('router: UNAVAILABLE');
          if (t.name === 'edits the code') return { file: 'src/user.ts', content: 'x' };
          if (t.name === 'empties the file') return { file: 'src/user.test.ts', content: '  \n' };
          return { file: 'src/user.test.ts', content: 'updated' };
        },
        verify: async (_u, { test: t }) => {
          if (t.name === 'verify crashes') throw new Error('sandbox unavailable');
          return false;
        },
      },
    );
    expect(plan.healed).toEqual([]);
    expect(plan.rejected.map((r) => [r.test.name, r.reason])).toEqual([
      ['no proposal', 'the QA agent proposed no update'],
      ['still fails', 'the test still fails with the update'],
      [
        'edits the code',
        "the update changes src/user.ts, not the test's file (/project/src/user.test.ts): healing only edits the failing test",
      ],
      ['agent down', 'proposeUpdate failed: router: UNAVAILABLE'],
      ['verify crashes', 'verify failed: sandbox unavailable'],
      ['empties the file', 'the update empties the test file'],
    ]);
    expect(plan.counts).toMatchObject({ drift: 6, healed: 0, rejected: 6 });
  });

  it('without a file in the report, only a test file may be changed', async () => {
    const plan = await planHealing([drift('a', null), drift('b', null)], {
      proposeUpdate: async ({ test: t }) => ({
        file: t.name === 'a' ? 'tests/test_users.py' : 'users.py',
        content: 'x',
      }),
      verify: async () => true,
    });
    expect(plan.healed.map((h) => h.test.name)).toEqual(['a']);
    expect(plan.rejected.map((r) => r.test.name)).toEqual(['b']);
    expect(plan.rejected[0]!.reason).toBe(
      "the update changes users.py, not the test's file: healing only edits the failing test",
    );
  });
});
