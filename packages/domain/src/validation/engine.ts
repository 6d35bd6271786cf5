import { variableByCode, type VariableDefinition } from '../measurement/catalog';
import { GAS_BASE_COLOMBIA, gasBaseFactor, type GasBase } from '../measurement/gas-base';
import { converterBetween, UNITS, type ConversionError } from '../measurement/units';
import { FLAG, RULES, SAMPLE_TEMPLATES, type SampleTemplateKey } from './rules';

/**
 * The per-sample validation engine. Channel bindings (a variable at a point, in the unit
 * the field sends) are compiled once into flat typed arrays; batches are columnar; the
 * per-channel state of the stateful rules (rate of change, stuck, totalizer, SPC) is
 * taken in and handed back, never kept here, so a pipeline can persist it and resume
 * after a crash exactly where it stopped.
 */
export interface ChannelBinding {
  /** Stable id of the binding (the tenant's variable id). */
  id: string;
  /** Catalog code of the variable. */
  variable: string;
  /** Unit the field sends. */
  unit: string;
  /** Site atmospheric pressure, psia: needed when gauge and absolute units meet. */
  atmosphericPressurePsia?: number;
  /** For totalizers: the value at which the counter rolls over to zero. */
  rolloverAt?: number;
  /** Base conditions of a gas volume or flow as the field reports it, when not the tenant's. */
  gasBase?: GasBase;
}

export interface CompileOptions {
  /** The tenant's one gas base: every gas value is converted to it (default 60 °F, 14.65 psia). */
  gasBase?: GasBase;
}

export type ChannelError =
  | { channel: string; kind: 'unknown_variable'; variable: string }
  | {
      channel: string;
      kind: 'unit_not_accepted';
      variable: string;
      unit: string;
      accepted: readonly string[];
    }
  | { channel: string; kind: 'conversion'; error: ConversionError };

const TEMPLATE_KEYS = Object.keys(SAMPLE_TEMPLATES) as SampleTemplateKey[];
const T = Object.fromEntries(TEMPLATE_KEYS.map((key, i) => [key, i])) as Record<
  SampleTemplateKey,
  number
>;
const TEMPLATES = TEMPLATE_KEYS.length;

export interface CompiledChannels {
  readonly count: number;
  readonly bindings: readonly ChannelBinding[];
  readonly variables: readonly VariableDefinition[];
  readonly factor: Float64Array;
  readonly offset: Float64Array;
  readonly physicalMin: Float64Array;
  readonly physicalMax: Float64Array;
  readonly typicalMin: Float64Array;
  readonly typicalMax: Float64Array;
  /** Canonical units per millisecond; NaN where the rule does not apply. */
  readonly maxRatePerMs: Float64Array;
  readonly stuckAfterMs: Float64Array;
  readonly isTotalizer: Uint8Array;
  readonly rolloverAt: Float64Array;
  /** rule[channel · TEMPLATES + template] = index in RULES, or −1. */
  readonly rule: Int32Array;
}

