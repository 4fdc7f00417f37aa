import { existsSync, readdirSync, statSync } from 'node:fs';
import { SECURITY_RULES, checkSecurity } from '../../src/validators/index.js';
import type { SecurityRuleId, SourceFile } from '../../src/validators/index.js';
import { fixturePath, fixtureTree } from './helpers.js';

jest.setTimeout(60_000);

/** fixture case → the rule its vulnerable sample must trigger (and its fixed twin must not). */
const CASES: Record<string, { rule: SecurityRuleId; count?: number; severity?: string }> = {
  'sql-injection-template-ts': { rule: 'security/sql-injection', count: 1, severity: 'critical' },
  'sql-injection-concat-js': { rule: 'security/sql-injection', count: 1, severity: 'critical' },
  'sql-injection-py': { rule: 'security/sql-injection', count: 1 },
  'command-injection-ts': { rule: 'security/command-injection', count: 1 },
  'command-injection-py': { rule: 'security/command-injection', count: 1 },
  'code-eval-js': { rule: 'security/code-eval', count: 2 },
  'code-eval-vm-ts': { rule: 'security/code-eval', count: 1 },
  'code-eval-py': { rule: 'security/code-eval', count: 1 },
  'path-traversal-ts': { rule: 'security/path-traversal', count: 1 },
  'path-traversal-express-js': { rule: 'security/path-traversal', count: 2 },
  'hardcoded-secret-ts': { rule: 'security/hardcoded-secret', count: 2 },
  'hardcoded-secret-fallback-ts': { rule: 'security/hardcoded-secret', count: 1 },
  'hardcoded-secret-py': { rule: 'security/hardcoded-secret', count: 2 },
  'weak-password-hash-ts': { rule: 'security/weak-password-hash', count: 1 },
  'weak-password-hash-py': { rule: 'security/weak-password-hash', count: 1 },
  'weak-cipher-ts': { rule: 'security/weak-cipher', count: 2 },
  'insecure-random-ts': { rule: 'security/insecure-random', count: 3 },
  'insecure-random-py': { rule: 'security/insecure-random', count: 1 },
  'missing-authz-fastify-ts': { rule: 'security/missing-authz', count: 2 },
  'missing-authz-express-js': { rule: 'security/missing-authz', count: 3 },
  'missing-authz-plugin-scope-ts': { rule: 'security/missing-authz', count: 1 },
  'missing-authz-mounted-js': { rule: 'security/missing-authz', count: 1 },
};

function variant(caseName: string, kind: 'vulnerable' | 'fixed'): SourceFile[] {
  const dir = fixturePath('security', caseName);
  if (existsSync(`${dir}/${kind}`) && statSync(`${dir}/${kind}`).isDirectory())
    return fixtureTree(`security/${caseName}/${kind}`);
  const name = readdirSync(dir).find((n) => n.startsWith(`${kind}.`))!;
  return fixtureTree(`security/${caseName}`).filter(
    (f) => f.path === name.replace(/\.fixture$/, ''),
  );
}

describe('security rules', () => {
  it('has a vulnerable/fixed fixture pair for every case, covering every rule except the informational weak-hash', () => {
    expect(readdirSync(fixturePath('security')).sort()).toEqual(Object.keys(CASES).sort());
    const covered = new Set(Object.values(CASES).map((c) => c.rule));
    for (const id of Object.keys(SECURITY_RULES))
      if (id !== 'security/weak-hash') expect(covered).toContain(id);
  });

  describe.each(Object.entries(CASES))('%s', (caseName, expected) => {
    it(`flags the vulnerable sample with ${expected.rule}`, async () => {
      const files = variant(caseName, 'vulnerable');
      const result = await checkSecurity(files);
      const hits = result.findings.filter((f) => f.ruleId === expected.rule);
      expect(hits.length).toBeGreaterThan(0);
      if (expected.count !== undefined) expect(hits).toHaveLength(expected.count);
      for (const f of hits) {
        expect(files.map((x) => x.path)).toContain(f.file);
        expect(f.line).toBeGreaterThanOrEqual(1);
        expect(f.message.length).toBeGreaterThan(10);
        expect(f.severity).toBe(expected.severity ?? SECURITY_RULES[expected.rule].severity);
      }
      expect(result.status).toBe('failed');
    });

    it('does not flag the fixed twin', async () => {
      const result = await checkSecurity(variant(caseName, 'fixed'));
      expect(result.findings).toEqual([]);
      expect(result.status).toBe('passed');
    });
  });

  it('reports rule id, severity, file and line', async () => {
    const result = await checkSecurity([
      {
        path: 'src/run.ts',
        content:
          "import * as cp from 'child_process';\n\nexport const run = (cmd: string) => cp.execSync(cmd);\n",
      },
    ]);
    expect(result.findings).toEqual([
      expect.objectContaining({
        check: 'security',
        ruleId: 'security/command-injection',
        severity: 'critical',
        file: 'src/run.ts',
        line: 3,
        column: 37,
      }),
    ]);
  });

  it('tells RegExp#exec and tagged sql templates apart from the sinks', async () => {
    const result = await checkSecurity([
      {
        path: 'src/safe.ts',
        content: [
          "import { sql } from 'drizzle-orm';",
          'const re = /(\\d+)/;',
          'export const m = (s: string) => re.exec(s);',
          'export const q = (db: any, id: string) => db.execute(sql`SELECT * FROM t WHERE id = ${id}`);',
          "export const h = (s: string) => require('crypto').createHash('md5').update(s).digest('hex');",
        ].join('\n'),
      },
    ]);
    // md5 outside a password context is informational (low), not blocking
    expect(result.findings.map((f) => [f.ruleId, f.severity])).toEqual([
      ['security/weak-hash', 'low'],
    ]);
    expect(result.status).toBe('passed');
  });

  it('leaves tests alone for rules that expect fake credentials there', async () => {
    const content = "const password = 'correct-horse-battery';\nexport default password;\n";
    expect((await checkSecurity([{ path: 'test/auth.test.ts', content }])).findings).toEqual([]);
    expect((await checkSecurity([{ path: 'src/auth.ts', content }])).findings).toHaveLength(1);
  });

  it('does not require auth on mutating routes when the app has no auth at all', async () => {
    const files = variant('missing-authz-express-js', 'vulnerable').map((f) => ({
      ...f,
      content: f.content
        .replace("const jwt = require('jsonwebtoken');\n", '')
        .replace(/jwt\.verify\([^;]+;/, 'null;'),
    }));
    const result = await checkSecurity(files);
    expect(result.findings.filter((f) => f.ruleId === 'security/missing-authz')).toEqual([]);
  });
});
