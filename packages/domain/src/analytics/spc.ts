/**
 * Statistical process control on series of slot means (a slot = the 10-minute aggregate
 * of one variable). Family 12 of the validation rules: it flags, it never rewrites a value.
 *
 * - spc-limits: learn versioned, JSON-safe I-MR limits from a baseline window.
 * - spc-rules: the rule ids (Western Electric 1–4, Nelson 1–8, MR, EWMA, CUSUM) and the
 *   violation shape with its evidence.
 * - spc-imr: the individuals / moving-range chart and run rules, streaming.
 * - spc-time-weighted: EWMA and tabular CUSUM, streaming.
 * - spc-capability: Cp, Cpk, Pp, Ppk.
 *
 * Every stepper takes a caller-owned state object, updates it in place and returns the
 * violations of that one point; states are plain JSON, so a pipeline persists them
 * between batches and a series split anywhere gives the same violations as one pass.
 */
export {
  D2,
  D4,
  MIN_BASELINE_POINTS,
  SHEWHART_WIDTH,
  SPC_LIMITS_VERSION,
  learnLimits,
  parseSpcLimits,
  type LearnLimitsOptions,
  type SpcLimits,
} from './spc-limits';
export {
  NELSON_RULES,
  SPC_RULES,
  WESTERN_ELECTRIC_RULES,
  type ImrRuleId,
  type SpcChart,
  type SpcRuleId,
  type SpcViolation,
} from './spc-rules';
export { decimalsFor, type MessageOptions, type MessageText } from './spc-format';
export {
  SPC_WINDOW,
  createSpcState,
  evaluateSeries,
  stepSpc,
  type SpcOptions,
  type SpcState,
} from './spc-imr';
export {
  EVIDENCE_POINTS,
  createCusumState,
  createEwmaState,
  evaluateCusum,
  evaluateEwma,
  stepCusum,
  stepEwma,
  type CusumOptions,
  type CusumState,
  type EwmaOptions,
  type EwmaState,
} from './spc-time-weighted';
export { capability, type Capability, type CapabilitySpecs } from './spc-capability';
