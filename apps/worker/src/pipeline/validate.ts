import type pg from 'pg';
import type { Database } from '@anh/db';
import { raiseAlert } from '@anh/db/reports';
import { loadBindings } from '@anh/db/telemetry';
import { FLAG } from '@anh/domain/rules';
import { compileTenantChannels } from './channels';
import { SLOT_MS } from '@anh/domain/bogota-day';
import { decompressBody, parseUploadBody, DEFAULT_BODY_LIMITS } from '@anh/domain/upload-body';
import { toSampleBatch } from '@anh/domain/upload';
import {
  createValidationState,
  describeViolations,
  validateBatch,
  type CompiledChannels,
  type ValidationState,
} from '@anh/domain/validation';

/**
 * Stage 1 (validate, normalise): the tenant's pending batches, oldest first, through the
 * validation engine (which converts each value to the catalog's canonical unit and checks
 * it there). A sample the rules flagged other than G gets its flag stored; each rule that
 * fired becomes a validation event with its evidence (in canonical units); the touched
 * 10-minute slots are queued for aggregation. Per-variable rule state, results and the batch's new status
 * are written in ONE transaction, under the stage's row lock: a crash rolls all of it back
 * and the retry redoes exactly the same work, so nothing is lost or counted twice.
 */
export interface ValidateOutcome {
  batches: number;
  samples: number;
  events: number;
  dirtySlots: number;
  /** Variables with an error-level violation in this run (each raises or repeats an alert). */
  alerted: number;
  /** More batches were waiting than one run takes. */
  more: boolean;
}

const MAX_SAMPLES_PER_RUN = 100_000;
const MAX_BATCHES_PER_RUN = 50;

async function loadState(
  client: pg.ClientBase,
  compiled: CompiledChannels,
): Promise<ValidationState> {
  const state = createValidationState(compiled.count);
  const index = new Map(compiled.bindings.map((b, i) => [b.id, i]));
  const { rows } = await client.query<{
    variable_id: string;
    last_timestamp: number;
    last_value: number;
    unchanged_since: number;
    ewma_mean: number;
    ewma_variance: number;
    seen: number;
  }>('SELECT * FROM channel_state');
  for (const row of rows) {
    const c = index.get(row.variable_id);
    if (c === undefined) continue;
    state.lastTimestamp[c] = row.last_timestamp;
    state.lastValue[c] = row.last_value;
    state.unchangedSince[c] = row.unchanged_since;
    state.ewmaMean[c] = row.ewma_mean;
    state.ewmaVariance[c] = row.ewma_variance;
    state.seen[c] = row.seen;
  }
  return state;
}

async function saveState(
  client: pg.ClientBase,
  compiled: CompiledChannels,
  state: ValidationState,
  touched: Set<number>,
): Promise<void> {
  if (touched.size === 0) return;
  const channels = [...touched];
  await client.query(
    `INSERT INTO channel_state AS c (variable_id, last_timestamp, last_value, unchanged_since,
       ewma_mean, ewma_variance, seen, updated_at)
     SELECT v, a, b, d, e, f, g, now()
     FROM unnest($1::uuid[], $2::float8[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[])
       AS u(v, a, b, d, e, f, g)
     ON CONFLICT (variable_id) DO UPDATE SET last_timestamp = excluded.last_timestamp,
       last_value = excluded.last_value, unchanged_since = excluded.unchanged_since,
       ewma_mean = excluded.ewma_mean, ewma_variance = excluded.ewma_variance,
       seen = excluded.seen, updated_at = now()`,
    [
      channels.map((c) => compiled.bindings[c]!.id),
      // float8 arrays travel as text: NaN and ±Infinity spelled the way PostgreSQL reads them.
      channels.map((c) => float8(state.lastTimestamp[c]!)),
      channels.map((c) => float8(state.lastValue[c]!)),
      channels.map((c) => float8(state.unchangedSince[c]!)),
      channels.map((c) => float8(state.ewmaMean[c]!)),
      channels.map((c) => float8(state.ewmaVariance[c]!)),
      channels.map((c) => float8(state.seen[c]!)),
    ],
  );
}

