/**
 * Rolling-origin backtest of the 7-day production forecasts.
 *
 *   npx tsx packages/domain/eval/forecast.eval.ts [--data <3w dir>]
 *
 * For every origin from period 30 to the end − 7, each method is fitted on the periods
 * before the origin and forecasts the next 7; its error at that origin is the MAPE over
 * the producing actuals of those 7 periods. A method's score is the mean over origins
 * (and series). The naive baseline (last producing value, repeated) is scored on exactly
 * the origins the method was, so the two numbers are paired. stdout holds one JSON line
 * per (dataset, method); notes go to stderr.
 *
 * Datasets
 * - demo-field, demo-wells: 120 days of daily oil from the simulated demo field
 *   (src/simulation/field.ts, 6 wells as in the demo). The simulator produces one day of
 *   samples at a time, and with a fixed seed every day is the same field: it has no
 *   decline. Each well's daily volume is derived from it correctly, as the time integral
 *   of its oil rate (10-minute time-weighted means of `well_test_oil_rate`, bbl/d, times
 *   the slot length) — never a sum of rate samples — and is cross-checked against the
 *   fiscal NSV totalizer. On top of it an explicit, documented Arps decline per well
 *   (DECLINES below), 4 % log-normal daily noise (allocation and metering) and random
 *   shut-in (0) and missing (null) days are applied, seeded. The field series is the
 *   daily sum of its wells.
 * - 3w-*: the real Petrobras 3W instances (CC BY 4.0, github.com/petrobras/3W; Vargas et
 *   al. 2019, doi:10.1016/j.petrol.2019.106223). They are 1 Hz sensor records of a few
 *   hours, not production volumes. As a stand-in for a daily series, the pressure
 *   upstream of the production choke (P-MON-CKP, converted to bar) is averaged over
 *   10-minute blocks (the product's slot) and over 5-minute blocks, and each block is
 *   treated as one "period". A block with less than half of its seconds is missing.
 *   At 10 minutes only the longest file reaches the 37 periods the first origin needs;
 *   at 5 minutes most do. These numbers say how the methods cope with real, noisy,
 *   event-laden signals; they are not production-forecast accuracy.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { aggregateDay } from '../src/aggregation/slots';
import { SLOT_MS, SLOTS_PER_DAY } from '../src/aggregation/bogota-day';
import {
  FORECAST_METHODS,
  fitForecastMethod,
  mape,
  selectForecastModel,
  sumDailySeries,
  validateSeries,
  type DailyValue,
  type ForecastMethod,
  type Series,
  type StepForecast,
} from '../src/analytics/forecast';
import { isProducing } from '../src/analytics/forecast-model';
import { createRandom } from '../src/analytics/random';
import { simulateField } from '../src/simulation/field';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIRST_ORIGIN = 30;
const HORIZON = 7;
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------
// Demo field

const DEMO = { wells: 6, seed: 7, days: 120, firstDay: '2026-01-01', noiseSeed: 20260101 };
/**
 * The decline applied to each simulated well: q(t) = q_sim · (1 + b·Di·t)^(−1/b), t in
 * days from the first day (b = 0: e^(−Di·t)). Di per day; a spread of young and mature
 * wells across the Arps family.
 */
const DECLINES = [
  { b: 0, di: 0.004 },
  { b: 1, di: 0.012 },
  { b: 0.5, di: 0.008 },
  { b: 0.3, di: 0.005 },
  { b: 0.8, di: 0.015 },
  { b: 0.6, di: 0.003 },
] as const;
const NOISE_SIGMA = 0.04;
const SHUT_IN_PROBABILITY = 0.015;
const MISSING_PROBABILITY = 0.005;

