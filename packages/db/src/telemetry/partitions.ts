import type pg from 'pg';
import { AppError } from '@anh/domain/errors';

/**
 * Monthly time partitions of the tenant's telemetry tables. A partition covers one UTC
 * month; it is created ahead by the worker (storage.partitions) and on demand when a
 * batch reaches a month that has none; it is dropped whole once its month has left the
 * retention. Each is listed in `time_partitions`, because a tenant role may not read the
 * catalogs. Runs inside a tenant transaction (the tenant role owns its schema).
 */
export const PARTITIONED_TABLES = ['samples', 'slots', 'validation_events'] as const;
export type PartitionedTable = (typeof PARTITIONED_TABLES)[number];

/** Start of the UTC month holding `ms`, as epoch ms. */
export function monthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

export function nextMonth(startMs: number): number {
  const d = new Date(startMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** Every month start from the month of `fromMs` to the month of `toMs`, inclusive. */
export function monthsBetween(fromMs: number, toMs: number): number[] {
  if (!(toMs >= fromMs)) return [];
  const months: number[] = [];
  for (let m = monthStart(fromMs); m <= toMs; m = nextMonth(m)) {
    months.push(m);
    if (months.length > 1200) throw new AppError('VALIDATION', 'time range spans over 100 years');
  }
  return months;
}

export function partitionName(table: PartitionedTable, month: number): string {
  const d = new Date(month);
  return `${table}_${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Months (epoch ms) that have partitions, read from the registry. */
export async function existingMonths(client: pg.ClientBase): Promise<Set<number>> {
  // A month counts only when every partitioned table has it.
  const { rows } = await client.query<{ start: Date; n: string }>(
    `SELECT range_start AS start, count(*) AS n FROM time_partitions GROUP BY range_start`,
  );
  return new Set(
    rows.filter((r) => Number(r.n) === PARTITIONED_TABLES.length).map((r) => r.start.getTime()),
  );
}

/**
 * Creates the partitions of the given months that do not exist yet. DDL takes a strong
 * lock on the parent, so callers do it in a short transaction of its own.
 */
export async function createPartitions(client: pg.ClientBase, months: number[]): Promise<number> {
  let created = 0;
  for (const month of months) {
    const from = new Date(month).toISOString();
    const to = new Date(nextMonth(month)).toISOString();
    for (const table of PARTITIONED_TABLES) {
      const name = partitionName(table, month);
      // Names and bounds come from numbers formatted here, never from input.
      await client.query(
        `CREATE TABLE IF NOT EXISTS "${name}" PARTITION OF "${table}" FOR VALUES FROM ('${from}') TO ('${to}')`,
      );
      const inserted = await client.query(
        `INSERT INTO time_partitions (name, parent, range_start, range_end)
         VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING`,
        [name, table, from, to],
      );
      created += inserted.rowCount ?? 0;
    }
  }
  return created;
}

/**
 * Drops every partition whose whole month ended before `cutoffMs`. Nothing newer is
 * touched, and no row is deleted one by one: a month goes, or stays, whole.
 */
export async function dropPartitionsBefore(
  client: pg.ClientBase,
  cutoffMs: number,
): Promise<string[]> {
  const { rows } = await client.query<{ name: string; parent: string }>(
    `SELECT name, parent FROM time_partitions WHERE range_end <= $1 ORDER BY range_start, name`,
    [new Date(cutoffMs).toISOString()],
  );
  for (const row of rows) {
    if (!/^[a-z_]+_\d{4}_\d{2}$/.test(row.name))
      throw new AppError('INTEGRITY', `unexpected partition name ${row.name}`);
    await client.query(`DROP TABLE IF EXISTS "${row.name}"`);
    await client.query(`DELETE FROM time_partitions WHERE name = $1`, [row.name]);
  }
  return rows.map((r) => r.name);
}

/** The retention cutoff: readings older than this many months before `nowMs` may go. */
export function retentionCutoff(nowMs: number, retentionMonths: number): number {
  const d = new Date(nowMs);
  return Date.UTC(
    d.getUTCFullYear(),
    d.getUTCMonth() - retentionMonths,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
  );
}
