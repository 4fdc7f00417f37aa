// Complexity analyzer: size of the project to generate, and agent mode's LLM use per phase,
// estimated from the Requirements alone (before any template or model runs).
//
// Heuristics (calibrated on the first stack, TypeScript + Fastify + drizzle, and on the fixture
// descriptions; they are estimates for planning and budgets, not promises):
//
// Score (effort class) — points per driver:
//   entity 3, field 0.5, has-many/has-one relation 2, many-to-many 3, custom action 2,
//   auth 4 (+1.5 per role), feature 2, non-functional need 1.5, low-confidence items 0.5 each
//   (< 0.6: the agents will need to ask or guess).
//   simple < 18 <= medium < 45 <= complex.
//
// Files: 16 for the project shell (package.json, lock file, tsconfig, jest config, Dockerfile,
//   .dockerignore, CI workflow, README, OpenAPI document, app, server, config, db client, error
//   handler, pagination helper, migration) + 4 per entity (routes, schema, repository, test)
//   + 1 per many-to-many join table + 5 for auth (routes, plugin, password hashing, users
//   schema, test) + 1 per feature.
// Lines: 650 for the shell + per entity 180 + 14 per field + 45 per operation beyond CRUD
//   + 40 per relation (60 per many-to-many) + 380 for auth (+25 per role) + 80 per feature
//   + 18 per acceptance criterion (its test).
//
// Agent tokens per phase (input includes the system prompt and the artifacts the phase reads;
// output is what it writes; generated code is ~10 tokens per line):
//   project manager   1 call;  in 1500 + description/4 + 200;  out 400 + 120/entity + 35/field
//                     + 70/acceptance criterion (the Requirements JSON).
//   architect         1 call per 8 entities (min 1);  in 2500 + requirements tokens;
//                     out 900 + 450/entity + 120/relation (the Blueprint with its OpenAPI).
//   developers        1 call per module (entities + core + auth), x1.3 for repair rounds;
//                     in 3000 + blueprint slice (600) per call + code of the module being fixed
//                     on repairs; out 10 tokens per line of non-test code.
//   database          1 call;  in 1800 + 60/field + 120/relation;  out 300 + 180/table.
//   devops            1 call;  in 1500 + 300;  out 1800 (Dockerfile, CI, compose).
//   qa                1 call per entity + 1;  in 2500 + module code;  out 10/line of tests.
//   security          1 call per 2500 lines;  in 1500 + code tokens;  out 600 per call.
//   reviewer          1 call per 2500 lines;  in 2000 + code tokens;  out 900 per call.
// Cost: tokens x price per million tokens, i.e. integer micro-dollars = ceil(tokens x USD/MTok),
//   per phase, rounded up (a billable call is never estimated as free).
import type {
  AgentEstimate,
  AgentPhase,
  AgentPricing,
  ComplexityDriver,
  ComplexityReport,
  EffortClass,
  ModelPrice,
  PhaseEstimate,
  Requirements,
} from '../artifacts/index.js';
import { AGENT_PHASES } from '../artifacts/index.js';

export const EFFORT_THRESHOLDS = { medium: 18, complex: 45 } as const;
export const TOKENS_PER_LINE = 10;

export interface AnalyzeOptions {
  /** Prices per million tokens; without them the estimate has tokens but no cost. */
  pricing?: AgentPricing;
}

interface Size {
  entities: number;
  fields: number;
  relations: number;
  manyToMany: number;
  actions: number;
  roles: number;
  auth: boolean;
  features: number;
  nonFunctional: number;
  criteria: number;
  lowConfidence: number;
}

function sizeOf(req: Requirements): Size {
  const actions = req.entities.reduce(
    (n, e) => n + e.operations.filter((o) => o.kind === 'action').length,
    0,
  );
  const lowConfidence =
    req.entities.filter((e) => e.confidence < 0.6).length +
    req.entities.reduce((n, e) => n + e.fields.filter((f) => f.confidence < 0.6).length, 0) +
    req.relations.filter((r) => r.confidence < 0.6).length;
  return {
    entities: req.entities.length,
    fields: req.entities.reduce((n, e) => n + e.fields.length, 0),
    relations: req.relations.filter((r) => r.kind !== 'many_to_many').length,
    manyToMany: req.relations.filter((r) => r.kind === 'many_to_many').length,
    actions,
    roles: req.auth.enabled ? req.auth.roles.length : 0,
    auth: req.auth.enabled,
    features: req.features.length,
    nonFunctional: req.nonFunctional.length,
    criteria: req.acceptanceCriteria.length,
    lowConfidence,
  };
}

function drivers(s: Size): ComplexityDriver[] {
  const d = (name: string, value: number, perUnit: number): ComplexityDriver => ({
    name,
    value,
    points: value * perUnit,
  });
  return [
    d('entities', s.entities, 3),
    d('fields', s.fields, 0.5),
    d('relations', s.relations, 2),
    d('many_to_many_relations', s.manyToMany, 3),
    d('custom_actions', s.actions, 2),
    d('auth', s.auth ? 1 : 0, 4),
    d('roles', s.roles, 1.5),
    d('features', s.features, 2),
    d('non_functional_needs', s.nonFunctional, 1.5),
    d('low_confidence_items', s.lowConfidence, 0.5),
  ];
}

