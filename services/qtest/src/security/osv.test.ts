import { affects, cvssScore, severityFromScore, severityOf, VulnDb, VulnDbError } from './osv.js';
import type { OsvAffected, OsvRecord } from './osv.js';

const npm = (events: Array<Record<string, string>>, versions?: string[]): OsvAffected => ({
  package: { ecosystem: 'npm', name: 'pkg' },
  ranges: [{ type: 'ECOSYSTEM', events }],
  ...(versions ? { versions } : {}),
});

describe('affects (OSV evaluation)', () => {
  it('introduced "0" means every version before the fix', () => {
    const a = npm([{ introduced: '0' }, { fixed: '4.17.21' }]);
    expect(affects('npm', a, '0.1.0').affected).toBe(true);
    expect(affects('npm', a, '4.17.20')).toEqual({ affected: true, fixed: '4.17.21' });
    expect(affects('npm', a, '4.17.21').affected).toBe(false);
    expect(affects('npm', a, '5.0.0').affected).toBe(false);
  });

  it('a fix is exclusive and an introduction inclusive', () => {
    const a = npm([{ introduced: '3.7.0' }, { fixed: '4.17.19' }]);
    expect(affects('npm', a, '3.6.9').affected).toBe(false);
    expect(affects('npm', a, '3.7.0').affected).toBe(true);
    expect(affects('npm', a, '4.17.19').affected).toBe(false);
  });

  it('last_affected is inclusive and nothing later is affected', () => {
    const a = npm([{ introduced: '0' }, { last_affected: '2.88.2' }]);
    expect(affects('npm', a, '2.88.2')).toEqual({ affected: true });
    expect(affects('npm', a, '2.88.3').affected).toBe(false);
    expect(affects('npm', a, '3.0.0').affected).toBe(false);
  });

  it('several introduced/fixed pairs in one range, in any order', () => {
    const a = npm([
      { fixed: '1.2.6' },
      { introduced: '1.0.0' },
      { fixed: '0.2.4' },
      { introduced: '0' },
    ]);
    expect(affects('npm', a, '0.2.3')).toEqual({ affected: true, fixed: '0.2.4' });
    expect(affects('npm', a, '0.2.4').affected).toBe(false);
    expect(affects('npm', a, '0.9.0').affected).toBe(false);
    expect(affects('npm', a, '1.2.5')).toEqual({ affected: true, fixed: '1.2.6' });
    expect(affects('npm', a, '1.2.6').affected).toBe(false);
  });

  it('an open introduction affects every later version, prereleases ordered by SemVer', () => {
    const a = npm([{ introduced: '2.0.0-beta.2' }]);
    expect(affects('npm', a, '2.0.0-beta.1').affected).toBe(false);
    expect(affects('npm', a, '2.0.0-beta.10').affected).toBe(true);
    expect(affects('npm', a, '9.9.9').affected).toBe(true);
  });

  it('explicit versions[] count even without ranges', () => {
    expect(affects('npm', npm([{ introduced: '9.0.0' }], ['1.0.0']), '1.0.0').affected).toBe(true);
  });

  it('PyPI ranges use PEP 440 ordering (5.4 == 5.4.0, rc before final)', () => {
    const a: OsvAffected = {
      package: { ecosystem: 'PyPI', name: 'PyYAML' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '5.4' }] }],
    };
    expect(affects('PyPI', a, '5.3.1').affected).toBe(true);
    expect(affects('PyPI', a, '5.4rc1').affected).toBe(true);
    expect(affects('PyPI', a, '5.4.0').affected).toBe(false);
    expect(affects('PyPI', a, '6.0').affected).toBe(false);
  });

  it('Go versions from go.sum (v-prefixed) against SEMVER ranges (no v)', () => {
    const a: OsvAffected = {
      package: { ecosystem: 'Go', name: 'golang.org/x/text' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.3.8' }] }],
    };
    expect(affects('Go', a, 'v0.3.7')).toEqual({ affected: true, fixed: '0.3.8' });
    expect(affects('Go', a, 'v0.0.0-20210101000000-abcdefabcdef').affected).toBe(true);
    expect(affects('Go', a, 'v0.3.8').affected).toBe(false);
  });

  it('ignores GIT ranges and versions the scheme cannot order', () => {
    const a: OsvAffected = {
      package: { ecosystem: 'npm', name: 'pkg' },
      ranges: [{ type: 'GIT', repo: 'https://example.invalid/r', events: [{ introduced: '0' }] }],
    };
    expect(affects('npm', a, '1.0.0').affected).toBe(false);
    expect(affects('npm', npm([{ introduced: '0' }]), 'not-a-version').affected).toBe(false);
  });
});

