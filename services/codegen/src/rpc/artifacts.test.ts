import {
  BlueprintSchema as BlueprintProto,
  ComplexityReportSchema as ComplexityProto,
  FieldType,
  FileSetSchema as FileSetProto,
  RelationKind,
  RequirementsSchema as RequirementsProto,
  Severity,
  ValidationReportSchema as ReportProto,
} from '@quantumlayer/contracts';
import { buildBlueprint } from '../blueprint/index.js';
import {
  analyzeComplexity,
  BlueprintSchema,
  ComplexityReportSchema,
  FileSetSchema,
  parseRequirements,
  RequirementsSchema,
} from '../domain/index.js';
import { ValidationReportSchema } from '../validators/index.js';
import { artifactFromProto, artifactToProto } from './artifacts.js';

const requirements = parseRequirements(
  'A library app. Each book has a title, an isbn (unique), a price and a genre (fiction, science). ' +
    'Authors have a name. An author has many books. Members log in; librarians are admins.',
);
const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

describe('artifact JSON <-> proto', () => {
  it('round-trips Requirements, ComplexityReport and Blueprint without loss', () => {
    const cases = [
      [RequirementsProto, RequirementsSchema, requirements],
      [ComplexityProto, ComplexityReportSchema, analyzeComplexity(requirements)],
      [BlueprintProto, BlueprintSchema, buildBlueprint(requirements)],
    ] as const;
    for (const [proto, zod, value] of cases) {
      const message = artifactToProto(proto, value);
      expect(json(zod.parse(artifactFromProto(proto, message as never)))).toEqual(json(value));
    }
  });

  it('maps enum values by their lower-case suffix', () => {
    const m = artifactToProto(RequirementsProto, requirements);
    const book = m.entities.find((e) => e.name === 'Book')!;
    expect(book.fields.find((f) => f.name === 'genre')!.type).toBe(FieldType.ENUM);
    expect(book.fields.find((f) => f.name === 'price')!.type).toBe(FieldType.MONEY);
    expect(m.relations[0]!.kind).toBe(RelationKind.HAS_MANY);
  });

  it('writes a "by" discriminator as the chosen oneof member and back', () => {
    const fileSet = FileSetSchema.parse({
      schemaVersion: 1,
      files: [
        {
          path: 'src/a.ts',
          blob: { key: `sha256:${'a'.repeat(64)}`, sizeBytes: 3, mediaType: 'text/plain' },
          provenance: { by: 'generator', generator: 'ts-fastify@1', template: 'src/a.ts.eta' },
        },
        {
          path: 'src/b.ts',
          blob: { key: `sha256:${'b'.repeat(64)}`, sizeBytes: 4, mediaType: 'text/plain' },
          provenance: {
            by: 'agent',
            role: 'backend_developer',
            model: 'anthropic/claude',
            provider: 'anthropic',
          },
        },
      ],
    });
    const m = artifactToProto(FileSetProto, fileSet);
    expect(m.files[0]!.provenance!.by.case).toBe('generator');
    expect(m.files[1]!.provenance!.by.case).toBe('agent');
    expect(m.files[0]!.blob!.sizeBytes).toBe(3n);
    expect(json(FileSetSchema.parse(artifactFromProto(FileSetProto, m)))).toEqual(json(fileSet));
  });

  it('round-trips a ValidationReport with findings and free-form data', () => {
    const finding = {
      check: 'dependencies',
      ruleId: 'dependencies/hallucinated',
      severity: 'critical',
      file: 'package.json',
      line: 3,
      column: 5,
      message: 'no such package',
      data: { package: 'leftpad-xyz', found: false },
    };
    const check = (name: string, findings: unknown[] = []) => ({
      check: name,
      status: findings.length ? 'failed' : 'passed',
      durationMs: 1.5,
      filesChecked: 2,
      findings,
      details: { languages: ['typescript'] },
    });
    const report = ValidationReportSchema.parse({
      schemaVersion: 1,
      status: 'failed',
      failOn: 'high',
      startedAt: '2026-11-24T00:00:00.000Z',
      durationMs: 12,
      checks: {
        syntax: check('syntax'),
        typecheck: check('typecheck'),
        security: check('security'),
        secrets: check('secrets'),
        dependencies: check('dependencies', [finding]),
      },
      summary: {
        files: 2,
        findings: 1,
        blocking: 1,
        bySeverity: { info: 0, low: 0, medium: 0, high: 0, critical: 1 },
        byCheck: { syntax: 0, typecheck: 0, security: 0, secrets: 0, dependencies: 1 },
        text: 'failed: 1 finding (1 critical) in 2 files',
      },
    });
    const m = artifactToProto(ReportProto, report);
    expect(m.checks!.dependencies!.findings[0]!.severity).toBe(Severity.CRITICAL);
    expect(json(ValidationReportSchema.parse(artifactFromProto(ReportProto, m)))).toEqual(
      json(report),
    );
  });

  it('refuses what the proto does not know (a field or an enum value) with the name in the error', () => {
    expect(() => artifactToProto(RequirementsProto, { ...requirements, colour: 'red' })).toThrow(
      /colour/,
    );
    const bad = json(requirements) as { entities: { fields: { type: string }[] }[] };
    bad.entities[0]!.fields[0]!.type = 'blob';
    expect(() => artifactToProto(RequirementsProto, bad)).toThrow(/blob/);
  });
});