function dayString(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Daily oil per well (bbl) as the simulator produces it, and the fiscal NSV per day. */
function simulatedDailyOil(): { wells: Map<string, number[]>; nsv: number[] } {
  const first = Date.parse(`${DEMO.firstDay}T00:00:00Z`);
  const wells = new Map<string, number[]>();
  const nsv: number[] = [];
  for (let d = 0; d < DEMO.days; d++) {
    const day = dayString(first + d * DAY_MS);
    const points = simulateField({ day, wells: DEMO.wells, seed: DEMO.seed, samplesPerSlot: 1 });
    for (const point of points) {
      if (point.kind === 'well') {
        const rate = point.variables.find((v) => v.code === 'well_test_oil_rate')!;
        const agg = aggregateDay(day, rate.samples, { kind: 'analog', expectedPerSlot: 1 });
        if (!agg.ok) throw new Error(`aggregation failed for ${point.code} on ${day}`);
        // ∫ q dt over the day: each slot's time-weighted mean rate (bbl/d) × 10 min.
        let volume = 0;
        for (const slot of agg.value.slots) {
          if (slot.mean === null) throw new Error(`${point.code} has an empty slot on ${day}`);
          volume += slot.mean * (SLOT_MS / DAY_MS);
        }
        const list = wells.get(point.code) ?? [];
        list.push(volume);
        wells.set(point.code, list);
      }
      if (point.code === 'LACT-01') {
        const counter = point.variables.find((v) => v.code === 'fiscal_nsv_totalizer')!;
        const agg = aggregateDay(day, counter.samples, {
          kind: 'totalizer',
          expectedPerSlot: 1,
          previousReading: counter.samples[0]!.value,
        });
        if (!agg.ok || agg.value.total === null) throw new Error(`no NSV total on ${day}`);
        // The day's readings span 143 of its 144 slots (the last increase lands in the
        // next day's first slot): scale the increase to the whole day for the check.
        nsv.push((agg.value.total * SLOTS_PER_DAY) / (SLOTS_PER_DAY - 1));
      }
    }
  }
  return { wells, nsv };
}

function demoSeries(): { wells: Array<{ id: string; values: Series }>; field: Series } {
  const first = Date.parse(`${DEMO.firstDay}T00:00:00Z`);
  const base = simulatedDailyOil();
  // Cross-check: Σ well volumes against the fiscal NSV of the day. The simulator's test
  // rates carry a ±1 % sinusoid that does not integrate to zero over a day, hence the
  // small difference.
  const sumBase = [...base.wells.values()].reduce((s, v) => s + v[0]!, 0);
  const gap = (100 * (sumBase - base.nsv[0]!)) / base.nsv[0]!;
  process.stderr.write(
    `demo: ${base.wells.size} wells; day 1 Σ well volumes ${sumBase.toFixed(1)} bbl vs ` +
      `fiscal NSV ${base.nsv[0]!.toFixed(1)} bbl (${gap.toFixed(2)} %); the simulator is ` +
      `stationary, the decline is added\n`,
  );
  const rnd = createRandom(DEMO.noiseSeed);
  const wells = [...base.wells.entries()].map(([id, volumes], w) => {
    const { b, di } = DECLINES[w % DECLINES.length]!;
    const values = volumes.map((q, t): number | null => {
      const decline = b === 0 ? Math.exp(-di * t) : (1 + b * di * t) ** (-1 / b);
      const noise = Math.exp(NOISE_SIGMA * rnd.normal() - NOISE_SIGMA ** 2 / 2);
      const u = rnd.next();
      if (u < SHUT_IN_PROBABILITY) return 0;
      if (u < SHUT_IN_PROBABILITY + MISSING_PROBABILITY) return null;
      return q * decline * noise;
    });
    return { id, values };
  });
  const dated = (values: Series): DailyValue[] =>
    values.map((value, k) => ({ day: dayString(first + k * DAY_MS), value }));
  const field = sumDailySeries(wells.map((w) => ({ id: w.id, series: dated(w.values) })));
  return { wells, field: field.map((d) => d.value) };
}

// ---------------------------------------------------------------------------------------
// 3W

function parseArgs(argv: readonly string[]): { data: string | null } {
  const at = argv.indexOf('--data');
  if (at >= 0) {
    const dir = argv[at + 1];
    if (!dir) throw new Error('--data needs a directory');
    return { data: resolve(dir) };
  }
  return { data: null };
}

function defaultDataDir(): string | null {
  const gz = join(HERE, 'data', '3w');
  if (existsSync(gz) && readdirSync(gz).some((f) => f.endsWith('.csv.gz'))) return gz;
  const shared = '/work/shared/datasets/3w';
  return existsSync(shared) ? shared : null;
}

/** Block means of one 3W column: the series of `periodSeconds`-long periods. */
function blockMeans(text: string, column: string, periodSeconds: number): Array<number | null> {
  const lines = text.split('\n');
  const header = lines[0]!.trim().split(',');
  const index = header.indexOf(column);
  if (index < 0) throw new Error(`no column ${column}`);
  const sums = new Map<number, { sum: number; count: number }>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const cells = line.split(',');
    const ts = Date.parse(`${cells[0]!.replace(' ', 'T')}Z`) / 1000;
    const cell = cells[index];
    if (!Number.isFinite(ts) || cell === undefined || cell === '') continue;
    const value = Number(cell);
    if (!Number.isFinite(value)) continue;
    const block = Math.floor(ts / periodSeconds);
    const entry = sums.get(block) ?? { sum: 0, count: 0 };
    entry.sum += value;
    entry.count++;
    sums.set(block, entry);
  }
  const blocks = [...sums.keys()].sort((a, b) => a - b);
  if (blocks.length === 0) return [];
  const out: Array<number | null> = [];
  for (let k = blocks[0]!; k <= blocks[blocks.length - 1]!; k++) {
    const entry = sums.get(k);
    // Pa → bar; a negative pressure block is a faulty reading: missing.
    const mean = entry && entry.count >= periodSeconds / 2 ? entry.sum / entry.count / 1e5 : null;
    out.push(mean !== null && mean >= 0 ? mean : null);
  }
  while (out.length > 0 && out[0] === null) out.shift();
  while (out.length > 0 && out[out.length - 1] === null) out.pop();
  return out;
}

