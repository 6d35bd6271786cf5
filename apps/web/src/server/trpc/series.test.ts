import { TRPCError } from '@trpc/server';
import ExcelJS from 'exceljs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAuditChain, tenantTables, type Tenant } from '@anh/db';
import { buildDayReports } from '@anh/db/reports';
import { seedField, seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { createPartitions, loadFieldDay, monthsBetween } from '@anh/db/telemetry';
import { useTestDatabase } from '@anh/db/test-helpers';
import { BOGOTA_OFFSET_MS, bogotaDayOf, bogotaDayStart, SLOT_MS } from '@anh/domain/bogota-day';
import type { DailyReport } from '@anh/domain/report';
import { bogotaText, handleExport } from '../../app/api/t/[slug]/export/handle';
import { createCaller } from './root';

/**
 * A point's series on the real database: slots, raw samples and validation events stored
 * as the pipeline leaves them; engineers' corrections (audited, read by the report's
 * loadFieldDay), reverted; who may do what; the CSV and Excel export.
 */
const testDb = useTestDatabase();
const DAY_MS = 86_400_000;
let acme: Tenant;
let rival: Tenant;
let engineer: User;
let operator: User;
let auditor: User;
let stranger: User;
let pointId: string;
let thp: string;
let temperature: string;
let flare: string;
let rivalVariable: string;
let rivalPoint: string;
/** Yesterday in Bogotá, and the day before. */
const day = bogotaDayOf(Date.now() - DAY_MS);
const dayStart = (bogotaDayStart(day) as { ok: true; ms: number }).ms;
const at = (slot: number) => dayStart + slot * SLOT_MS;
const iso = (ms: number) => new Date(ms).toISOString();
/** THP slot means: 100 + k; slot 50 had a bad sample, slot 60 is missing. */
const thpMean = (k: number) => 100 + k + 0.25;

const callerFor = (user: User) => createCaller({ db: testDb().db, userId: user.id });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => 'OK').catch((e: unknown) => e);
  return error === 'OK' ? 'OK' : error instanceof TRPCError ? error.code : String(error);
}

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  rival = await seedTenant(db);
  const field = await seedField(db, acme.id, { wells: 1 });
  const rivalField = await seedField(db, rival.id, { wells: 1 });
  pointId = field.pointIds[0]!;
  rivalPoint = rivalField.pointIds[0]!;
  [engineer, operator, auditor, stranger] = [
    await seedUser(db, { name: 'Ingeniera Pérez' }),
    await seedUser(db),
    await seedUser(db),
    await seedUser(db),
  ];
  await seedMembership(db, acme.id, engineer.id, 'engineer');
  await seedMembership(db, acme.id, operator.id, 'operator');
  await seedMembership(db, acme.id, auditor.id, 'auditor');
  await seedMembership(db, rival.id, stranger.id, 'admin');
  rivalVariable = await db.withTenantClient(
    rival.id,
    async (client) =>
      (await client.query<{ id: string }>(`SELECT id FROM variables LIMIT 1`)).rows[0]!.id,
  );
  await db.withTenantClient(acme.id, async (client) => {
    const idOf = async (code: string) =>
      (await client.query<{ id: string }>(`SELECT id FROM variables WHERE code = $1`, [code]))
        .rows[0]!.id;
    thp = await idOf('tubing_head_pressure');
    temperature = await idOf('flowline_temperature');
    flare = await idOf('flare_totalizer');
    await createPartitions(client, monthsBetween(dayStart - 2 * DAY_MS, dayStart + DAY_MS));
    const slots: Array<[string, number, number | null, string, number | null]> = [];
    for (let k = 0; k < 144; k++) {
      if (k !== 60) slots.push([thp, at(k), thpMean(k), k === 50 ? 'B' : 'G', null]);
      slots.push([temperature, at(k), 150, 'G', null]);
      slots.push([flare, at(k), 5000 + 10 * k, 'G', 10]);
    }
    // The day before: one THP slot (for the previous-day estimate).
    slots.push([thp, at(80) - DAY_MS, 500, 'G', null]);
    await client.query(
      `INSERT INTO slots (variable_id, slot_start, count, mean, min, max, first, last, completeness, flag, delta)
       SELECT v, to_timestamp(s / 1000.0), 10, m, m - 1, m + 1, m, m, 1, f, d
       FROM unnest($1::uuid[], $2::float8[], $3::float8[], $4::char(1)[], $5::float8[]) AS u(v, s, m, f, d)`,
      [
        slots.map((s) => s[0]),
        slots.map((s) => s[1]),
        slots.map((s) => s[2]),
        slots.map((s) => s[3]),
        slots.map((s) => s[4]),
      ],
    );
    // Slot 50's raw samples: one a minute, the fourth far out of range (flag B = 3).
    const minutes = Array.from({ length: 10 }, (_, m) => m);
    await client.query(
      `INSERT INTO samples (variable_id, ts, value, source_status, source_code, batch_seq, flag)
       SELECT $1, to_timestamp(t / 1000.0), v, s, 0, 1, f
       FROM unnest($2::float8[], $3::float8[], $4::int2[], $5::int2[]) AS u(t, v, s, f)`,
      [
        thp,
        minutes.map((m) => at(50) + m * 60_000),
        minutes.map((m) => (m === 3 ? 99999 : 150 + m / 4)),
        minutes.map((m) => (m === 7 ? 1 : 0)),
        minutes.map((m) => (m === 3 ? 3 : null)),
      ],
    );
    await client.query(
      `INSERT INTO validation_events (variable_id, ts, rule_id, severity, batch_seq, value, value2, message)
       VALUES ($1, $2, 'range.tubing_head_pressure', 'error', 1, 99999, NULL, 'THP fuera de rango')`,
      [thp, iso(at(50) + 3 * 60_000)],
    );
    const model = await client.query<{ id: string }>(
      `INSERT INTO anomaly_models (point_id, kind, version, trained_at, baseline_from, baseline_to, rows, model, threshold)
       VALUES ($1, 'iforest', 2, now(), now() - interval '30 days', now(), 4000, '{}', 0.6) RETURNING id`,
      [pointId],
    );
    await client.query(
      `INSERT INTO anomalies (point_id, detector, model_id, model_version, slot_start, score, threshold, evidence)
       VALUES ($1, 'iforest', $2, 2, $3, 0.71, 0.6, '{"drivers":[]}')`,
      [pointId, model.rows[0]!.id, iso(at(70))],
    );
  });
});