function float8(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return String(x);
}

export async function runValidateStage(db: Database, tenantId: string): Promise<ValidateOutcome> {
  return db.withTenantClient(tenantId, async (client) => {
    // One validate run per tenant at a time: the rules' state is sequential.
    await client.query(`SELECT 1 FROM pipeline_stages WHERE stage = 'validate' FOR UPDATE`);
    const { rows: pending } = await client.query<{
      seq: string;
      body: Buffer | null;
      body_format: 'json' | 'ndjson';
      received_at: Date;
      sample_count: number;
    }>(
      `SELECT seq, body, body_format, received_at, sample_count FROM ingest_batches
       WHERE status = 'stored' ORDER BY seq LIMIT $1`,
      [MAX_BATCHES_PER_RUN + 1],
    );
    const outcome: ValidateOutcome = {
      batches: 0,
      samples: 0,
      events: 0,
      dirtySlots: 0,
      alerted: 0,
      more: pending.length > MAX_BATCHES_PER_RUN,
    };
    if (pending.length === 0) return outcome;
    const bindings = await loadBindings(client);
    const compiled = compileTenantChannels(bindings);
    const channelOf = new Map(compiled.bindings.map((b, i) => [b.id, i]));
    let state = await loadState(client, compiled);
    const touched = new Set<number>();
    const dirty = new Map<string, { variable: string; slot: number }>();
    const errors = new Map<string, ValidationErrorSeen>();

    for (const row of pending.slice(0, MAX_BATCHES_PER_RUN)) {
      if (outcome.batches > 0 && outcome.samples + row.sample_count > MAX_SAMPLES_PER_RUN) {
        outcome.more = true;
        break;
      }
      const seq = Number(row.seq);
      if (row.body) {
        const decoded = decompressBody(row.body, 'gzip', DEFAULT_BODY_LIMITS);
        const { batch } = parseUploadBody(decoded, row.body_format);
        const { samples, positions } = toSampleBatch(batch, channelOf);
        const validated = validateBatch(compiled, state, samples, {
          // The server's clock when the batch arrived: a retry judges it the same way.
          nowMs: row.received_at.getTime(),
        });
        if (!validated.ok) throw new Error(`validation engine refused batch ${seq}`);
        const { result } = validated;
        state = result.state;
        const n = samples.length;
        const variable: string[] = [];
        const ts: string[] = [];
        const flag: number[] = [];
        for (let k = 0; k < n; k++) {
          const c = samples.channel[k]!;
          touched.add(c);
          const sample = batch.samples[positions[k]!]!;
          const id = compiled.bindings[c]!.id;
          const slot = Math.floor(samples.timestamp[k]! / SLOT_MS) * SLOT_MS;
          dirty.set(`${id}|${slot}`, { variable: id, slot });
          // Good is the default: only the exceptions are written.
          if (result.accepted[k] === 0 || result.flags[k] === FLAG.G) continue;
          variable.push(id);
          ts.push(sample.ts);
          flag.push(result.flags[k]!);
        }
        if (variable.length > 0)
          await client.query(
            `UPDATE samples s SET flag = u.f
             FROM unnest($1::uuid[], $2::timestamptz[], $3::int2[]) AS u(v, t, f)
             WHERE s.variable_id = u.v AND s.ts = u.t AND s.batch_seq = $4`,
            [variable, ts, flag, seq],
          );
        const views = describeViolations(compiled, samples, result.violations, 'es');
        if (views.length > 0) {
          await client.query(
            `INSERT INTO validation_events (variable_id, ts, rule_id, severity, batch_seq, value, value2, message)
             SELECT v, t, r, s, $5, nullif(a, 'NaN'::float8), nullif(b, 'NaN'::float8), m
             FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $6::float8[], $7::float8[], $8::text[])
               AS u(v, t, r, s, a, b, m)
             ON CONFLICT DO NOTHING`,
            [
              views.map((v) => v.channel),
              views.map((v) => batch.samples[positions[v.sample]!]!.ts),
              views.map((v) => v.ruleId),
              views.map((v) => v.severity),
              seq,
              views.map((v) => float8(v.evidence.value)),
              views.map((v) => float8(v.evidence.value2)),
              views.map((v) => v.message),
            ],
          );
          outcome.events += views.length;
          for (const view of views) {
            if (view.severity !== 'error') continue;
            const seen = errors.get(view.channel);
            if (seen) seen.count++;
            else
              errors.set(view.channel, {
                count: 1,
                ruleId: view.ruleId,
                message: view.message,
                value: Number.isFinite(view.evidence.value) ? view.evidence.value : null,
                ts: batch.samples[positions[view.sample]!]!.ts,
              });
          }
        }
        for (const aggregate of batch.aggregates ?? []) {
          if (!channelOf.has(aggregate.binding)) continue;
          const slot = Math.floor(Date.parse(aggregate.slotStart) / SLOT_MS) * SLOT_MS;
          dirty.set(`${aggregate.binding}|${slot}`, { variable: aggregate.binding, slot });
        }
        outcome.samples += n;
      }
      await client.query(
        `UPDATE ingest_batches SET status = 'validated', validated_at = now(), body = NULL WHERE seq = $1`,
        [seq],
      );
      outcome.batches++;
    }
    await saveState(client, compiled, state, touched);
    outcome.alerted = await alertValidationErrors(
      client,
      errors,
      [...touched].map((c) => compiled.bindings[c]!.id),
    );
    if (dirty.size > 0) {
      const marks = [...dirty.values()];
      await client.query(
        `INSERT INTO dirty_slots (variable_id, slot_start)
         SELECT v, to_timestamp(s / 1000.0) FROM unnest($1::uuid[], $2::float8[]) AS u(v, s)
         ON CONFLICT DO NOTHING`,
        [marks.map((m) => m.variable), marks.map((m) => m.slot)],
      );
      outcome.dirtySlots = marks.length;
    }
    return outcome;
  });
}

