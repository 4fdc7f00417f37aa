import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyFailures, planHealing } from '../../src/healing/index.js';
import type { ProposeUpdateRequest, ProposedUpdate } from '../../src/healing/index.js';
import { parseJestJson, parseJUnitXml } from '../../src/reports/index.js';
import type { TestReport } from '../../src/reports/index.js';

// Real jest and pytest reports of the same tests before and after one code change, and the
// change as a unified diff (fixtures/generate.sh).
const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const diff = fixture('change.diff');

const runs: Array<[string, TestReport, TestReport]> = [
  ['jest', parseJestJson(fixture('jest.before.json')), parseJestJson(fixture('jest.after.json'))],
  [
    'pytest',
    parseJUnitXml(fixture('pytest.before.xml')),
    parseJUnitXml(fixture('pytest.after.xml')),
  ],
];

// What the change intended (greeting, rename, error message, page size) is drift; the two
// mistakes and the caller the rename broke are regressions; the refused connection is the
// environment.
const EXPECTED: Record<string, Record<string, string>> = {
  jest: {
    'greets by name': 'assertion-drift',
    'maps a row to a user': 'assertion-drift',
    'initials of a user': 'regression',
    'rejects a bad email': 'assertion-drift',
    'totals an order': 'regression',
    'an unknown order is not found': 'regression',
    'the first page holds 20 items': 'assertion-drift',
    'reaches the inventory service': 'environment',
  },
  pytest: {
    test_greets_by_name: 'assertion-drift',
    test_maps_a_row_to_a_user: 'assertion-drift',
    test_initials_of_a_user: 'regression',
    test_totals_an_order: 'regression',
    test_an_unknown_order_is_not_found: 'regression',
    test_the_first_page_holds_20_items: 'assertion-drift',
    test_reaches_the_inventory_service: 'environment',
  },
};

describe.each(runs)('%s: before and after the change', (runner, previous, current) => {
  it('every test passed before the change', () => {
    expect(previous.tests.every((t) => t.status === 'passed')).toBe(true);
  });

  it('classifies each newly failing test', () => {
    const out = classifyFailures({ previous, current, change: { diff } });
    expect(Object.fromEntries(out.map((c) => [c.test.name, c.class]))).toEqual(EXPECTED[runner]);
  });

  it('says which changed lines explain a drift, in the test’s language', () => {
    const out = classifyFailures({ previous, current, change: { diff } });
    const greet = out.find((c) => /greets_by_name|greets by name/.test(c.test.name))!;
    const source = runner === 'jest' ? 'users.cjs' : 'users.py';
    const line = runner === 'jest' ? 6 : 7;
    expect(greet.evidence).toContain(
      `the change replaced "Hello" (${source}:${line}, removed) with "Hi" (${source}:${line}, added)`,
    );
    const total = out.find((c) => /totals/.test(c.test.name))!;
    expect(total.evidence).toBe(
      'expected 35, received 25; not explained by the change: the expected "35" is on no line the change removed',
    );
  });

  it('without the change nothing is drift', () => {
    const out = classifyFailures({ previous, current });
    expect(out.filter((c) => c.class === 'assertion-drift')).toEqual([]);
  });

  it('a run the sandbox stopped is the environment, test by test', () => {
    const out = classifyFailures({
      previous,
      current,
      change: { diff },
      sandbox: { stoppedBy: 'wall-time', reason: 'killed after 600000 ms of wall time' },
    });
    expect(new Set(out.map((c) => c.class))).toEqual(new Set(['environment']));
    expect(out[0]!.evidence).toBe(
      'the sandbox stopped the run (wall-time: killed after 600000 ms of wall time)',
    );
  });

  it('heals verified drift only, and never shows a regression to the QA agent', async () => {
    const asked: ProposeUpdateRequest[] = [];
    const testFile = runner === 'jest' ? 'users.jest.cjs' : 'test_users.py';
    const plan = await planHealing(classifyFailures({ previous, current, change: { diff } }), {
      change: { diff },
      proposeUpdate: async (req) => {
        asked.push(req);
        return { file: testFile, content: `# updated for ${req.test.name}\n` };
      },
      // The re-run passes except for the greeting test.
      verify: async (_u: ProposedUpdate, req) => !/greets/.test(req.test.name),
    });
    const drift = Object.values(EXPECTED[runner]!).filter((c) => c === 'assertion-drift').length;
    expect(asked.map((r) => EXPECTED[runner]![r.test.name])).toEqual(
      Array(drift).fill('assertion-drift'),
    );
    expect(asked[0]!.diff).toBe(diff);
    expect(plan.counts).toEqual({
      drift,
      healed: drift - 1,
      rejected: 1,
      regressions: 3,
      environment: 1,
    });
    expect(plan.rejected[0]!.reason).toBe('the test still fails with the update');
  });
});