function threeWSeries(dir: string, periodMinutes: number): Array<{ id: string; values: Series }> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.csv') || f.endsWith('.csv.gz'))
    .sort();
  const series: Array<{ id: string; values: Series }> = [];
  for (const file of files) {
    const raw = readFileSync(join(dir, file));
    const text = file.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
    const values = blockMeans(text, 'P-MON-CKP', periodMinutes * 60);
    const id = file.replace(/\.csv(\.gz)?$/, '');
    if (values.length < FIRST_ORIGIN + HORIZON) {
      process.stderr.write(
        `3w ${periodMinutes} min: ${id} skipped, ${values.length} periods < ${FIRST_ORIGIN + HORIZON}\n`,
      );
      continue;
    }
    series.push({ id, values });
  }
  return series;
}

// ---------------------------------------------------------------------------------------
// Backtest

type Scored = ForecastMethod | 'selected' | 'bottom-up' | 'naive';

/**
 * The field forecast the library returns is the selected method on the summed series;
 * 'bottom-up' scores the alternative, the sum of each well's selected forecast.
 */
function bottomUp(wells: ReadonlyArray<{ values: Series }>) {
  return (origin: number): number[] | null => {
    const total = new Array<number>(HORIZON).fill(0);
    for (const { values } of wells) {
      const train = values.slice(0, origin);
      try {
        validateSeries(train);
      } catch {
        return null;
      }
      selectForecastModel(train)
        .model.forecast(HORIZON)
        .forEach((s, k) => (total[k]! += s.value));
    }
    return total;
  };
}

interface Tally {
  sum: number;
  baseline: number;
  origins: number;
  inside80: number;
  inside95: number;
  points: number;
}

