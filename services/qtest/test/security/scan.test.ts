import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadVulnDb, scanProject, securityGate, VulnDbError } from '../../src/security/index.js';
import type { SecurityScanReport, VulnDb } from '../../src/security/index.js';

// A trimmed OSV snapshot: real advisories (GHSA, PYSEC, RUSTSEC, GO) cut to the fields the audit
// reads, plus one withdrawn record.
const OSV_DIR = join(__dirname, 'fixtures', 'osv');

// Built at run time so that no scanner (ours or a host's) sees a credential in this file.
const AWS_KEY_ID = ['AKIA', 'Z7VRSQ5TJN2XWKQB'].join('');

const lock = (packages: Record<string, unknown>) =>
  JSON.stringify(
    {
      name: 'shop',
      version: '1.0.0',
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name: 'shop', version: '1.0.0' }, ...packages },
    },
    null,
    2,
  );

const VULNERABLE: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'shop', version: '1.0.0', main: 'src/app.js' }),
  'package-lock.json': lock({
    'node_modules/lodash': { version: '4.17.20' },
    'node_modules/minimist': { version: '1.2.5', dev: true },
    'node_modules/request': { version: '2.88.2' },
    'node_modules/json5': { version: '1.0.1' },
    'node_modules/webpack/node_modules/lodash': { version: '4.17.21' },
  }),
  'src/app.js': `const express = require('express');
const mysql = require('mysql2');

const connection = mysql.createConnection({ host: 'db', user: 'app', database: 'shop' });
const app = express();

app.get('/calc', (req, res) => {
  const result = eval(req.query.expr);
  res.json({ result });
});

app.get('/users/:id', (req, res) => {
  const sql = 'SELECT id, name FROM users WHERE id = ' + req.params.id;
  connection.query(sql, (err, rows) => {
    if (err) return res.status(500).end();
    res.json(rows);
  });
});

module.exports = app;
`,
  'src/aws.js': `module.exports = {\n  region: 'eu-west-1',\n  accessKeyId: '${AWS_KEY_ID}',\n};\n`,
  'requirements.txt': 'PyYAML==5.3.1\nrequests>=2.0\n',
  'Cargo.lock': `version = 3

[[package]]
name = "time"
version = "0.2.22"
source = "registry+https://github.com/rust-lang/crates.io-index"
`,
  'go.sum': 'golang.org/x/text v0.3.7 h1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=\n',
  // Other people's code and build output: never scanned.
  'node_modules/evil/index.js': 'module.exports = (s) => eval(s);\n',
  'dist/app.js': 'eval(process.argv[2]);\n',
  'coverage/lcov-report/prettify.js': 'eval(x);\n',
};

const CLEAN: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'clean', version: '1.0.0' }),
  'package-lock.json': lock({
    'node_modules/lodash': { version: '4.17.21' },
    'node_modules/minimist': { version: '1.2.8' },
  }),
  'src/index.js': `const { randomUUID } = require('node:crypto');

function newOrder(items) {
  return { id: randomUUID(), items, total: items.reduce((n, i) => n + i.price, 0) };
}

async function findUser(db, id) {
  return db.query('SELECT id, name FROM users WHERE id = $1', [id]);
}

module.exports = { newOrder, findUser, secret: process.env.API_SECRET };
`,
  'README.md': '# clean\n\nSet `AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE` in your shell.\n',
};

