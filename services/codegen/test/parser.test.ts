// The fixture suite: every description under fixtures/descriptions, parsed and scored against
// its hand-written expectations (matching rules in src/domain/requirements/evaluate.ts). The same
// evaluation is printed per fixture by `node --import tsx scripts/eval/parser.ts`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRequirements, RequirementsSchema } from '../src/domain/index.js';
import {
  FixtureSchema,
  scoreRequirements,
  summarize,
} from '../src/domain/requirements/evaluate.js';
import type { Fixture } from '../src/domain/requirements/evaluate.js';

const dir = join(process.cwd(), 'services/codegen/test/fixtures/descriptions');

function load(sub: string): [string, Fixture][] {
  const path = join(dir, sub);
  return readdirSync(path)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [
      `${sub}${f}`,
      FixtureSchema.parse(JSON.parse(readFileSync(join(path, f), 'utf8'))),
    ]);
}

const suite = load('');
const heldOut = load('held-out/');

describe('requirements parser on the fixture descriptions', () => {
  it('has at least 30 fixtures from different domains', () => {
    expect(suite.length).toBeGreaterThanOrEqual(30);
    expect(new Set(suite.map(([, f]) => f.domain)).size).toBeGreaterThanOrEqual(30);
  });

  it.each([...suite, ...heldOut])('%s parses into valid Requirements', (_name, fixture) => {
    const req = parseRequirements(fixture.description);
    expect(() => RequirementsSchema.parse(req)).not.toThrow();
    expect(req.entities.length).toBeGreaterThan(0);
  });

  it('reaches precision and recall >= 0.90 on entities and on fields over the suite', () => {
    const summary = summarize(
      suite.map(([, f]) => scoreRequirements(parseRequirements(f.description), f.expected)),
    );
    expect(summary.entities.precision).toBeGreaterThanOrEqual(0.9);
    expect(summary.entities.recall).toBeGreaterThanOrEqual(0.9);
    expect(summary.fields.precision).toBeGreaterThanOrEqual(0.9);
    expect(summary.fields.recall).toBeGreaterThanOrEqual(0.9);
    expect(summary.typeAccuracy).toBeGreaterThanOrEqual(0.9);
  });
});