export function compileChannels(
  bindings: readonly ChannelBinding[],
  options: CompileOptions = {},
): {
  compiled: CompiledChannels;
  errors: ChannelError[];
} {
  const errors: ChannelError[] = [];
  const kept: Array<{
    binding: ChannelBinding;
    variable: VariableDefinition;
    factor: number;
    offset: number;
  }> = [];
  for (const binding of bindings) {
    const variable = variableByCode(binding.variable);
    if (!variable) {
      errors.push({ channel: binding.id, kind: 'unknown_variable', variable: binding.variable });
      continue;
    }
    if (!(variable.inputUnits as readonly string[]).includes(binding.unit)) {
      errors.push({
        channel: binding.id,
        kind: 'unit_not_accepted',
        variable: variable.code,
        unit: binding.unit,
        accepted: variable.inputUnits,
      });
      continue;
    }
    const built = converterBetween(binding.unit, variable.canonicalUnit, {
      ...(binding.atmosphericPressurePsia === undefined
        ? {}
        : { atmosphericPressurePsia: binding.atmosphericPressurePsia }),
    });
    if (!built.ok) {
      errors.push({ channel: binding.id, kind: 'conversion', error: built.error });
      continue;
    }
    let { factor, offset } = built.converter;
    const dimension = UNITS[variable.canonicalUnit].dimension;
    if (binding.gasBase && (dimension === 'gas_volume' || dimension === 'gas_flow')) {
      // Reference conditions (family 1): one gas base per tenant, converted on the way in.
      const toBase = gasBaseFactor(binding.gasBase, options.gasBase ?? GAS_BASE_COLOMBIA);
      factor *= toBase;
      offset *= toBase;
    }
    kept.push({ binding, variable, factor, offset });
  }
  const n = kept.length;
  const compiled: CompiledChannels = {
    count: n,
    bindings: kept.map((k) => k.binding),
    variables: kept.map((k) => k.variable),
    factor: Float64Array.from(kept, (k) => k.factor),
    offset: Float64Array.from(kept, (k) => k.offset),
    physicalMin: Float64Array.from(kept, (k) => k.variable.physicalRange[0]),
    physicalMax: Float64Array.from(kept, (k) => k.variable.physicalRange[1]),
    typicalMin: Float64Array.from(kept, (k) => k.variable.typicalRange[0]),
    typicalMax: Float64Array.from(kept, (k) => k.variable.typicalRange[1]),
    maxRatePerMs: Float64Array.from(kept, (k) =>
      k.variable.maxRatePerMinute === null ? Number.NaN : k.variable.maxRatePerMinute / 60_000,
    ),
    stuckAfterMs: Float64Array.from(kept, (k) =>
      k.variable.stuckAfterMinutes === null ? Number.NaN : k.variable.stuckAfterMinutes * 60_000,
    ),
    isTotalizer: Uint8Array.from(kept, (k) => (k.variable.kind === 'totalizer' ? 1 : 0)),
    rolloverAt: Float64Array.from(kept, (k) => k.binding.rolloverAt ?? Number.NaN),
    rule: new Int32Array(n * TEMPLATES).fill(-1),
  };
  const ruleIds = new Map(RULES.map((r, i) => [r.id, i]));
  kept.forEach((k, c) => {
    TEMPLATE_KEYS.forEach((key, t) => {
      compiled.rule[c * TEMPLATES + t] = ruleIds.get(`${key}.${k.variable.code}`) ?? -1;
    });
  });
  return { compiled, errors };
}

/** Per-channel memory of the stateful rules. Plain typed arrays: cheap to copy and persist. */
export interface ValidationState {
  lastTimestamp: Float64Array;
  lastValue: Float64Array;
  unchangedSince: Float64Array;
  ewmaMean: Float64Array;
  ewmaVariance: Float64Array;
  seen: Float64Array;
}

export function createValidationState(channels: number): ValidationState {
  return {
    lastTimestamp: new Float64Array(channels).fill(Number.NEGATIVE_INFINITY),
    lastValue: new Float64Array(channels).fill(Number.NaN),
    unchangedSince: new Float64Array(channels).fill(Number.NaN),
    ewmaMean: new Float64Array(channels),
    ewmaVariance: new Float64Array(channels),
    seen: new Float64Array(channels),
  };
}

function copyState(state: ValidationState): ValidationState {
  return {
    lastTimestamp: state.lastTimestamp.slice(),
    lastValue: state.lastValue.slice(),
    unchangedSince: state.unchangedSince.slice(),
    ewmaMean: state.ewmaMean.slice(),
    ewmaVariance: state.ewmaVariance.slice(),
    seen: state.seen.slice(),
  };
}

/** Source status as the connector reports it (OPC UA severity; Modbus exceptions are Bad). */
export const SOURCE_STATUS = { good: 0, uncertain: 1, bad: 2 } as const;

export interface SampleBatch {
  length: number;
  /** Index into the compiled channels. */
  channel: Uint32Array;
  /** Epoch milliseconds (UTC). */
  timestamp: Float64Array;
  /** Value in the channel's input unit. */
  value: Float64Array;
  /** SOURCE_STATUS code. */
  sourceStatus: Uint8Array;
}

export interface ValidationConfig {
  /** The server clock, epoch ms: the engine never reads a clock itself. */
  nowMs: number;
  /** Tolerated clock skew of field devices before a timestamp counts as future. */
  maxClockSkewMs?: number;
  /** EWMA smoothing and threshold of the statistical rule. */
  spc?: { lambda: number; sigmas: number; warmup: number };
}

/** Violations, column by column (one entry per firing), to keep the hot loop allocation-free. */
export interface Violations {
  sample: number[];
  rule: number[];
  value: number[];
  /** Second piece of evidence: previous value, minutes, status code… (see the message). */
  value2: number[];
}

