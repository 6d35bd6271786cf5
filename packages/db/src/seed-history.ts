import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { bogotaDayOf, bogotaDayStart, SLOT_MS, SLOTS_PER_DAY } from '@anh/domain/bogota-day';
import { createRandom } from '@anh/domain/random';
import { appendTenantAudit } from './audit-store';
import type { Database } from './client';
import * as tenantSchema from './schema/tenant';
import { createPartitions, existingMonths, monthsBetween } from './telemetry/partitions';

/**
 * A production history written straight into `slots`, as the aggregate stage would have
 * left it: N wells (test rates, pressures, status) plus a separator and a LACT with
 * totalizers, for `days` days up to the last closed slot before `nowMs`. For the
 * dashboard's browser tests and benchmark, where pushing a month of raw samples through
 * the pipeline would take far longer than the thing being measured. Seeded, so runs repeat.
 *
 * Gaps are real gaps: a missing slot has no row, and the totalizer delta after a gap
 * carries the volume of the whole gap, exactly as the aggregation computes it.
 */
export interface HistoryOptions {
  wells: number;
  days: number;
  nowMs: number;
  seed?: number;
  siteCode?: string;
  /** Share of slots with no data (per well variable, and for the totalizers). */
  missingShare?: number;
}

/** One stored slot, as written. */
export interface HistorySlot {
  start: number;
  mean: number | null;
  delta: number | null;
  completeness: number;
  flag: 'G' | 'S' | 'E' | 'B';
}

export interface HistoryVariable {
  id: string;
  code: string;
  pointCode: string;
  pointKind: 'well' | 'separator' | 'fiscal_liquid_meter';
  slots: HistorySlot[];
}

export interface SeededHistory {
  siteId: string;
  wellIds: string[];
  variables: HistoryVariable[];
  firstSlot: number;
  /** End of the last closed slot written. */
  end: number;
}

const WELL_VARIABLES: Array<[code: string, unit: string]> = [
  ['well_test_oil_rate', 'bbl/d'],
  ['well_test_gas_rate', 'kscf/d'],
  ['well_test_water_rate', 'bbl/d'],
  ['tubing_head_pressure', 'psig'],
  ['casing_head_pressure', 'psig'],
  ['well_status', 'state'],
];
const FIELD_POINTS: Array<{
  code: string;
  name: string;
  kind: HistoryVariable['pointKind'];
  variables: Array<[string, string]>;
}> = [
  {
    code: 'SEP-01',
    name: 'Separador general',
    kind: 'separator',
    variables: [
      ['separator_pressure', 'psig'],
      ['separator_oil_totalizer', 'bbl'],
      ['separator_gas_totalizer', 'kscf'],
      ['separator_water_totalizer', 'bbl'],
    ],
  },
  {
    code: 'LACT-01',
    name: 'Unidad LACT',
    kind: 'fiscal_liquid_meter',
    variables: [
      ['fiscal_nsv_totalizer', 'bbl'],
      ['fiscal_pressure', 'psig'],
    ],
  },
];

