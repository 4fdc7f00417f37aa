import * as pep440 from '@renovatebot/pep440';
import semver from 'semver';

/** The OSV ecosystems whose lock files we read (OSV spells them exactly like this). */
export const ECOSYSTEMS = ['npm', 'PyPI', 'crates.io', 'Go'] as const;
export type Ecosystem = (typeof ECOSYSTEMS)[number];

export function isEcosystem(value: string): value is Ecosystem {
  return (ECOSYSTEMS as readonly string[]).includes(value);
}

/** Orders versions of one scheme; `undefined` when a version is not valid in it. */
export interface VersionScheme {
  valid(version: string): boolean;
  compare(a: string, b: string): number;
  equal(a: string, b: string): boolean;
}

// Go module versions carry a leading "v" (v1.2.3, v0.0.0-2021…-abcdef pseudo-versions,
// +incompatible); OSV writes them without it. semver orders all of these correctly.
const stripV = (v: string) => v.replace(/^v(?=\d)/, '');

const SEMVER: VersionScheme = {
  valid: (v) => semver.valid(stripV(v)) !== null,
  compare: (a, b) => semver.compare(stripV(a), stripV(b)),
  equal: (a, b) => semver.valid(stripV(a)) !== null && semver.eq(stripV(a), stripV(b)),
};

const PEP440: VersionScheme = {
  valid: (v) => pep440.valid(v) !== null,
  compare: (a, b) => pep440.compare(a, b),
  equal: (a, b) => pep440.valid(a) !== null && pep440.valid(b) !== null && pep440.eq(a, b),
};

/**
 * OSV `ECOSYSTEM` ranges use the ecosystem's own ordering: PEP 440 for PyPI; npm, crates.io
 * (Cargo) and Go all use SemVer 2.0 precedence.
 */
export function ecosystemScheme(ecosystem: Ecosystem): VersionScheme {
  return ecosystem === 'PyPI' ? PEP440 : SEMVER;
}

/** OSV `SEMVER` ranges are SemVer 2.0 whatever the ecosystem. */
export function semverScheme(): VersionScheme {
  return SEMVER;
}

/** PEP 503 normalised name: PyPI treats `Django`, `django` and `dj_ango`-style spellings alike. */
export function normalizePackageName(ecosystem: Ecosystem, name: string): string {
  return ecosystem === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}
