/**
 * One field-day for 50 wells with every variable the simulated field has (the count is
 * printed as `series`, 144 slots each): time to build the report (day rules included), validate it against the
 * JSON Schema and its hash, and serialise it canonically. The baseline, in the same
 * process, is plain JSON.stringify of the built report.
 */
import { GAS_BASE_COLOMBIA } from '../src/measurement/gas-base';
import { buildDailyReport, serializeReport } from '../src/report/build';
import { validateDailyReport } from '../src/report/validate';
import {
  aggregateSimulatedField,
  DEMO_FIELD,
  DEMO_OPERATOR,
  simulateField,
} from '../src/simulation/field';

const DAY = '2026-11-27';
const WELLS = 50;
const ROUNDS = 5;

const t0 = process.hrtime.bigint();
const points = simulateField({ day: DAY, wells: WELLS, seed: 3 });
const fieldDay = aggregateSimulatedField(DAY, points);
const prepareMs = Number(process.hrtime.bigint() - t0) / 1e6;
const series = fieldDay.points.reduce((n, p) => n + p.variables.length, 0);

const timings: number[] = [];
const baselines: number[] = [];
let bytes = 0;
for (let round = 0; round < ROUNDS; round++) {
  const start = process.hrtime.bigint();
  const built = buildDailyReport({
    operator: DEMO_OPERATOR,
    field: DEMO_FIELD,
    fieldDay,
    gasBase: GAS_BASE_COLOMBIA,
    events: [],
    previousReportSha256: null,
    generatedAt: '2026-11-28T06:00:00-05:00',
  });
  if (!built.ok) throw new Error(JSON.stringify(built.error));
  const validation = validateDailyReport(built.report);
  if (!validation.ok) throw new Error(JSON.stringify(validation.violations.slice(0, 3)));
  const text = serializeReport(built.report);
  timings.push(Number(process.hrtime.bigint() - start) / 1e6);
  bytes = Buffer.byteLength(text);
  const baselineStart = process.hrtime.bigint();
  JSON.stringify(built.report);
  baselines.push(Number(process.hrtime.bigint() - baselineStart) / 1e6);
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(
  JSON.stringify({
    name: 'report.build_validate_serialise_50_wells',
    value: Math.round(median(timings)),
    unit: 'ms',
    wells: WELLS,
    series,
    bytes,
    rounds: ROUNDS,
    simulateAndAggregateMs: Math.round(prepareMs),
    baseline: { name: 'json_stringify_only', value: Math.round(median(baselines)), unit: 'ms' },
  }),
);