function naiveForecast(train: Series): number[] | null {
  for (let k = train.length - 1; k >= 0; k--) {
    const v = train[k];
    if (isProducing(v)) return new Array<number>(HORIZON).fill(v);
  }
  return null;
}

function backtest(
  dataset: string,
  series: ReadonlyArray<{ id: string; values: Series }>,
  sumOfWells?: (origin: number) => number[] | null,
) {
  const scored: Scored[] = [...FORECAST_METHODS, 'selected', 'naive'];
  if (sumOfWells) scored.splice(scored.length - 1, 0, 'bottom-up');
  const tallies = new Map<Scored, Tally>(
    scored.map((m) => [
      m,
      { sum: 0, baseline: 0, origins: 0, inside80: 0, inside95: 0, points: 0 },
    ]),
  );
  const picks = new Map<string, number>();
  for (const { values } of series) {
    for (let origin = FIRST_ORIGIN; origin <= values.length - HORIZON; origin++) {
      const train = values.slice(0, origin);
      const test = values.slice(origin, origin + HORIZON);
      try {
        validateSeries(train);
      } catch {
        continue;
      }
      const naive = naiveForecast(train);
      const naiveError = naive ? mape(test, naive) : null;
      if (naiveError === null) continue; // no producing actual in the next 7 periods
      for (const method of scored) {
        let steps: StepForecast[] | null = null;
        let predicted: number[] | null = null;
        if (method === 'naive') {
          predicted = naive;
        } else if (method === 'bottom-up') {
          predicted = sumOfWells?.(origin) ?? null;
        } else if (method === 'selected') {
          const selection = selectForecastModel(train);
          picks.set(selection.method, (picks.get(selection.method) ?? 0) + 1);
          steps = selection.model.forecast(HORIZON);
        } else {
          steps = fitForecastMethod(method, train)?.forecast(HORIZON) ?? null;
        }
        predicted ??= steps?.map((s) => s.value) ?? null;
        const error = predicted ? mape(test, predicted) : null;
        if (error === null) continue;
        const tally = tallies.get(method)!;
        tally.sum += error;
        tally.baseline += naiveError;
        tally.origins++;
        steps?.forEach((s, k) => {
          const y = test[k];
          if (!isProducing(y)) return;
          tally.points++;
          if (y >= s.lower80 && y <= s.upper80) tally.inside80++;
          if (y >= s.lower95 && y <= s.upper95) tally.inside95++;
        });
      }
    }
  }
  const round = (v: number) => Math.round(v * 1000) / 1000;
  for (const method of scored) {
    const t = tallies.get(method)!;
    if (t.origins === 0) continue;
    const line: Record<string, unknown> = {
      name: 'forecast.backtest_mape',
      dataset,
      method,
      value: round(t.sum / t.origins),
      unit: '%',
      origins: t.origins,
      baseline: { name: 'naive', value: round(t.baseline / t.origins) },
    };
    if (t.points > 0) {
      line.coverage80 = round(t.inside80 / t.points);
      line.coverage95 = round(t.inside95 / t.points);
    }
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
  const chosen = [...picks.entries()].map(([m, n]) => `${m} ${n}`).join(', ');
  process.stderr.write(`${dataset}: ${series.length} series; selected by holdout: ${chosen}\n`);
}

const started = performance.now();
const args = parseArgs(process.argv.slice(2));
const demo = demoSeries();
backtest('demo-field', [{ id: 'field', values: demo.field }], bottomUp(demo.wells));
backtest('demo-wells', demo.wells);
const dataDir = args.data ?? defaultDataDir();
if (dataDir) {
  process.stderr.write(`3w data: ${dataDir}\n`);
  for (const minutes of [10, 5]) {
    backtest(`3w-p-mon-ckp-${minutes}min`, threeWSeries(dataDir, minutes));
  }
} else {
  process.stderr.write('3w data not found: pass --data <dir>\n');
}
process.stderr.write(`done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