interface ValidationErrorSeen {
  count: number;
  ruleId: string;
  message: string;
  value: number | null;
  ts: string;
}

/**
 * People hear of a reading the rules reject (out of its physical range, not a number…) at
 * once, not at the next report: one open alert per variable (`validation.error`, subject
 * the variable id; more errors while it is open count occurrences). Written in the
 * stage's transaction, so the alert feed's NOTIFY leaves at commit, with the batch.
 * A variable whose readings in this run were all accepted closes its open alert.
 */
async function alertValidationErrors(
  client: pg.ClientBase,
  errors: Map<string, ValidationErrorSeen>,
  touchedVariableIds: string[],
): Promise<number> {
  const clean = touchedVariableIds.filter((id) => !errors.has(id));
  if (clean.length > 0)
    await client.query(
      `UPDATE alerts SET resolved_at = now()
        WHERE kind = 'validation.error' AND resolved_at IS NULL AND subject = ANY($1::text[])`,
      [clean],
    );
  if (errors.size === 0) return 0;
  const { rows } = await client.query<{
    variable_id: string;
    code: string;
    point_id: string;
    point_code: string;
    site_id: string;
  }>(
    `SELECT v.id AS variable_id, v.code, p.id AS point_id, p.code AS point_code, p.site_id
       FROM variables v JOIN measurement_points p ON p.id = v.point_id
      WHERE v.id = ANY($1::uuid[])`,
    [[...errors.keys()]],
  );
  const nowMs = Date.now();
  for (const row of rows) {
    const seen = errors.get(row.variable_id)!;
    await raiseAlert(client, {
      kind: 'validation.error',
      subject: row.variable_id,
      severity: 'warning',
      audience: ['engineer', 'operator'],
      message:
        `${row.point_code}: ${seen.message}` +
        (seen.count > 1 ? ` (y ${seen.count - 1} lectura(s) más rechazadas)` : ''),
      data: {
        variableId: row.variable_id,
        variable: row.code,
        pointId: row.point_id,
        siteId: row.site_id,
        point: row.point_code,
        ruleId: seen.ruleId,
        value: seen.value,
        ts: seen.ts,
        rejected: seen.count,
      },
      nowMs,
    });
  }
  return rows.length;
}