export async function seedProductionHistory(
  db: Database,
  tenantId: string,
  options: HistoryOptions,
): Promise<SeededHistory> {
  const random = createRandom(options.seed ?? 1);
  const missingShare = options.missingShare ?? 0.03;
  const todayStart = (bogotaDayStart(bogotaDayOf(options.nowMs)) as { ms: number }).ms;
  const end = todayStart + Math.floor((options.nowMs - todayStart) / SLOT_MS) * SLOT_MS;
  const firstSlot = todayStart - options.days * SLOTS_PER_DAY * SLOT_MS;
  const slotCount = (end - firstSlot) / SLOT_MS;
  const siteCode = options.siteCode ?? 'CAMPO-1';

  // Points and variables, through the ordinary tables.
  const created = await db.withTenant(tenantId, async (tx) => {
    const [site] = await tx
      .insert(tenantSchema.sites)
      .values({
        code: siteCode,
        name: `Estación ${siteCode}`,
        fieldName: `Campo ${siteCode}`,
        department: 'Meta',
        municipality: 'Puerto Gaitán',
        latitude: 3.95,
        longitude: -71.85,
      })
      .returning();
    const siteId = site!.id;
    const points = [
      ...Array.from({ length: options.wells }, (_, i) => ({
        code: `W-${String(i + 1).padStart(3, '0')}`,
        name: `Pozo ${i + 1}`,
        kind: 'well' as const,
        variables: WELL_VARIABLES,
      })),
      ...FIELD_POINTS,
    ];
    const inserted = await tx
      .insert(tenantSchema.measurementPoints)
      .values(
        points.map((p, i) => ({
          siteId,
          code: p.code,
          name: p.name,
          kind: p.kind,
          // Wells on a loose grid a few kilometres across, the facilities at its centre.
          latitude:
            p.kind === 'well' ? 3.95 + 0.012 * Math.floor(i / 5) + 0.004 * random.next() : 3.95,
          longitude: p.kind === 'well' ? -71.85 + 0.012 * (i % 5) + 0.004 * random.next() : -71.85,
        })),
      )
      .returning();
    const rows = inserted.flatMap((point, i) =>
      points[i]!.variables.map(([code, unit]) => ({
        pointId: point.id,
        code,
        unit,
        sourceTag: `${point.code}.${code}`,
      })),
    );
    const variableRows = await tx.insert(tenantSchema.variables).values(rows).returning();
    const pointOf = new Map(inserted.map((p) => [p.id, p]));
    const variables = variableRows.map((v) => ({
      id: v.id,
      code: v.code,
      pointId: v.pointId,
      pointCode: pointOf.get(v.pointId)!.code,
      pointKind: pointOf.get(v.pointId)!.kind as HistoryVariable['pointKind'],
    }));
    await appendTenantAudit(tx, {
      actor: 'system:seed',
      action: 'site.created',
      entity: 'site',
      entityId: siteId,
      data: { code: siteCode, points: points.length, variables: variables.length, history: true },
    });
    return { siteId, variables };
  });
  await db.withTenantClient(tenantId, async (client) => {
    const existing = await existingMonths(client);
    const missing = monthsBetween(firstSlot, end).filter((m) => !existing.has(m));
    if (missing.length) await createPartitions(client, missing);
  });

  // The series: each well declines slowly from its own rate, with noise and a daily swing;
  // the separator's totalizers run at the wells' sum, the LACT at 98 % of the oil.
  const wells = created.variables.filter((v) => v.pointKind === 'well');
  const wellCodes = [...new Set(wells.map((v) => v.pointCode))];
  const wellBase = new Map(
    wellCodes.map((code) => [
      code,
      {
        oil: 150 + 650 * random.next(),
        gasPerBbl: 0.4 + 0.8 * random.next(),
        waterCut: 0.2 + 0.6 * random.next(),
        thp: 250 + 500 * random.next(),
      },
    ]),
  );
  const fieldRate = {
    oil: new Float64Array(slotCount),
    gas: new Float64Array(slotCount),
    water: new Float64Array(slotCount),
  };
  const out: HistoryVariable[] = [];
  for (const v of created.variables) {
    const slots: HistorySlot[] = [];
    const base = wellBase.get(v.pointCode);
    // A run of missing slots now and then (a link down), single missing slots otherwise.
    let runningMissing = 0;
    const missingNow = (): boolean => {
      if (runningMissing > 0) return runningMissing-- > 0;
      if (random.next() >= missingShare) return false;
      if (random.next() < 0.1) runningMissing = 6 + random.int(12);
      return true;
    };
    for (let k = 0; k < slotCount; k++) {
      const start = firstSlot + k * SLOT_MS;
      const dayFraction = ((start - firstSlot) % 86_400_000) / 86_400_000;
      if (base) {
        const decline = Math.exp(-0.004 * (k / SLOTS_PER_DAY));
        const swing = 1 + 0.03 * Math.sin(2 * Math.PI * dayFraction);
        const oil = base.oil * decline * swing * (1 + 0.01 * random.normal());
        const water = (oil * base.waterCut) / (1 - base.waterCut);
        const gas = oil * base.gasPerBbl;
        const value: Record<string, number> = {
          well_test_oil_rate: oil,
          well_test_water_rate: water,
          well_test_gas_rate: gas,
          tubing_head_pressure: base.thp * swing + 3 * random.normal(),
          casing_head_pressure: base.thp * 0.6 + 2 * random.normal(),
          well_status: 1,
        };
        if (v.code === 'well_test_oil_rate') fieldRate.oil[k]! += oil;
        if (v.code === 'well_test_gas_rate') fieldRate.gas[k]! += gas;
        if (v.code === 'well_test_water_rate') fieldRate.water[k]! += water;
        // The well produced whether or not its data arrived: the field's meters saw it.
        if (missingNow()) continue;
        const suspect = random.next() < 0.01;
        slots.push({
          start,
          mean: value[v.code]!,
          delta: null,
          completeness: suspect ? 0.6 : 1,
          flag: suspect ? 'S' : 'G',
        });
      } else {
        if (missingNow()) continue;
        slots.push({ start, mean: null, delta: null, completeness: 1, flag: 'G' });
      }
    }
    out.push({ id: v.id, code: v.code, pointCode: v.pointCode, pointKind: v.pointKind, slots });
  }

  // Field points: pressures are plain values; totalizers get the deltas the aggregation
  // would compute (volume since the previous stored slot, so gaps carry over).
  const fieldShare: Record<string, [keyof typeof fieldRate, number]> = {
    separator_oil_totalizer: ['oil', 1],
    separator_gas_totalizer: ['gas', 1],
    separator_water_totalizer: ['water', 1],
    fiscal_nsv_totalizer: ['oil', 0.98],
  };
  for (const v of out) {
    if (v.pointKind === 'well') continue;
    const share = fieldShare[v.code];
    // The wells' rate at slot k stands for the field's even where a well slot is missing:
    // use each slot's own sum of well rates, or the previous slot's when that sum is 0.
    let carried = 0;
    let lastStored = -1;
    for (const slot of v.slots) {
      const k = (slot.start - firstSlot) / SLOT_MS;
      if (!share) {
        slot.mean =
          v.code === 'fiscal_pressure' ? 80 + 2 * random.normal() : 120 + 3 * random.normal();
        continue;
      }
      let volume = 0;
      for (let j = lastStored + 1; j <= k; j++) {
        const rate = fieldRate[share[0]][j]!;
        carried = rate > 0 ? rate : carried;
        volume += (carried * share[1]) / SLOTS_PER_DAY;
      }
      slot.delta = lastStored < 0 ? (carried * share[1]) / SLOTS_PER_DAY : volume;
      lastStored = k;
    }
  }

  // COPY, one variable after another, in one transaction.
  await db.withTenantClient(tenantId, async (client) => {
    const stream = client.query(
      copyFrom(
        `COPY slots (variable_id, slot_start, count, mean, min, max, first, last, completeness, flag, delta) FROM STDIN`,
      ),
    );
    function* lines(): Generator<string> {
      for (const v of out) {
        const rows: string[] = [];
        for (const s of v.slots) {
          const mean = s.mean === null ? '\\N' : String(s.mean);
          const count = Math.round(10 * s.completeness);
          rows.push(
            `${v.id}\t${new Date(s.start).toISOString()}\t${count}\t${mean}\t${mean}\t${mean}\t${mean}\t${mean}\t${s.completeness}\t${s.flag}\t${s.delta === null ? '\\N' : s.delta}\n`,
          );
        }
        yield rows.join('');
      }
    }
    await pipeline(Readable.from(lines()), stream);
  });

  return {
    siteId: created.siteId,
    wellIds: [...new Set(wells.map((v) => v.pointId))],
    variables: out,
    firstSlot,
    end,
  };
}