export interface ValidationResult {
  state: ValidationState;
  /** FLAG code per sample. */
  flags: Uint8Array;
  /** Value in the canonical unit (NaN when not finite). */
  values: Float64Array;
  /** 1 if the sample goes on to aggregation, 0 if it was discarded (duplicate). */
  accepted: Uint8Array;
  violations: Violations;
}

export type BatchError =
  | { kind: 'length_mismatch'; expected: number; column: string; actual: number }
  | { kind: 'unknown_channel'; sample: number; channel: number };

/**
 * Validates one batch. Returns a typed error (and changes nothing) when the batch itself
 * is malformed; otherwise every sample gets a flag, a canonical value and its violations,
 * and the returned state replaces the one passed in (which is left untouched).
 */
export function validateBatch(
  compiled: CompiledChannels,
  previous: ValidationState,
  batch: SampleBatch,
  config: ValidationConfig,
): { ok: true; result: ValidationResult } | { ok: false; error: BatchError } {
  const n = batch.length;
  for (const column of ['channel', 'timestamp', 'value', 'sourceStatus'] as const) {
    if (batch[column].length < n)
      return {
        ok: false,
        error: { kind: 'length_mismatch', expected: n, column, actual: batch[column].length },
      };
  }
  const channels = batch.channel;
  for (let i = 0; i < n; i++) {
    if (channels[i]! >= compiled.count)
      return { ok: false, error: { kind: 'unknown_channel', sample: i, channel: channels[i]! } };
  }

  const state = copyState(previous);
  const { lastTimestamp, lastValue, unchangedSince, ewmaMean, ewmaVariance, seen } = state;
  const {
    factor,
    offset,
    physicalMin,
    physicalMax,
    typicalMin,
    typicalMax,
    maxRatePerMs,
    stuckAfterMs,
    isTotalizer,
    rolloverAt,
    rule,
  } = compiled;
  const flags = new Uint8Array(n);
  const values = new Float64Array(n);
  const accepted = new Uint8Array(n).fill(1);
  const violations: Violations = { sample: [], rule: [], value: [], value2: [] };
  const futureLimit = config.nowMs + (config.maxClockSkewMs ?? 5 * 60_000);
  const lambda = config.spc?.lambda ?? 0.1;
  const sigmas = config.spc?.sigmas ?? 6;
  const warmup = config.spc?.warmup ?? 30;
  const timestamps = batch.timestamp;
  const raw = batch.value;
  const status = batch.sourceStatus;

  const fire = (i: number, c: number, template: number, value: number, value2: number): void => {
    const r = rule[c * TEMPLATES + template]!;
    if (r < 0) return;
    violations.sample.push(i);
    violations.rule.push(r);
    violations.value.push(value);
    violations.value2.push(value2);
  };

  for (let i = 0; i < n; i++) {
    const c = channels[i]!;
    const t = timestamps[i]!;
    const input = raw[i]!;
    let flag: number = FLAG.G;
    if (!Number.isFinite(input) || !Number.isFinite(t)) {
      fire(i, c, T['schema.finite'], input, t);
      flags[i] = FLAG.B;
      values[i] = Number.NaN;
      continue;
    }
    const x = input * factor[c]! + offset[c]!;
    values[i] = x;
    const source = status[i]!;
    if (source === SOURCE_STATUS.bad) {
      fire(i, c, T['quality.bad'], x, source);
      flag = FLAG.B;
    } else if (source === SOURCE_STATUS.uncertain) {
      fire(i, c, T['quality.uncertain'], x, source);
    }
    if (t > futureLimit) {
      fire(i, c, T['timeliness.future'], x, t - config.nowMs);
      flag = FLAG.B;
    }
    if (x < physicalMin[c]! || x > physicalMax[c]!) {
      fire(i, c, T.range, x, 0);
      flag = FLAG.B;
    } else if (x < typicalMin[c]! || x > typicalMax[c]!) {
      fire(i, c, T.typical, x, 0);
    }

    const last = lastTimestamp[c]!;
    if (t === last) {
      fire(i, c, T['completeness.duplicate'], x, lastValue[c]!);
      accepted[i] = 0;
      flags[i] = flag;
      continue;
    }
    if (t < last) {
      // Late data from store-and-forward: fine to aggregate, but not part of the sequence.
      fire(i, c, T['timeliness.out_of_order'], x, last);
      flags[i] = flag;
      continue;
    }
    lastTimestamp[c] = t;
    if (flag === FLAG.B) {
      flags[i] = flag;
      continue;
    }
    const previousValue = lastValue[c]!;
    if (previousValue === previousValue) {
      const dt = t - last;
      const delta = x - previousValue;
      if (isTotalizer[c] === 1) {
        if (delta < 0) {
          const top = rolloverAt[c]!;
          if (top === top && previousValue > 0.9 * top && x < 0.1 * top)
            fire(i, c, T['totalizer.rollover'], x, top);
          else fire(i, c, T['totalizer.reset'], x, previousValue);
        } else if (delta > maxRatePerMs[c]! * dt) {
          fire(i, c, T['totalizer.jump'], delta, dt / 60_000);
          flag = FLAG.B;
        }
      } else {
        const limit = maxRatePerMs[c]!;
        if (limit === limit && Math.abs(delta) > limit * dt)
          fire(i, c, T.roc, (Math.abs(delta) / dt) * 60_000, 0);
        const stuckAfter = stuckAfterMs[c]!;
        if (stuckAfter === stuckAfter) {
          if (delta === 0) {
            const since = unchangedSince[c]!;
            if (since !== since) unchangedSince[c] = last;
            else if (t - since >= stuckAfter) {
              fire(i, c, T.stuck, x, (t - since) / 60_000);
              flag = FLAG.B;
            }
          } else {
            unchangedSince[c] = Number.NaN;
          }
        }
        // EWMA control chart (flags only).
        const count = seen[c]!;
        const mean = ewmaMean[c]!;
        const variance = ewmaVariance[c]!;
        const diff = x - mean;
        if (count >= warmup && variance > 0 && diff * diff > sigmas * sigmas * variance) {
          fire(i, c, T.spc, x, Math.abs(diff) / Math.sqrt(variance));
        }
        const increment = lambda * diff;
        ewmaMean[c] = count === 0 ? x : mean + increment;
        ewmaVariance[c] = count === 0 ? 0 : (1 - lambda) * (variance + diff * increment);
        seen[c] = count + 1;
      }
    } else if (isTotalizer[c] !== 1) {
      ewmaMean[c] = x;
      seen[c] = 1;
    }
    if (flag !== FLAG.B) lastValue[c] = x;
    flags[i] = flag;
  }
  return { ok: true, result: { state, flags, values, accepted, violations } };
}