describe('severity', () => {
  const base: OsvRecord = { id: 'X-1' };

  it('prefers the curated database_specific.severity (GHSA MODERATE → medium)', () => {
    expect(
      severityOf({
        ...base,
        database_specific: { severity: 'MODERATE' },
        severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
      }),
    ).toEqual({ severity: 'medium', source: 'database_specific.severity', rated: true });
  });

  it('computes the CVSS base score when there is no curated rating (v4 over v3)', () => {
    expect(
      severityOf({
        ...base,
        severity: [
          { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H' },
          {
            type: 'CVSS_V4',
            score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
          },
        ],
      }),
    ).toEqual({ severity: 'critical', source: 'severity CVSS_V4 9.3', rated: true });
    expect(cvssScore('CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H')).toBe(5.9);
    expect(cvssScore('CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H')).toBe(7.2);
    expect(cvssScore('nonsense')).toBeUndefined();
  });

  it('maps scores on the CVSS qualitative scale; v2 has no critical', () => {
    expect([9.8, 7.0, 6.9, 4.0, 3.9, 0].map((s) => severityFromScore(s))).toEqual([
      'critical',
      'high',
      'medium',
      'medium',
      'low',
      'info',
    ]);
    expect(severityFromScore(10, true)).toBe('high');
  });

  it('says so when an advisory carries no rating', () => {
    expect(severityOf(base)).toEqual({
      severity: 'medium',
      source: 'unknown (no rating in the advisory)',
      rated: false,
    });
  });
});

describe('VulnDb', () => {
  const records = [
    {
      // Same vulnerability from another database, unrated: the rated GHSA record reports it.
      id: 'CVE-2024-0001',
      aliases: ['GHSA-aaaa-bbbb-cccc'],
      affected: [npm([{ introduced: '0' }, { fixed: '2.0.0' }])],
    },
    {
      id: 'GHSA-aaaa-bbbb-cccc',
      aliases: ['CVE-2024-0001'],
      summary: 'Bad thing in pkg',
      affected: [npm([{ introduced: '0' }, { fixed: '2.0.0' }])],
      database_specific: { severity: 'HIGH' },
    },
    {
      id: 'GHSA-withdrawn',
      withdrawn: '2024-01-01T00:00:00Z',
      affected: [npm([{ introduced: '0' }])],
    },
    {
      id: 'DSA-0000-1',
      affected: [{ package: { ecosystem: 'Debian:12', name: 'pkg' }, versions: ['1.0.0'] }],
    },
  ];

  it('finds advisories by package and version, deduplicated by alias, withdrawn dropped', () => {
    const db = VulnDb.fromJson(records, 'test');
    expect(db.size).toBe(3);
    expect(db.lookup('npm', 'pkg', '1.0.0')).toEqual([
      {
        id: 'GHSA-aaaa-bbbb-cccc',
        aliases: ['CVE-2024-0001'],
        summary: 'Bad thing in pkg',
        severity: 'high',
        severitySource: 'database_specific.severity',
        fixed: '2.0.0',
      },
    ]);
    expect(db.lookup('npm', 'pkg', '2.0.0')).toEqual([]);
    expect(db.lookup('npm', 'other', '1.0.0')).toEqual([]);
    expect(db.advisoriesFor(['npm'])).toBe(2);
    expect(db.advisoriesFor(['PyPI'])).toBe(0);
  });

  it('normalises PyPI names (PEP 503)', () => {
    const db = VulnDb.fromJson([
      {
        id: 'PYSEC-1',
        affected: [{ package: { ecosystem: 'PyPI', name: 'Py_YAML' }, versions: ['5.3'] }],
      },
    ]);
    expect(db.lookup('PyPI', 'py-yaml', '5.3').map((m) => m.id)).toEqual(['PYSEC-1']);
  });

  it('rejects records that are not OSV, naming the record and the field', () => {
    expect(() =>
      VulnDb.fromJson([{ id: 'GHSA-x', affected: [{ ranges: [{ type: 'SEMVER', events: [] }] }] }]),
    ).toThrow(
      new VulnDbError(
        'in-memory[0] (GHSA-x): affected.0.ranges.0.events: Too small: expected array to have >=1 items',
      ),
    );
    expect(() =>
      VulnDb.fromJson([{ id: 'GHSA-y', affected: [npm([{ introduced: '0', fixed: '1.0.0' }])] }]),
    ).toThrow(/GHSA-y\): affected\.0\.ranges\.0\.events\.0: must have exactly one of introduced/);
    expect(() => VulnDb.fromJson([{ summary: 'no id' }])).toThrow(/in-memory\[0\]: id: /);
  });
});
