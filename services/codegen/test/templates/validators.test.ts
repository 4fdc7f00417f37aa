// Generated projects pass the same validators agent mode's code must pass: syntax, security (no
// high finding), secrets (none). The type-check against installed dependencies is in e2e.test.ts.
import { parseRequirements } from '../../src/domain/requirements/index.js';
import type { Requirements } from '../../src/domain/artifacts/index.js';
import { renderProject } from '../../src/templates/index.js';
import { validate } from '../../src/validators/index.js';
import { COURSES_DESCRIPTION, libraryWithAuth, shopManyToMany } from './fixtures.js';

const cases: [string, () => Requirements][] = [
  ['library (auth, roles, actions)', () => libraryWithAuth],
  ['shop (many-to-many, has-one, self-reference)', () => shopManyToMany],
  ['courses (from a description)', () => parseRequirements(COURSES_DESCRIPTION)],
];

describe.each(cases)('rendered project: %s', (_name, requirements) => {
  it('passes the syntax, security and secrets checks', async () => {
    const { files } = await renderProject({ requirements: requirements() }, { lockfiles: null });
    const report = await validate(files, { checks: ['syntax', 'security', 'secrets'] });
    const findings = Object.values(report.checks).flatMap((c) => c.findings);
    expect(findings.filter((f) => f.severity === 'high' || f.severity === 'critical')).toEqual([]);
    expect(report.checks.secrets.findings).toEqual([]);
    expect(report.checks.syntax.findings).toEqual([]);
    expect(report.checks.syntax.filesChecked).toBeGreaterThan(20);
    expect(report.status).toBe('passed');
  });
});