const dirs: string[] = [];
async function project(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ql-secscan-'));
  dirs.push(dir);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const brief = (r: SecurityScanReport) =>
  r.findings.map((f) => `${f.source} ${f.severity} ${f.rule} ${f.file}:${f.line ?? ''}`);

describe('scanProject', () => {
  let db: VulnDb;
  beforeAll(async () => {
    db = await loadVulnDb(OSV_DIR);
  });

  it('finds the rule violations, the secret and the vulnerable locked packages', async () => {
    const dir = await project(VULNERABLE);
    await writeFile(join(dir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
    await writeFile(join(dir, 'huge.js'), `// ${'x'.repeat(3000)}\neval(input);\n`);
    await symlink('/etc/passwd', join(dir, 'passwd.txt'));

    const report = await scanProject({ dir, vulnDb: OSV_DIR, maxFileBytes: 2048 });

    expect(brief(report)).toEqual([
      'dependency medium dependency/vulnerable-package Cargo.lock:3',
      'dependency medium dependency/vulnerable-package go.sum:1',
      'dependency high dependency/vulnerable-package package-lock.json:11',
      'dependency critical dependency/vulnerable-package package-lock.json:14',
      'dependency medium dependency/vulnerable-package package-lock.json:18',
      'dependency critical dependency/vulnerable-package requirements.txt:1',
      'rule high security/code-eval src/app.js:8',
      'rule critical security/sql-injection src/app.js:14',
      'secret critical secrets/aws-access-key-id src/aws.js:3',
    ]);
    const byPackage = Object.fromEntries(
      report.findings.filter((f) => f.advisory).map((f) => [f.advisory!.package, f.advisory!]),
    );
    expect(byPackage['lodash']).toEqual({
      id: 'GHSA-35jh-r3h4-6jhm',
      aliases: ['CVE-2021-23337'],
      ecosystem: 'npm',
      package: 'lodash',
      version: '4.17.20',
      fixed: '4.17.21',
      severitySource: 'database_specific.severity',
    });
    expect(byPackage['minimist']).toMatchObject({ id: 'GHSA-xvch-5gv4-984h', dev: true });
    // last_affected: 2.88.2 is the last affected version and there is no fix.
    expect(byPackage['request']).toMatchObject({ id: 'GHSA-p8p7-x288-28g6' });
    expect(byPackage['request']!.fixed).toBeUndefined();
    // GHSA and PYSEC describe the same flaw: reported once, with GHSA's rating.
    expect(byPackage['pyyaml']).toMatchObject({
      id: 'GHSA-8q59-q68h-6hv4',
      fixed: '5.4',
      severitySource: 'database_specific.severity',
    });
    expect(byPackage['time']).toMatchObject({
      id: 'RUSTSEC-2020-0071',
      severitySource: 'severity CVSS_V3 5.9',
    });
    expect(byPackage['golang.org/x/text']).toMatchObject({
      id: 'GO-2022-1059',
      fixed: '0.3.8',
      severitySource: 'unknown (no rating in the advisory)',
    });
    const lodash = report.findings.find((f) => f.advisory?.package === 'lodash')!;
    expect(lodash.message).toBe(
      'lodash@4.17.20: Command Injection in lodash (GHSA-35jh-r3h4-6jhm, CVE-2021-23337); fixed in 4.17.21',
    );
    const secret = report.findings.find((f) => f.source === 'secret')!;
    expect(JSON.stringify(secret)).not.toContain(AWS_KEY_ID);

    expect(report.counts).toEqual({ critical: 4, high: 2, medium: 3, low: 0, info: 0 });
    expect(report.audited).toEqual({
      lockfiles: ['Cargo.lock', 'go.sum', 'package-lock.json', 'requirements.txt'],
      packages: 8,
      advisoriesChecked: 9,
      database: OSV_DIR,
    });
    expect(report.skipped).toEqual([
      { path: 'huge.js', reason: 'too-large' },
      { path: 'logo.png', reason: 'binary' },
      { path: 'passwd.txt', reason: 'symlink' },
    ]);
    expect(report.incomplete).toEqual([]);
    expect(report.notes).toEqual([
      'not scanned (size limits): huge.js',
      'requirements.txt: 1 requirements not pinned with == cannot be audited',
    ]);
    expect(report.summary).toBe(
      '9 findings (4 critical, 2 high, 3 medium) in 4 files; dependency audit: 8 packages from 4 lock files against 9 advisories',
    );

    const gate = securityGate(report);
    expect(gate.ok).toBe(false);
    expect(gate.reasons).toContain('secret: secrets/aws-access-key-id in src/aws.js:3');
    expect(gate.reasons.filter((r) => r.includes('vulnerable dependency'))).toHaveLength(3);
    expect(
      gate.reasons.some((r) => r.startsWith('high security finding: security/code-eval')),
    ).toBe(true);
  });

  it('a clean project has no findings and passes the gate', async () => {
    const dir = await project(CLEAN);
    const report = await scanProject({ dir, vulnDb: db });
    expect(report.findings).toEqual([]);
    expect(report.counts).toEqual({ critical: 0, high: 0, medium: 0, low: 0, info: 0 });
    expect(report.audited).toMatchObject({ lockfiles: ['package-lock.json'], packages: 2 });
    expect(securityGate(report)).toEqual({ ok: true, reasons: [] });
  });

  it('without a database the audit is reported as not run, not as clean', async () => {
    const dir = await project(VULNERABLE);
    const report = await scanProject({ dir });
    expect(report.audited).toBeNull();
    expect(report.findings.some((f) => f.source === 'dependency')).toBe(false);
    expect(report.notes).toContain(
      'dependency audit not run: no vulnerability database configured',
    );
    expect(report.summary).toMatch(/dependency audit not run \(no vulnerability database\)$/);
  });

  it('reads a snapshot given as one JSON array file', async () => {
    const records: unknown[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(d, e.name));
        else records.push(JSON.parse(await readFile(join(d, e.name), 'utf8')));
      }
    };
    await walk(OSV_DIR);
    const file = join(await project({}), 'osv.json');
    await writeFile(file, JSON.stringify(records));
    const dir = await project(VULNERABLE);
    const report = await scanProject({ dir, vulnDb: file });
    expect(report.findings.filter((f) => f.source === 'dependency')).toHaveLength(6);
  });

  it('a database that is not OSV is an error naming the file and the field', async () => {
    const dbDir = await project({
      'npm/GHSA-bad.json': JSON.stringify({
        id: 'GHSA-bad',
        affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER' }] }],
      }),
    });
    const dir = await project(CLEAN);
    await expect(scanProject({ dir, vulnDb: dbDir })).rejects.toThrow(
      new VulnDbError(
        'npm/GHSA-bad.json (GHSA-bad): affected.0.ranges.0.events: Invalid input: expected array, received undefined',
      ),
    );
  });

  it('an unreadable lock file makes the scan incomplete, and the gate fails it', async () => {
    const dir = await project({ ...CLEAN, 'package-lock.json': '{"lockfileVersion": 3,' });
    const report = await scanProject({ dir, vulnDb: db });
    expect(report.incomplete).toEqual([
      expect.stringMatching(/^dependency audit: package-lock.json: not valid JSON/),
    ]);
    expect(securityGate(report).ok).toBe(false);
  });
});

describe('securityGate', () => {
  const report = (findings: SecurityScanReport['findings']): SecurityScanReport => ({
    schemaVersion: 1,
    findings,
    counts: { critical: 0, high: 0, medium: 0, low: 0, info: 0 },
    audited: null,
    filesScanned: 1,
    skipped: [],
    incomplete: [],
    notes: [],
    summary: '',
    durationMs: 0,
  });

  it('passes medium and low findings that are not secrets', () => {
    expect(
      securityGate(
        report([
          {
            rule: 'security/weak-hash',
            severity: 'low',
            file: 'a.js',
            line: 1,
            message: 'md5',
            source: 'rule',
          },
          {
            rule: 'dependency/vulnerable-package',
            severity: 'medium',
            file: 'package-lock.json',
            message: 'x',
            source: 'dependency',
          },
        ]),
      ),
    ).toEqual({ ok: true, reasons: [] });
  });

  it('fails any secret, even one rated low', () => {
    expect(
      securityGate(
        report([
          {
            rule: 'secrets/credentials-in-url',
            severity: 'low',
            file: 'compose.yaml',
            line: 7,
            message: 'Password in a connection URL',
            source: 'secret',
          },
        ]),
      ),
    ).toEqual({ ok: false, reasons: ['secret: secrets/credentials-in-url in compose.yaml:7'] });
  });

  it('takes a stricter threshold when asked', () => {
    const r = report([
      {
        rule: 'security/weak-hash',
        severity: 'medium',
        file: 'a.py',
        line: 2,
        message: 'sha1',
        source: 'rule',
      },
    ]);
    expect(securityGate(r).ok).toBe(true);
    expect(securityGate(r, { failOn: 'medium' })).toEqual({
      ok: false,
      reasons: ['medium security finding: security/weak-hash in a.py:2: sha1'],
    });
  });
});