export interface ViolationView {
  sample: number;
  ruleId: string;
  severity: string;
  channel: string;
  message: string;
  evidence: { value: number; value2: number };
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, '');
}

/** Renders the violations of a result in Spanish (default) or English. */
export function describeViolations(
  compiled: CompiledChannels,
  batch: SampleBatch,
  violations: Violations,
  locale: 'es' | 'en' = 'es',
): ViolationView[] {
  return violations.sample.map((sample, k) => {
    const rule = RULES[violations.rule[k]!]!;
    const c = batch.channel[sample]!;
    const variable = compiled.variables[c]!;
    const value = violations.value[k]!;
    const value2 = violations.value2[k]!;
    const replacements: Record<string, string> = {
      variable: variable.name[locale],
      value: format(value),
      value2: format(value2),
      unit: UNITS[variable.canonicalUnit].label,
      min: format(rule.check === 'typical' ? variable.typicalRange[0] : variable.physicalRange[0]),
      max: format(
        rule.check === 'typical'
          ? variable.typicalRange[1]
          : rule.check === 'rate_of_change'
            ? (variable.maxRatePerMinute ?? Number.NaN)
            : rule.check === 'totalizer_rollover'
              ? value2
              : variable.physicalRange[1],
      ),
    };
    return {
      sample,
      ruleId: rule.id,
      severity: rule.severity,
      channel: compiled.bindings[c]!.id,
      message: rule.message[locale].replace(
        /\{(\w+)\}/g,
        (_, key: string) => replacements[key] ?? `{${key}}`,
      ),
      evidence: { value, value2 },
    };
  });
}

/** Builds a columnar batch from plain objects (convenience for tests and small callers). */
export function batchOf(
  samples: ReadonlyArray<{
    channel: number;
    timestamp: number;
    value: number;
    sourceStatus?: number;
  }>,
): SampleBatch {
  return {
    length: samples.length,
    channel: Uint32Array.from(samples, (s) => s.channel),
    timestamp: Float64Array.from(samples, (s) => s.timestamp),
    value: Float64Array.from(samples, (s) => s.value),
    sourceStatus: Uint8Array.from(samples, (s) => s.sourceStatus ?? 0),
  };
}