describe('reading a series', () => {
  it('lists the point, its site and its variables with the last reading', async () => {
    const view = await callerFor(operator).series.point({ tenantSlug: acme.slug, pointId });
    expect(view.point).toMatchObject({ id: pointId, code: 'W-001', kind: 'well' });
    expect(view.site.code).toMatch(/^SITE-/);
    const variable = view.variables.find((v) => v.id === thp)!;
    expect(variable).toMatchObject({ code: 'tubing_head_pressure', kind: 'analog', unit: 'psig' });
    expect(variable.name.es).toMatch(/THP/);
    expect(variable.last).toMatchObject({ at: at(50) + 9 * 60_000, value: 150 + 9 / 4, flag: 'G' });
    expect(variable.last!.ageSeconds).toBeGreaterThan(0);
    // No raw samples, only slots (e.g. the connector's own aggregates): the last closed slot.
    expect(view.variables.find((v) => v.id === temperature)!.last).toMatchObject({
      at: at(143) + 600_000,
      value: 150,
      flag: 'G',
    });
  });

  it('returns the slots as stored, the missing one as M, anomalies and counts', async () => {
    const series = await callerFor(auditor).series.slots({
      tenantSlug: acme.slug,
      variableId: thp,
      from: iso(at(0)),
      to: iso(at(144)),
    });
    expect(series.resolution).toBe('10min');
    expect(series.points).toHaveLength(144);
    expect(series.points[10]).toMatchObject({
      start: at(10),
      value: thpMean(10),
      min: thpMean(10) - 1,
      max: thpMean(10) + 1,
      flag: 'G',
      completeness: 1,
      original: null,
    });
    expect(series.points[50]).toMatchObject({ value: thpMean(50), flag: 'B' });
    expect(series.points[60]).toMatchObject({ value: null, flag: 'M', completeness: 0 });
    expect(series.counts).toEqual({ G: 142, S: 0, E: 0, B: 1, M: 1 });
    expect(series.anomalies).toMatchObject([
      { detector: 'iforest', slotStart: at(70), score: 0.71 },
    ]);
  });

  it('downsamples long ranges by hour, then by day, and caps the range', async () => {
    const call = (days: number) =>
      callerFor(operator).series.slots({
        tenantSlug: acme.slug,
        variableId: flare,
        from: iso(at(144) - days * DAY_MS),
        to: iso(at(144)),
      });
    const hourly = await call(20);
    expect(hourly.resolution).toBe('hour');
    expect(hourly.points.length).toBeLessThanOrEqual(1000);
    const hour = hourly.points.find((p) => p.start === at(6))!;
    // A totalizer's increases add up: six slots of 10.
    expect(hour).toMatchObject({ end: at(12), value: 60, slots: 6, flag: 'G' });
    const daily = await call(60);
    expect(daily.resolution).toBe('day');
    expect(daily.points.find((p) => p.start === dayStart)).toMatchObject({
      value: 1440,
      slots: 144,
    });
    expect(await codeOf(call(93))).toBe('BAD_REQUEST');
  });

  it('returns raw samples with their source status and flag (≤ 24 h)', async () => {
    const raw = await callerFor(operator).series.raw({
      tenantSlug: acme.slug,
      variableId: thp,
      from: iso(at(50)),
      to: iso(at(51)),
    });
    expect(raw.samples).toHaveLength(10);
    expect(raw.truncated).toBe(false);
    expect(raw.samples[3]).toMatchObject({ value: 99999, rawValue: 99999, flag: 'B' });
    expect(raw.samples[7]).toMatchObject({ sourceStatus: 'uncertain', flag: 'G' });
    expect(
      await codeOf(
        callerFor(operator).series.raw({
          tenantSlug: acme.slug,
          variableId: thp,
          from: iso(at(0) - DAY_MS),
          to: iso(at(1)),
        }),
      ),
    ).toBe('BAD_REQUEST');
  });

  it('shows the evidence behind a flag: the rule, its message in both languages, the counts', async () => {
    const evidence = await callerFor(operator).series.evidence({
      tenantSlug: acme.slug,
      variableId: thp,
      slotStart: iso(at(50)),
    });
    expect(evidence.slot).toMatchObject({ flag: 'B', value: thpMean(50), stored: true });
    expect(evidence.events).toHaveLength(1);
    expect(evidence.events[0]).toMatchObject({
      ts: at(50) + 3 * 60_000,
      ruleId: 'range.tubing_head_pressure',
      severity: 'error',
      flag: 'B',
      value: 99999,
    });
    expect(evidence.events[0]!.message.es).toMatch(/THP.*99999.*fuera del rango físico/);
    expect(evidence.events[0]!.message.en).toMatch(/Tubing head pressure.*outside the physical/);
    expect(evidence.events[0]!.family?.number).toBe(2);
    expect(evidence.samples).toMatchObject({
      total: 10,
      byFlag: { G: 9, B: 1 },
      bySource: { good: 9, uncertain: 1 },
    });
    expect(evidence.corrections).toEqual([]);
  });

  it("another tenant's point or variable is not found", async () => {
    const caller = callerFor(engineer);
    const slug = acme.slug;
    const range = { from: iso(at(0)), to: iso(at(6)) };
    expect(await codeOf(caller.series.point({ tenantSlug: slug, pointId: rivalPoint }))).toBe(
      'NOT_FOUND',
    );
    // Thunks, called one at a time: a promise made early and awaited late would reject
    // unhandled meanwhile.
    for (const call of [
      () => caller.series.slots({ tenantSlug: slug, variableId: rivalVariable, ...range }),
      () => caller.series.raw({ tenantSlug: slug, variableId: rivalVariable, ...range }),
      () =>
        caller.series.evidence({
          tenantSlug: slug,
          variableId: rivalVariable,
          slotStart: range.from,
        }),
      () =>
        caller.series.correct({
          tenantSlug: slug,
          variableId: rivalVariable,
          slotStart: range.from,
          method: 'substitute',
          value: 1,
          reason: 'Tiquete de medición 1',
        }),
    ])
      expect(await codeOf(call())).toBe('NOT_FOUND');
  });
});

