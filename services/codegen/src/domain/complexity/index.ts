export {
  analyzeComplexity,
  costUsdMicros,
  effortClass,
  EFFORT_THRESHOLDS,
  TOKENS_PER_LINE,
} from './analyze.js';
export type { AnalyzeOptions } from './analyze.js';