export function effortClass(score: number): EffortClass {
  if (score >= EFFORT_THRESHOLDS.complex) return 'complex';
  if (score >= EFFORT_THRESHOLDS.medium) return 'medium';
  return 'simple';
}

function estimateFiles(s: Size): number {
  return 16 + 4 * s.entities + s.manyToMany + (s.auth ? 5 : 0) + s.features;
}

function estimateLines(s: Size, operations: number): { code: number; tests: number } {
  const code =
    650 +
    180 * s.entities +
    14 * s.fields +
    45 * operations +
    40 * s.relations +
    60 * s.manyToMany +
    (s.auth ? 380 + 25 * s.roles : 0) +
    80 * s.features;
  const tests = 18 * s.criteria;
  return { code, tests };
}

/** Micro-dollars for a number of tokens at a price per million tokens, rounded up. */
export function costUsdMicros(
  inputTokens: number,
  outputTokens: number,
  price: ModelPrice,
): number {
  // USD/MTok x tokens = micro-dollars; computed in integers of 1e-6 micro-dollars to avoid
  // float drift before rounding up.
  const exact =
    Math.round(inputTokens * price.inputUsdPerMTok * 1e6) +
    Math.round(outputTokens * price.outputUsdPerMTok * 1e6);
  return Math.ceil(exact / 1e6);
}

function agentEstimate(
  req: Requirements,
  s: Size,
  lines: { code: number; tests: number },
  pricing?: AgentPricing,
): AgentEstimate {
  const descriptionTokens = Math.ceil(req.description.length / 4);
  const requirementsTokens = 400 + 120 * s.entities + 35 * s.fields + 70 * s.criteria;
  const modules = s.entities + 1 + (s.auth ? 1 : 0);
  const codeTokens = lines.code * TOKENS_PER_LINE;
  const testTokens = lines.tests * TOKENS_PER_LINE;
  const reviewCalls = Math.max(1, Math.ceil((lines.code + lines.tests) / 2500));
  const architectCalls = Math.max(1, Math.ceil(s.entities / 8));
  const developerCalls = Math.ceil(modules * 1.3);

  const raw: Record<AgentPhase, Omit<PhaseEstimate, 'phase' | 'costUsdMicros'>> = {
    project_manager: {
      calls: 1,
      inputTokens: 1500 + descriptionTokens + 200,
      outputTokens: requirementsTokens,
    },
    architect: {
      calls: architectCalls,
      inputTokens: architectCalls * (2500 + requirementsTokens),
      outputTokens: 900 + 450 * s.entities + 120 * (s.relations + s.manyToMany),
    },
    developers: {
      calls: developerCalls,
      inputTokens: developerCalls * (3000 + 600) + Math.round(0.3 * codeTokens),
      outputTokens: Math.round(codeTokens * 1.15),
    },
    database: {
      calls: 1,
      inputTokens: 1800 + 60 * s.fields + 120 * (s.relations + s.manyToMany),
      outputTokens: 300 + 180 * (s.entities + s.manyToMany),
    },
    devops: { calls: 1, inputTokens: 1800, outputTokens: 1800 },
    qa: {
      calls: s.entities + 1,
      inputTokens: (s.entities + 1) * 2500 + codeTokens,
      outputTokens: testTokens,
    },
    security: {
      calls: reviewCalls,
      inputTokens: reviewCalls * 1500 + codeTokens,
      outputTokens: reviewCalls * 600,
    },
    reviewer: {
      calls: reviewCalls,
      inputTokens: reviewCalls * 2000 + codeTokens + testTokens,
      outputTokens: reviewCalls * 900,
    },
  };

  const phases: PhaseEstimate[] = AGENT_PHASES.map((phase) => {
    const p = raw[phase];
    const price = pricing?.phases?.[phase] ?? pricing?.default;
    return {
      phase,
      ...p,
      ...(price !== undefined
        ? { costUsdMicros: costUsdMicros(p.inputTokens, p.outputTokens, price) }
        : {}),
    };
  });
  const totalInputTokens = phases.reduce((n, p) => n + p.inputTokens, 0);
  const totalOutputTokens = phases.reduce((n, p) => n + p.outputTokens, 0);
  return {
    phases,
    totalInputTokens,
    totalOutputTokens,
    ...(pricing !== undefined
      ? { totalCostUsdMicros: phases.reduce((n, p) => n + (p.costUsdMicros ?? 0), 0) }
      : {}),
  };
}

/** Estimates the size of the project described by `requirements` (see the heuristics above). */
export function analyzeComplexity(
  requirements: Requirements,
  options: AnalyzeOptions = {},
): ComplexityReport {
  const s = sizeOf(requirements);
  const ds = drivers(s);
  const score = Math.round(ds.reduce((n, d) => n + d.points, 0) * 10) / 10;
  const operations = requirements.entities.reduce(
    (n, e) => n + e.operations.filter((o) => o.kind === 'action').length,
    0,
  );
  const lines = estimateLines(s, operations);
  return {
    effort: effortClass(score),
    score,
    estimatedFiles: estimateFiles(s),
    estimatedLinesOfCode: lines.code + lines.tests,
    drivers: ds,
    agent: agentEstimate(requirements, s, lines, options.pricing),
  };
}