describe('corrections', () => {
  const reason = 'Tiquete de medición 4471 del operador';
  let substitution: string;

  it('operators and auditors may not correct or revert', async () => {
    for (const user of [operator, auditor]) {
      expect(
        await codeOf(
          callerFor(user).series.correct({
            tenantSlug: acme.slug,
            variableId: thp,
            slotStart: iso(at(50)),
            method: 'substitute',
            value: 150,
            reason,
          }),
        ),
      ).toBe('FORBIDDEN');
      expect(
        await codeOf(
          callerFor(user).series.revertCorrection({
            tenantSlug: acme.slug,
            correctionId: '00000000-0000-4000-8000-000000000000',
            reason,
          }),
        ),
      ).toBe('FORBIDDEN');
    }
  });

  it('an engineer substitutes a bad slot: flag S, audited, and the report reads it', async () => {
    const [report] = await buildDayReports(testDb().db, acme.id, day, { nowMs: Date.now() });
    const result = await callerFor(engineer).series.correct({
      tenantSlug: acme.slug,
      variableId: thp,
      slotStart: iso(at(50)),
      method: 'substitute',
      value: 150.5,
      reason: `  ${reason}  `,
    });
    substitution = result.correctionId;
    expect(result.before).toMatchObject({ mean: thpMean(50), flag: 'B', correction: null });
    expect(result.after).toMatchObject({ mean: 150.5, min: 150.5, max: 150.5, flag: 'S' });
    // The day's report was built before: it now needs an amendment.
    expect(result.amendmentDue).toBe(true);

    const chain = await testDb().db.withTenant(acme.id, (tx) =>
      readAuditChain(tx, tenantTables.auditLog),
    );
    const entry = chain.find((e) => e.action === 'slot.corrected')!;
    expect(entry.actor).toBe(`user:${engineer.id}`);
    expect(entry.data).toMatchObject({
      method: 'substitute',
      value: 150.5,
      reason,
      flag: 'S',
      before: { mean: thpMean(50), flag: 'B' },
      after: { mean: 150.5, flag: 'S', correction: { id: substitution } },
    });

    const field = await testDb().db.withTenantClient(acme.id, (client) =>
      loadFieldDay(client, day),
    );
    const slot = field.points
      .find((p) => p.code === 'W-001')!
      .variables.find((v) => v.code === 'tubing_head_pressure')!.aggregation.slots[50]!;
    expect(slot).toMatchObject({ mean: 150.5, flag: 'S', count: 10 });

    // The amendment (built from loadFieldDay) carries the corrected value and its flag.
    const amended = await callerFor(engineer).delivery.amend({
      tenantSlug: acme.slug,
      day,
      siteId: report!.siteId,
      reason: 'Corrección del THP del pozo W-001',
    });
    const content = await testDb().db.withTenantClient(
      acme.id,
      async (client) =>
        (
          await client.query<{ content: string }>(`SELECT content FROM reports WHERE id = $1`, [
            amended.id,
          ])
        ).rows[0]!.content,
    );
    const variable = (JSON.parse(content) as DailyReport).points
      .find((p) => p.code === 'W-001')!
      .variables.find((v) => v.code === 'tubing_head_pressure')!;
    expect(variable.slots.mean[50]).toBe(150.5);
    expect(variable.slots.flags[50]).toBe('S');
  });

  it('shows raw against corrected, and the correction in the evidence', async () => {
    const series = await callerFor(operator).series.slots({
      tenantSlug: acme.slug,
      variableId: thp,
      from: iso(at(48)),
      to: iso(at(52)),
    });
    expect(series.points[2]).toMatchObject({
      start: at(50),
      value: 150.5,
      flag: 'S',
      corrected: 1,
      original: thpMean(50),
      originalFlag: 'B',
      correction: { id: substitution, method: 'substitute', reason },
    });
    expect(series.counts).toMatchObject({ S: 1, B: 0 });
    const evidence = await callerFor(auditor).series.evidence({
      tenantSlug: acme.slug,
      variableId: thp,
      slotStart: iso(at(50)),
    });
    expect(evidence.slot).toMatchObject({ flag: 'S', original: { mean: thpMean(50), flag: 'B' } });
    expect(evidence.corrections).toMatchObject([
      { id: substitution, active: true, userName: 'Ingeniera Pérez', method: 'substitute' },
    ]);
  });

  it('estimates: interpolation between good neighbours (E), previous day, and refusals', async () => {
    const caller = callerFor(engineer);
    const interpolated = await caller.series.correct({
      tenantSlug: acme.slug,
      variableId: thp,
      slotStart: iso(at(60)),
      method: 'interpolate',
      reason: 'Falla de comunicación con el PLC',
    });
    expect(interpolated.value).toBeCloseTo((thpMean(59) + thpMean(61)) / 2, 9);
    expect(interpolated.after.flag).toBe('E');
    expect(interpolated.basis).toMatchObject({
      method: 'interpolate',
      before: { start: at(59) },
      after: { start: at(61) },
    });
    const previous = await caller.series.correct({
      tenantSlug: acme.slug,
      variableId: thp,
      slotStart: iso(at(80)),
      method: 'previous_day',
      reason: 'Sensor en mantenimiento programado',
    });
    expect(previous).toMatchObject({ value: 500, after: { flag: 'E', mean: 500 } });
    const refused = [
      () =>
        caller.series.correct({
          tenantSlug: acme.slug,
          variableId: thp,
          slotStart: iso(at(81)),
          method: 'previous_day',
          reason,
        }),
      () =>
        caller.series.correct({
          tenantSlug: acme.slug,
          variableId: thp,
          slotStart: iso(at(81)),
          method: 'substitute',
          value: 1e6,
          reason,
        }),
      () =>
        caller.series.correct({
          tenantSlug: acme.slug,
          variableId: thp,
          slotStart: iso(at(81) + 60_000),
          method: 'substitute',
          value: 1,
          reason,
        }),
      () =>
        caller.series.correct({
          tenantSlug: acme.slug,
          variableId: thp,
          slotStart: iso(at(81)),
          method: 'substitute',
          value: 1,
          reason: 'corta',
        }),
      () =>
        caller.series.correct({
          tenantSlug: acme.slug,
          variableId: thp,
          slotStart: iso(Date.now() + DAY_MS - (Date.now() % SLOT_MS)),
          method: 'substitute',
          value: 1,
          reason,
        }),
    ];
    for (const call of refused) expect(await codeOf(call())).toBe('BAD_REQUEST');
  });

  it("a totalizer's increase is corrected and the day's total follows", async () => {
    await callerFor(engineer).series.correct({
      tenantSlug: acme.slug,
      variableId: flare,
      slotStart: iso(at(5)),
      method: 'substitute',
      value: 25,
      reason: 'Lectura manual del totalizador de tea',
    });
    const field = await testDb().db.withTenantClient(acme.id, (client) =>
      loadFieldDay(client, day),
    );
    const aggregation = field.points
      .find((p) => p.code === 'FL-01')!
      .variables.find((v) => v.code === 'flare_totalizer')!.aggregation;
    expect(aggregation.slots[5]).toMatchObject({ delta: 25, flag: 'S', mean: 5050 });
    expect(aggregation.total).toBe(1440 - 10 + 25);
  });

  it('a newer correction supersedes; a revert restores the measured slot; history stays', async () => {
    const caller = callerFor(engineer);
    const second = await caller.series.correct({
      tenantSlug: acme.slug,
      variableId: thp,
      slotStart: iso(at(50)),
      method: 'substitute',
      value: 151,
      reason: 'Tiquete corregido por el operador',
    });
    expect(second.before).toMatchObject({ mean: 150.5, correction: { id: substitution } });
    await caller.series.revertCorrection({
      tenantSlug: acme.slug,
      correctionId: second.correctionId,
      reason: 'El tiquete era de otro pozo',
    });
    expect(
      await codeOf(
        caller.series.revertCorrection({
          tenantSlug: acme.slug,
          correctionId: second.correctionId,
          reason: 'Otra vez la misma reversión',
        }),
      ),
    ).toBe('CONFLICT');
    expect(
      await codeOf(
        caller.series.revertCorrection({
          tenantSlug: acme.slug,
          correctionId: substitution,
          reason: 'Una corrección ya reemplazada',
        }),
      ),
    ).toBe('CONFLICT');
    const field = await testDb().db.withTenantClient(acme.id, (client) =>
      loadFieldDay(client, day),
    );
    const slot = field.points
      .find((p) => p.code === 'W-001')!
      .variables.find((v) => v.code === 'tubing_head_pressure')!.aggregation.slots[50]!;
    expect(slot).toMatchObject({ mean: thpMean(50), flag: 'B' });
    const evidence = await caller.series.evidence({
      tenantSlug: acme.slug,
      variableId: thp,
      slotStart: iso(at(50)),
    });
    expect(evidence.corrections.map((c) => [c.value, c.active, c.revertReason])).toEqual([
      [151, false, 'El tiquete era de otro pozo'],
      [150.5, false, null],
    ]);
    expect(evidence.corrections[1]!.supersededBy).toBe(second.correctionId);
    const chain = await testDb().db.withTenant(acme.id, (tx) =>
      readAuditChain(tx, tenantTables.auditLog),
    );
    const reverted = chain.find((e) => e.action === 'slot.correction_reverted')!;
    expect(reverted.data).toMatchObject({
      correctionId: second.correctionId,
      before: { mean: 151, flag: 'S' },
      after: { mean: thpMean(50), flag: 'B', correction: null },
    });
    expect(chain.some((e) => e.action === 'slot.correction_superseded')).toBe(true);
  });

  it('the database refuses to delete or rewrite a correction', async () => {
    const { db } = testDb();
    for (const statement of [
      `DELETE FROM slot_corrections WHERE id = '${substitution}'`,
      `UPDATE slot_corrections SET value = 1 WHERE id = '${substitution}'`,
      `UPDATE slot_corrections SET superseded_at = now() WHERE id = '${substitution}'`,
      `TRUNCATE slot_corrections`,
    ])
      await expect(
        db.withTenantClient(acme.id, (client) => client.query(statement)),
      ).rejects.toThrow(/slot_corrections|append-only/);
  });
});

