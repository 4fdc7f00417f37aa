// ComplexityReport (proto: quantumlayer.codegen.v1.ComplexityReport): the analyzer's size
// estimate of a project, and of agent mode's LLM use per phase. Costs are integer micro-dollars
// like quantumlayer.common.v1.Money (JSON numbers here: exact up to 2^53, i.e. $9 billion).
import { z } from 'zod';

export const EffortClassSchema = z.enum(['simple', 'medium', 'complex']);
export type EffortClass = z.infer<typeof EffortClassSchema>;

export const AGENT_PHASES = [
  'project_manager',
  'architect',
  'developers',
  'database',
  'devops',
  'qa',
  'security',
  'reviewer',
] as const;
export const AgentPhaseSchema = z.enum(AGENT_PHASES);
export type AgentPhase = z.infer<typeof AgentPhaseSchema>;

const Count = z.number().int().nonnegative();
const UsdMicros = z.number().int().nonnegative();

export const ComplexityDriverSchema = z.object({
  /** e.g. "entities", "fields", "relations", "custom_actions", "roles". */
  name: z.string().min(1).max(100),
  value: z.number(),
  points: z.number(),
});
export type ComplexityDriver = z.infer<typeof ComplexityDriverSchema>;

export const PhaseEstimateSchema = z.object({
  phase: AgentPhaseSchema,
  calls: Count,
  inputTokens: Count,
  outputTokens: Count,
  /** At the prices given, rounded up to the micro-dollar; absent when no prices were given. */
  costUsdMicros: UsdMicros.optional(),
});
export type PhaseEstimate = z.infer<typeof PhaseEstimateSchema>;

export const AgentEstimateSchema = z.object({
  phases: z.array(PhaseEstimateSchema),
  totalInputTokens: Count,
  totalOutputTokens: Count,
  totalCostUsdMicros: UsdMicros.optional(),
});
export type AgentEstimate = z.infer<typeof AgentEstimateSchema>;

export const ComplexityReportSchema = z.object({
  effort: EffortClassSchema,
  score: z.number().nonnegative(),
  estimatedFiles: Count,
  estimatedLinesOfCode: Count,
  drivers: z.array(ComplexityDriverSchema),
  agent: AgentEstimateSchema,
});
export type ComplexityReport = z.infer<typeof ComplexityReportSchema>;

/** Price of a model in US dollars per million tokens (the unit providers publish). */
export const ModelPriceSchema = z.object({
  inputUsdPerMTok: z.number().nonnegative(),
  outputUsdPerMTok: z.number().nonnegative(),
});
export type ModelPrice = z.infer<typeof ModelPriceSchema>;

/** Prices for the estimate: one default, optionally overridden per phase (e.g. a cheaper QA model). */
export const AgentPricingSchema = z.object({
  default: ModelPriceSchema,
  phases: z.partialRecord(AgentPhaseSchema, ModelPriceSchema).optional(),
});
export type AgentPricing = z.infer<typeof AgentPricingSchema>;
