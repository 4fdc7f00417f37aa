// Scoring parsed Requirements against hand-written expectations (the fixture suite and any
// agent-produced requirements). Matching rules, stated once:
// - an entity matches when the names are equal ignoring case;
// - a field matches when its entity matches and the names are equal ignoring case and
//   punctuation, and ignoring a leading "is" ("isActive" = "active");
// - fields of an entity that is not expected are false positives, fields of an expected entity
//   that was not found are false negatives;
// - type accuracy counts matched fields whose expected type is given;
// - a relation matches on kind, from and to (either order for many_to_many). Relations are
//   reported, not gated.
import { z } from 'zod';
import type { Requirements } from '../artifacts/index.js';
import { FieldTypeSchema, RelationKindSchema } from '../artifacts/index.js';

export const ExpectedSchema = z.object({
  entities: z.array(
    z.object({
      name: z.string(),
      fields: z.array(z.object({ name: z.string(), type: FieldTypeSchema.optional() })),
    }),
  ),
  relations: z
    .array(z.object({ kind: RelationKindSchema, from: z.string(), to: z.string() }))
    .optional(),
  auth: z.boolean().optional(),
  roles: z.array(z.string()).optional(),
});
export type Expected = z.infer<typeof ExpectedSchema>;

export const FixtureSchema = z.object({
  description: z.string().min(1),
  domain: z.string().optional(),
  expected: ExpectedSchema,
});
export type Fixture = z.infer<typeof FixtureSchema>;

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

export interface FixtureScore {
  entities: Counts;
  fields: Counts;
  relations: Counts;
  types: { correct: number; total: number };
  missingEntities: string[];
  extraEntities: string[];
  missingFields: string[];
  extraFields: string[];
  wrongTypes: string[];
  missingRelations: string[];
  extraRelations: string[];
}

function norm(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

function fieldKey(name: string): string {
  const n = norm(name);
  return n.startsWith('is') && n.length > 4 ? n.slice(2) : n;
}

function relKey(r: { kind: string; from: string; to: string }): string {
  const [a, b] =
    r.kind === 'many_to_many' ? [norm(r.from), norm(r.to)].sort() : [norm(r.from), norm(r.to)];
  return `${r.kind}:${a}>${b}`;
}

export function scoreRequirements(
  actual: Pick<Requirements, 'entities' | 'relations'>,
  expected: Expected,
): FixtureScore {
  const score: FixtureScore = {
    entities: { tp: 0, fp: 0, fn: 0 },
    fields: { tp: 0, fp: 0, fn: 0 },
    relations: { tp: 0, fp: 0, fn: 0 },
    types: { correct: 0, total: 0 },
    missingEntities: [],
    extraEntities: [],
    missingFields: [],
    extraFields: [],
    wrongTypes: [],
    missingRelations: [],
    extraRelations: [],
  };
  const actualByName = new Map(actual.entities.map((e) => [norm(e.name), e]));
  const expectedNames = new Set(expected.entities.map((e) => norm(e.name)));

  for (const exp of expected.entities) {
    const act = actualByName.get(norm(exp.name));
    if (act === undefined) {
      score.entities.fn++;
      score.missingEntities.push(exp.name);
      score.fields.fn += exp.fields.length;
      score.missingFields.push(...exp.fields.map((f) => `${exp.name}.${f.name}`));
      continue;
    }
    score.entities.tp++;
    const actFields = new Map(act.fields.map((f) => [fieldKey(f.name), f]));
    const expKeys = new Set(exp.fields.map((f) => fieldKey(f.name)));
    for (const ef of exp.fields) {
      const af = actFields.get(fieldKey(ef.name));
      if (af === undefined) {
        score.fields.fn++;
        score.missingFields.push(`${exp.name}.${ef.name}`);
        continue;
      }
      score.fields.tp++;
      if (ef.type !== undefined) {
        score.types.total++;
        if (af.type === ef.type) score.types.correct++;
        else score.wrongTypes.push(`${exp.name}.${ef.name}: ${af.type} (expected ${ef.type})`);
      }
    }
    for (const af of act.fields) {
      if (!expKeys.has(fieldKey(af.name))) {
        score.fields.fp++;
        score.extraFields.push(`${act.name}.${af.name}`);
      }
    }
  }
  for (const act of actual.entities) {
    if (expectedNames.has(norm(act.name))) continue;
    score.entities.fp++;
    score.extraEntities.push(act.name);
    score.fields.fp += act.fields.length;
    score.extraFields.push(...act.fields.map((f) => `${act.name}.${f.name}`));
  }

  if (expected.relations !== undefined) {
    const expRels = new Set(expected.relations.map(relKey));
    const actRels = new Set(actual.relations.map(relKey));
    for (const r of expRels) {
      if (actRels.has(r)) score.relations.tp++;
      else {
        score.relations.fn++;
        score.missingRelations.push(r);
      }
    }
    for (const r of actRels) {
      if (!expRels.has(r)) {
        score.relations.fp++;
        score.extraRelations.push(r);
      }
    }
  }
  return score;
}

export interface Metrics {
  precision: number;
  recall: number;
  f1: number;
}

export function metrics(c: Counts): Metrics {
  const precision = c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

export interface Summary {
  fixtures: number;
  failed: string[];
  entities: Metrics & Counts;
  fields: Metrics & Counts;
  relations: Metrics & Counts;
  typeAccuracy: number;
}

function add(a: Counts, b: Counts): Counts {
  return { tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn };
}

/** Micro-averaged metrics over fixtures (each entity and field counts once). */
export function summarize(
  scores: readonly FixtureScore[],
  failed: readonly string[] = [],
): Summary {
  const zero = { tp: 0, fp: 0, fn: 0 };
  const e = scores.reduce((acc, s) => add(acc, s.entities), zero);
  const f = scores.reduce((acc, s) => add(acc, s.fields), zero);
  const r = scores.reduce((acc, s) => add(acc, s.relations), zero);
  const t = scores.reduce(
    (acc, s) => ({ correct: acc.correct + s.types.correct, total: acc.total + s.types.total }),
    {
      correct: 0,
      total: 0,
    },
  );
  return {
    fixtures: scores.length,
    failed: [...failed],
    entities: { ...e, ...metrics(e) },
    fields: { ...f, ...metrics(f) },
    relations: { ...r, ...metrics(r) },
    typeAccuracy: t.total === 0 ? 1 : t.correct / t.total,
  };
}