/** A CSV as the export writes it (UTF-8 with BOM, quoted fields, CRLF). */
async function parseCsv(response: Response, separator: string): Promise<string[][]> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  expect(text.charCodeAt(0)).toBe(0xfeff);
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === separator) {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

describe('export', () => {
  const request = (
    user: User | null,
    params: Record<string, string>,
    locale: 'es-CO' | 'en' = 'es-CO',
    slug = acme.slug,
  ) =>
    handleExport({
      db: testDb().db,
      userId: user?.id ?? null,
      slug,
      locale,
      searchParams: new URLSearchParams(params),
    });
  const range = () => ({ from: iso(at(0)), to: iso(at(144)) });

  it('CSV in Spanish and English parses back to the same numbers as the series', async () => {
    const series = await callerFor(operator).series.slots({
      tenantSlug: acme.slug,
      variableId: thp,
      ...range(),
    });
    for (const [locale, separator] of [
      ['es-CO', ';'],
      ['en', ','],
    ] as const) {
      const response = await request(
        operator,
        { variableIds: `${thp},${temperature}`, ...range(), format: 'csv' },
        locale,
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toMatch(/attachment; filename=".*\.csv"/);
      const rows = await parseCsv(response, separator);
      expect(rows[0]![0]).toBe(locale === 'en' ? 'Point' : 'Punto');
      const body = rows.slice(1);
      expect(body).toHaveLength(288);
      const number = (text: string) =>
        text === '' ? null : Number(locale === 'en' ? text : text.replace(',', '.'));
      const thpRows = body.filter((r) => r[1] === 'tubing_head_pressure');
      thpRows.forEach((r, k) => {
        const point = series.points[k]!;
        expect(r[3]).toBe(bogotaText(point.start));
        expect(r[4]).toBe(iso(point.start));
        expect(number(r[5]!)).toBe(point.value);
        expect(r[10]).toBe(point.flag);
      });
      // Decimal comma in Spanish, point in English.
      expect(thpRows[10]![5]).toBe(locale === 'en' ? '110.25' : '110,25');
      // Corrected slot 60 (interpolated): its method, reason and the measured value (none).
      expect(thpRows[60]!.slice(10, 16)).toEqual([
        'E',
        'interpolate',
        'Falla de comunicación con el PLC',
        '',
        '',
        'M',
      ]);
      expect(thpRows[3]![3]).toBe(bogotaText(at(3)));
      expect(thpRows[0]![3]).toBe(`${day} 00:00:00`);
    }
  });

  it('Excel: a real workbook with numbers as numbers and Bogotá times as dates', async () => {
    const response = await request(engineer, {
      variableIds: `${thp},${flare}`,
      ...range(),
      format: 'xlsx',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/spreadsheetml/);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await response.arrayBuffer());
    expect(book.worksheets.map((s) => s.name)).toEqual([
      'W-001 tubing_head_pressure',
      'FL-01 flare_totalizer',
    ]);
    const sheet = book.worksheets[0]!;
    expect(sheet.rowCount).toBe(145);
    const row = sheet.getRow(12); // slot 10
    expect(row.getCell(4).value).toEqual(new Date(at(10) + BOGOTA_OFFSET_MS));
    expect(row.getCell(5).value).toBe(iso(at(10)));
    expect(row.getCell(6).value).toBe(thpMean(10));
    expect(row.getCell(10).value).toBe(1);
    expect(sheet.getRow(62).getCell(11).value).toBe('E');
    const flareSheet = book.worksheets[1]!;
    expect(flareSheet.getRow(7).getCell(9).value).toBe(25); // slot 5, corrected increase
    expect(flareSheet.getRow(7).getCell(15).value).toBe(10); // measured increase
  });

  it('raw samples export; sign-in, membership and tenant are checked', async () => {
    const raw = await request(
      auditor,
      { variableIds: thp, from: iso(at(50)), to: iso(at(51)), level: 'raw' },
      'en',
    );
    const rows = await parseCsv(raw, ',');
    expect(rows).toHaveLength(11);
    expect(rows[4]!.slice(5, 11)).toEqual(['99999', '99999', 'psig', 'good', '0', 'B']);
    expect((await request(null, { variableIds: thp, ...range() })).status).toBe(401);
    expect((await request(stranger, { variableIds: thp, ...range() })).status).toBe(404);
    expect((await request(engineer, { variableIds: rivalVariable, ...range() })).status).toBe(404);
    expect(
      (await request(engineer, { variableIds: thp, ...range() }, 'es-CO', 'no-existe')).status,
    ).toBe(404);
    const tooLong = await request(engineer, {
      variableIds: thp,
      from: iso(at(0) - 100 * DAY_MS),
      to: iso(at(0)),
    });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ error: { code: 'VALIDATION' } });
    expect((await request(engineer, { variableIds: 'x', ...range() })).status).toBe(400);
  });
});
