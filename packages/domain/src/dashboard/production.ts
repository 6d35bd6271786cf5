import { SLOTS_PER_DAY } from '../aggregation/bogota-day';

/**
 * Daily production quantities for the dashboard, from stored 10-minute slots.
 *
 * Never a sum of rate samples: a rate (bbl/d, kscf/d) is integrated over the time it
 * covers (each slot mean stands for 10 minutes, 1/144 of a day), and a totalizer's volume
 * is the sum of its slot deltas. A delta runs from the previous reading to this slot's
 * last one, so a gap in the data lands in the first delta after it: Σ deltas is the
 * volume up to the last slot with a delta, however many slots in between are missing.
 */
export type Product = 'oil' | 'gas' | 'water';
export const PRODUCTS: readonly Product[] = ['oil', 'gas', 'water'];

export type QuantityKind = 'rate' | 'totalizer';

export interface ProductionSource {
  code: string;
  kind: QuantityKind;
}

/**
 * Where a field's production is read, in order of preference: the fiscal (net standard)
 * meter for oil, then the separator's totalizers, then its flow rates. The same choice
 * the daily report makes for its totals (oil NSV, separator gas and water).
 */
export const FIELD_SOURCES: Record<Product, readonly ProductionSource[]> = {
  oil: [
    { code: 'fiscal_nsv_totalizer', kind: 'totalizer' },
    { code: 'separator_oil_totalizer', kind: 'totalizer' },
    { code: 'separator_oil_flow', kind: 'rate' },
  ],
  gas: [
    { code: 'separator_gas_totalizer', kind: 'totalizer' },
    { code: 'separator_gas_flow', kind: 'rate' },
  ],
  water: [
    { code: 'separator_water_totalizer', kind: 'totalizer' },
    { code: 'separator_water_flow', kind: 'rate' },
  ],
};

/** A well's own production: its (allocated or tested) rates. */
export const WELL_SOURCES: Record<Product, ProductionSource> = {
  oil: { code: 'well_test_oil_rate', kind: 'rate' },
  gas: { code: 'well_test_gas_rate', kind: 'rate' },
  water: { code: 'well_test_water_rate', kind: 'rate' },
};

/** Units the dashboard shows: barrels per day, thousand standard cubic feet per day (KPCD). */
export const PRODUCT_UNITS: Record<Product, string> = {
  oil: 'bbl/d',
  gas: 'kscf/d',
  water: 'bbl/d',
};

/** The first source of `product` that the field has; null when it measures none. */
export function fieldSourceOf(
  product: Product,
  availableCodes: ReadonlySet<string>,
): ProductionSource | null {
  return FIELD_SOURCES[product].find((s) => availableCodes.has(s.code)) ?? null;
}

/** What the database sums for one variable over one day's closed slots. */
export interface DaySlotSums {
  /** Slots with a mean (a rate's covered time). */
  meanSlots: number;
  sumMean: number;
  /** Slots with a delta (a totalizer's readings). */
  deltaSlots: number;
  sumDelta: number;
  /** Index (0–143) of the last slot with a delta; null when none. */
  lastDeltaSlot: number | null;
}

export interface DailyQuantity {
  /** Volume produced in the covered time (bbl, kscf); null when nothing was measured. */
  volume: number | null;
  /** Average rate over the covered time, per day (bbl/d, kscf/d): comparable between days. */
  rate: number | null;
  /** Slots the volume stands for. */
  coveredSlots: number;
  /** Closed slots of the day so far (144 for a past day). */
  elapsedSlots: number;
}

export const NO_QUANTITY = (elapsedSlots: number): DailyQuantity => ({
  volume: null,
  rate: null,
  coveredSlots: 0,
  elapsedSlots,
});

/** One variable's quantity for one day. */
export function dailyQuantity(
  kind: QuantityKind,
  sums: DaySlotSums | undefined,
  elapsedSlots: number,
): DailyQuantity {
  if (!sums) return NO_QUANTITY(elapsedSlots);
  if (kind === 'rate') {
    if (sums.meanSlots === 0) return NO_QUANTITY(elapsedSlots);
    return {
      volume: sums.sumMean / SLOTS_PER_DAY,
      rate: sums.sumMean / sums.meanSlots,
      coveredSlots: sums.meanSlots,
      elapsedSlots,
    };
  }
  if (sums.deltaSlots === 0 || sums.lastDeltaSlot === null) return NO_QUANTITY(elapsedSlots);
  // The deltas cover the day from its start up to the end of the last slot with one.
  const covered = sums.lastDeltaSlot + 1;
  return {
    volume: sums.sumDelta,
    rate: (sums.sumDelta * SLOTS_PER_DAY) / covered,
    coveredSlots: covered,
    elapsedSlots,
  };
}

/** Several points measuring the same thing (two separators, twenty wells): their sum. */
export function sumQuantities(
  quantities: readonly DailyQuantity[],
  elapsedSlots: number,
): DailyQuantity {
  const measured = quantities.filter((q) => q.rate !== null);
  if (measured.length === 0) return NO_QUANTITY(elapsedSlots);
  return {
    volume: measured.reduce((sum, q) => sum + (q.volume ?? 0), 0),
    rate: measured.reduce((sum, q) => sum + (q.rate ?? 0), 0),
    coveredSlots: Math.min(...measured.map((q) => q.coveredSlots)),
    elapsedSlots,
  };
}

/** Relative change of `today` against `yesterday` (0.05 = +5 %); null without both. */
export function relativeChange(today: number | null, yesterday: number | null): number | null {
  if (today === null || yesterday === null || yesterday === 0) return null;
  return (today - yesterday) / Math.abs(yesterday);
}

/** Closed 10-minute slots of a day at `nowMs` (the slot in progress is not counted). */
export function closedSlots(dayStartMs: number, nowMs: number): number {
  const elapsed = Math.floor((nowMs - dayStartMs) / (10 * 60_000));
  return Math.max(0, Math.min(SLOTS_PER_DAY, elapsed));
}

/**
 * One slot's rate for a trend chart: a rate's mean, or a totalizer's delta scaled to a
 * day (a delta that closes a gap stands for several slots, so it is divided by them).
 */
export function slotRate(
  kind: QuantityKind,
  slot: { mean: number | null; delta: number | null },
  slotsSincePreviousDelta = 1,
): number | null {
  if (kind === 'rate') return slot.mean;
  if (slot.delta === null) return null;
  return (slot.delta * SLOTS_PER_DAY) / Math.max(1, slotsSincePreviousDelta);
}
