import {
  bigint,
  boolean,
  char,
  doublePrecision,
  integer,
  pgTable,
  smallint,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * Typed shape of the time-partitioned tenant tables, for queries. They are created by the
 * hand-written migration `migrations/tenant/0003_telemetry_partitioned.sql` (drizzle-kit
 * cannot declare a partitioned table), so this file is not in drizzle.tenant.config.ts.
 */
const instant = (name: string) =>
  timestamp(name, { withTimezone: true, precision: 3, mode: 'date' }).notNull();

export const samples = pgTable('samples', {
  variableId: uuid('variable_id').notNull(),
  ts: instant('ts'),
  /** As received, in the unit the binding declares; null when the source had none. */
  value: doublePrecision('value'),
  /** 0 good, 1 uncertain, 2 bad (the source's own verdict). */
  sourceStatus: smallint('source_status').notNull(),
  sourceCode: bigint('source_code', { mode: 'number' }),
  batchSeq: bigint('batch_seq', { mode: 'number' }).notNull(),
  /** FLAG code where validation made it other than G; null = good once the batch is validated. */
  flag: smallint('flag'),
});

export const slots = pgTable('slots', {
  variableId: uuid('variable_id').notNull(),
  slotStart: instant('slot_start'),
  count: integer('count').notNull(),
  mean: doublePrecision('mean'),
  min: doublePrecision('min'),
  max: doublePrecision('max'),
  first: doublePrecision('first'),
  last: doublePrecision('last'),
  completeness: doublePrecision('completeness').notNull(),
  flag: char('flag', { length: 1 }).notNull(),
  delta: doublePrecision('delta'),
  counterEvent: text('counter_event'),
  innerDelta: doublePrecision('inner_delta'),
  manualCount: integer('manual_count').notNull(),
  fromConnectorAggregate: boolean('from_connector_aggregate').notNull(),
  revision: integer('revision').notNull(),
  computedAt: instant('computed_at'),
});

export const validationEvents = pgTable('validation_events', {
  variableId: uuid('variable_id').notNull(),
  ts: instant('ts'),
  ruleId: text('rule_id').notNull(),
  severity: text('severity').notNull(),
  batchSeq: bigint('batch_seq', { mode: 'number' }).notNull(),
  value: doublePrecision('value'),
  value2: doublePrecision('value2'),
  message: text('message').notNull(),
});
