import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { POINT_KINDS } from '@anh/domain/tenancy';
import { CORRECTION_METHODS } from '@anh/domain/corrections';
import { auditLogColumns } from './audit-columns';

/**
 * Tables of one tenant. They carry no schema name on purpose: each tenant's copy lives
 * in its own PostgreSQL schema, and queries resolve through the search_path that
 * withTenant() sets. No tenant_id column is needed; the schema is the tenant.
 * Enumerations are text + CHECK rather than PostgreSQL enum types, so no type has to
 * be shared between schemas.
 */
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const sites = pgTable('sites', {
  id: uuid('id').primaryKey().defaultRandom(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  /** Field (campo) name as the ANH knows it. */
  fieldName: text('field_name').notNull(),
  /** E&P contract under which the field produces, when known. */
  contract: text('contract'),
  department: text('department'),
  municipality: text('municipality'),
  latitude: doublePrecision('latitude'),
  longitude: doublePrecision('longitude'),
  /** Local atmospheric pressure, psia: needed where gauge and absolute pressures meet. */
  atmosphericPressurePsia: doublePrecision('atmospheric_pressure_psia'),
  createdAt: createdAt(),
});

const pointKindList = sql.raw(POINT_KINDS.map((k) => `'${k}'`).join(', '));

export const measurementPoints = pgTable(
  'measurement_points',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'restrict' }),
    code: text('code').notNull(),
    name: text('name').notNull(),
    kind: text('kind', { enum: POINT_KINDS }).notNull(),
    /** Where the well head (or meter) is, WGS 84; the dashboard's map. Optional. */
    latitude: doublePrecision('latitude'),
    longitude: doublePrecision('longitude'),
    createdAt: createdAt(),
  },
  (t) => [
    unique('measurement_points_site_code_key').on(t.siteId, t.code),
    check('measurement_points_kind', sql`${t.kind} in (${pointKindList})`),
    index('measurement_points_site_idx').on(t.siteId),
  ],
);

export const variables = pgTable(
  'variables',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    pointId: uuid('point_id')
      .notNull()
      .references(() => measurementPoints.id, { onDelete: 'restrict' }),
    /** Code of the variable in the domain catalog, e.g. `tubing_head_pressure`. */
    code: text('code').notNull(),
    /** Unit the field sends it in; normalised to the catalog's canonical unit on ingest. */
    unit: text('unit').notNull(),
    /** SCADA tag or address it is read from, once mapped. */
    sourceTag: text('source_tag'),
    /** Readings expected per 10-minute slot (10 = one a minute): the basis of completeness. */
    expectedPerSlot: integer('expected_per_slot').notNull().default(10),
    /** Totalizers: the value at which the counter rolls over to zero. */
    rolloverAt: doublePrecision('rollover_at'),
    createdAt: createdAt(),
  },
  (t) => [
    unique('variables_point_code_key').on(t.pointId, t.code),
    index('variables_point_idx').on(t.pointId),
    check('variables_expected_per_slot', sql`${t.expectedPerSlot} between 1 and 60000`),
  ],
);

export const auditLog = pgTable('audit_log', auditLogColumns());

const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });
const epochMs = (name: string) => doublePrecision(name).notNull();

/**
 * One row per batch received: from a connector (its upload, kept as received, gzip and
 * all, until the validate stage has read it) or typed in by a person (manual readings).
 * `seq` is the order in which the pipeline processes batches; `id` is the connector's
 * batch id, the idempotency key.
 */
export const ingestBatches = pgTable(
  'ingest_batches',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    id: uuid('id').notNull().unique(),
    origin: text('origin', { enum: ['connector', 'manual'] }).notNull(),
    /** control.connector_credentials.id of the sender (origin = connector). */
    connectorId: uuid('connector_id'),
    connectorSequence: bigint('connector_sequence', { mode: 'number' }),
    /** control.users.id of the person who typed the readings (origin = manual). */
    authorId: uuid('author_id'),
    /** What kind of manual reading: tank gauging, lab BSW, meter ticket… */
    manualKind: text('manual_kind'),
    note: text('note'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true, precision: 3 })
      .notNull()
      .defaultNow(),
    sampleCount: integer('sample_count').notNull(),
    /** Rows actually added to `samples` (a repeated variable + timestamp is skipped). */
    storedCount: integer('stored_count').notNull(),
    aggregateCount: integer('aggregate_count').notNull(),
    firstTs: timestamp('first_ts', { withTimezone: true, precision: 3 }),
    lastTs: timestamp('last_ts', { withTimezone: true, precision: 3 }),
    /** SHA-256 of the decoded batch: the same id with other content is refused. */
    digest: text('digest').notNull(),
    /** The upload as received (gzip), read by the validate stage, then released. */
    body: bytea('body'),
    bodyFormat: text('body_format', { enum: ['json', 'ndjson'] }).notNull(),
    status: text('status', { enum: ['stored', 'validated'] })
      .notNull()
      .default('stored'),
    validatedAt: timestamp('validated_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    check('ingest_batches_origin', sql`${t.origin} in ('connector', 'manual')`),
    check('ingest_batches_status', sql`${t.status} in ('stored', 'validated')`),
    check('ingest_batches_body_format', sql`${t.bodyFormat} in ('json', 'ndjson')`),
    index('ingest_batches_pending_idx')
      .on(t.seq)
      .where(sql`${t.status} = 'stored'`),
  ],
);

/**
 * Memory of the stateful validation rules, per variable, exactly as the engine's typed
 * arrays hold it (epoch ms as float8; NaN and -Infinity are valid float8 values). Written
 * in the same transaction as the flags it produced, so a retried job resumes exactly.
 */
export const channelState = pgTable('channel_state', {
  variableId: uuid('variable_id').primaryKey(),
  lastTimestamp: epochMs('last_timestamp'),
  lastValue: epochMs('last_value'),
  unchangedSince: epochMs('unchanged_since'),
  ewmaMean: epochMs('ewma_mean'),
  ewmaVariance: epochMs('ewma_variance'),
  seen: epochMs('seen'),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Slots whose samples changed since they were last aggregated (the aggregate stage's queue). */
export const dirtySlots = pgTable(
  'dirty_slots',
  {
    variableId: uuid('variable_id').notNull(),
    slotStart: timestamp('slot_start', { withTimezone: true }).notNull(),
    markedAt: timestamp('marked_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.variableId, t.slotStart] })],
);

/** 10-minute summaries a connector made of raw samples it had to drop (disk full). */
export const connectorAggregates = pgTable(
  'connector_aggregates',
  {
    variableId: uuid('variable_id').notNull(),
    slotStart: timestamp('slot_start', { withTimezone: true }).notNull(),
    batchSeq: bigint('batch_seq', { mode: 'number' }).notNull(),
    count: integer('count').notNull(),
    mean: doublePrecision('mean').notNull(),
    min: doublePrecision('min').notNull(),
    max: doublePrecision('max').notNull(),
    firstTs: timestamp('first_ts', { withTimezone: true, precision: 3 }).notNull(),
    firstValue: doublePrecision('first_value').notNull(),
    lastTs: timestamp('last_ts', { withTimezone: true, precision: 3 }).notNull(),
    lastValue: doublePrecision('last_value').notNull(),
    worstQuality: text('worst_quality', { enum: ['good', 'uncertain', 'bad'] }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.variableId, t.slotStart, t.batchSeq] })],
);

/**
 * The daily report's bookkeeping per Bogotá day: when it was generated, and whether data
 * that arrived afterwards changed one of its slots (so an amendment is due).
 */
export const reportDays = pgTable('report_days', {
  day: date('day', { mode: 'string' }).primaryKey(),
  generatedAt: timestamp('generated_at', { withTimezone: true }),
  needsAmendment: boolean('needs_amendment').notNull().default(false),
  /** Slots re-aggregated after the report was generated. */
  lateSlots: integer('late_slots').notNull().default(0),
  lastLateAt: timestamp('last_late_at', { withTimezone: true }),
});

/** Outcome of each day rule, per Bogotá day, from the analyse stage. */
export const dayRuleResults = pgTable(
  'day_rule_results',
  {
    day: date('day', { mode: 'string' }).notNull(),
    ruleId: text('rule_id').notNull(),
    subject: text('subject').notNull(),
    status: text('status', { enum: ['ok', 'violation', 'not_evaluated'] }).notNull(),
    detail: jsonb('detail').notNull(),
    evaluatedAt: timestamp('evaluated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.day, t.ruleId, t.subject] })],
);

/**
 * The time partitions of the partitioned tables (samples, slots, validation_events).
 * Kept here because a tenant role may not read the catalogs that list partitions.
 */
export const timePartitions = pgTable(
  'time_partitions',
  {
    name: text('name').primaryKey(),
    parent: text('parent', { enum: ['samples', 'slots', 'validation_events'] }).notNull(),
    rangeStart: timestamp('range_start', { withTimezone: true }).notNull(),
    rangeEnd: timestamp('range_end', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [unique('time_partitions_parent_start_key').on(t.parent, t.rangeStart)],
);

/** One row per pipeline stage: its lock (SELECT … FOR UPDATE serialises a stage per tenant). */
export const pipelineStages = pgTable('pipeline_stages', {
  stage: text('stage').primaryKey(),
  lastRunAt: timestamp('last_run_at', { withTimezone: true }),
});

/**
 * Where the daily report goes (one row: id = 1). The password is sealed with AES-256-GCM
 * (packages/domain/src/secret-box.ts) under a key from the environment; never stored clear.
 */
export const deliverySettings = pgTable(
  'delivery_settings',
  {
    id: integer('id').primaryKey().default(1),
    host: text('host').notNull(),
    port: integer('port').notNull().default(21),
    /** explicit: FTPS (AUTH TLS), the default; none: plain FTP, only where the target requires it. */
    tlsMode: text('tls_mode', { enum: ['explicit', 'none'] })
      .notNull()
      .default('explicit'),
    /** PEM of a private CA the target's certificate is signed by, when not a public one. */
    tlsCaPem: text('tls_ca_pem'),
    remoteDir: text('remote_dir').notNull().default('/'),
    filePattern: text('file_pattern').notNull(),
    username: text('username').notNull(),
    passwordSealed: text('password_sealed').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('delivery_settings_single_row', sql`${t.id} = 1`),
    check('delivery_settings_tls_mode', sql`${t.tlsMode} in ('explicit', 'none')`),
    check('delivery_settings_port', sql`${t.port} between 1 and 65535`),
  ],
);

/**
 * Every daily report ever built, immutable (a trigger refuses changing what was signed):
 * one row per day, field and version. Version 1 is the 06:00 report; a higher version is
 * an amendment, with its reason and the engineer who made it.
 */
export const reports = pgTable(
  'reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Order of building: the hash chain runs in this order. */
    chainSeq: bigint('chain_seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    day: date('day', { mode: 'string' }).notNull(),
    siteId: uuid('site_id')
      .notNull()
      .references(() => sites.id, { onDelete: 'restrict' }),
    version: integer('version').notNull(),
    /** The canonical JSON, exactly as delivered. */
    content: text('content').notNull(),
    sha256: text('sha256').notNull(),
    previousSha256: text('previous_sha256'),
    fileName: text('file_name').notNull(),
    blockingErrors: integer('blocking_errors').notNull(),
    warnings: integer('warnings').notNull(),
    amendmentReason: text('amendment_reason'),
    amendedBy: uuid('amended_by'),
    builtAt: timestamp('built_at', { withTimezone: true, precision: 3 }).notNull(),
    /** Set once a delivery is verified; the only column that changes after insert. */
    deliveredAt: timestamp('delivered_at', { withTimezone: true, precision: 3 }),
  },
  (t) => [
    unique('reports_day_site_version_key').on(t.day, t.siteId, t.version),
    unique('reports_file_name_key').on(t.fileName),
    index('reports_undelivered_idx')
      .on(t.day)
      .where(sql`${t.deliveredAt} is null`),
  ],
);

/** Every delivery attempt with what the server said: the receipt of a verified one. */
export const reportDeliveries = pgTable(
  'report_deliveries',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    reportId: uuid('report_id')
      .notNull()
      .references(() => reports.id, { onDelete: 'restrict' }),
    startedAt: timestamp('started_at', { withTimezone: true, precision: 3 }).notNull(),
    finishedAt: timestamp('finished_at', { withTimezone: true, precision: 3 }).notNull(),
    outcome: text('outcome', { enum: ['verified', 'failed', 'already_there'] }).notNull(),
    host: text('host').notNull(),
    remotePath: text('remote_path').notNull(),
    bytes: integer('bytes'),
    /** SHA-256 of what the server gave back when read again (null: not readable). */
    readBackSha256: text('read_back_sha256'),
    /** The server's replies, in order (code and message). */
    replies: jsonb('replies').notNull(),
    error: text('error'),
  },
  (t) => [index('report_deliveries_report_idx').on(t.reportId)],
);

/** Alerts for people (delivery late, blocking validation errors…); sent by issue 10's channels. */
export const alerts = pgTable(
  'alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').notNull(),
    severity: text('severity', { enum: ['info', 'warning', 'critical'] }).notNull(),
    /** Who must hear of it: roles of the tenant. */
    audience: text('audience').array().notNull(),
    /**
     * One open alert per subject and kind (e.g. the day's report, a well's anomaly
     * detector): raising it again while open counts an occurrence instead.
     */
    subject: text('subject').notNull(),
    message: text('message').notNull(),
    data: jsonb('data').notNull(),
    raisedAt: timestamp('raised_at', { withTimezone: true, precision: 3 }).notNull(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, precision: 3 }),
    /** How many times the condition was seen while the alert was open. */
    occurrences: integer('occurrences').notNull().default(1),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, precision: 3 }),
    escalatedAt: timestamp('escalated_at', { withTimezone: true, precision: 3 }),
    acknowledgedAt: timestamp('acknowledged_at', { withTimezone: true, precision: 3 }),
    acknowledgedBy: uuid('acknowledged_by'),
    acknowledgeComment: text('acknowledge_comment'),
    /**
     * The site it concerns, when it concerns one: set by a trigger from `data` (siteId,
     * pointId or the site code), so phones that follow one site get its alerts only.
     */
    siteId: uuid('site_id'),
  },
  (t) => [
    uniqueIndex('alerts_open_kind_subject_key')
      .on(t.kind, t.subject)
      .where(sql`${t.resolvedAt} is null`),
  ],
);

/**
 * Where a connector reads from (one row per source of its YAML: a Modbus PLC, an OPC UA
 * server, an MQTT broker), kept as the connector's own source object so that export and
 * import round-trip. `connector_id` is the connector's id in control.connector_credentials
 * (checked by the application: the tenant role cannot see the control schema).
 */
export const connectorSources = pgTable(
  'connector_sources',
  {
    connectorId: uuid('connector_id').notNull(),
    sourceId: text('source_id').notNull(),
    config: jsonb('config').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.connectorId, t.sourceId] })],
);

/**
 * The tag mapping: which source address feeds which variable. One mapping per variable;
 * an address (`tag_key`, its canonical text form) feeds one variable per connector.
 */
export const tagMappings = pgTable(
  'tag_mappings',
  {
    variableId: uuid('variable_id')
      .primaryKey()
      .references(() => variables.id, { onDelete: 'cascade' }),
    connectorId: uuid('connector_id').notNull(),
    sourceId: text('source_id').notNull(),
    /** e.g. `plc1/modbus/1/holding/40001`, `opc/ns=2;s=FT101.PV`, `broker/mqtt/site/well/THP#value`. */
    tagKey: text('tag_key').notNull(),
    /** The protocol part of the connector's tag: `{ modbus: … }`, `{ opcua: … }` or `{ mqtt: … }`. */
    address: jsonb('address').notNull(),
    scale: doublePrecision('scale').notNull().default(1),
    offset: doublePrecision('offset').notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('tag_mappings_connector_tag_key').on(t.connectorId, t.tagKey),
    index('tag_mappings_connector_idx').on(t.connectorId),
  ],
);

/** People or phones that alerts go to, beyond the in-app feed. */
export const alertRecipients = pgTable(
  'alert_recipients',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    name: text('name').notNull(),
    channel: text('channel', { enum: ['email', 'sms'] }).notNull(),
    /** An e-mail address, or a phone number in E.164 (+57…). */
    address: text('address').notNull(),
    minSeverity: text('min_severity', { enum: ['info', 'warning', 'critical'] })
      .notNull()
      .default('warning'),
    /** Hours (America/Bogota, 0–23) between which only critical alerts are sent; null: none. */
    quietFromHour: integer('quiet_from_hour'),
    quietToHour: integer('quiet_to_hour'),
    enabled: boolean('enabled').notNull().default(true),
    /** The roles whose alerts this recipient hears (an alert's audience is a list of roles). */
    roles: text('roles')
      .array()
      .notNull()
      .default(sql`'{admin,engineer,operator}'::text[]`),
    /** Only escalations (an alert left unacknowledged too long) reach this recipient. */
    escalationOnly: boolean('escalation_only').notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    unique('alert_recipients_channel_address_key').on(t.channel, t.address),
    check('alert_recipients_channel', sql`${t.channel} in ('email', 'sms')`),
    check('alert_recipients_severity', sql`${t.minSeverity} in ('info', 'warning', 'critical')`),
    check(
      'alert_recipients_quiet_hours',
      sql`(${t.quietFromHour} is null) = (${t.quietToHour} is null) and coalesce(${t.quietFromHour}, 0) between 0 and 23 and coalesce(${t.quietToHour}, 0) between 0 and 23`,
    ),
  ],
);

/**
 * Trained anomaly models of a measurement point, versioned: an isolation forest over the
 * point's window features, or the SPC limits of its variables. The version is recorded on
 * every anomaly a model raises; older versions stay for that evidence.
 */
export const anomalyModels = pgTable(
  'anomaly_models',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    pointId: uuid('point_id')
      .notNull()
      .references(() => measurementPoints.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['iforest', 'spc'] }).notNull(),
    version: integer('version').notNull(),
    trainedAt: timestamp('trained_at', { withTimezone: true, precision: 3 }).notNull(),
    baselineFrom: timestamp('baseline_from', { withTimezone: true, precision: 3 }).notNull(),
    baselineTo: timestamp('baseline_to', { withTimezone: true, precision: 3 }).notNull(),
    rows: integer('rows').notNull(),
    /** The serialised model (its own format version inside). */
    model: jsonb('model').notNull(),
    threshold: doublePrecision('threshold'),
    active: boolean('active').notNull().default(true),
  },
  (t) => [
    unique('anomaly_models_point_kind_version_key').on(t.pointId, t.kind, t.version),
    check('anomaly_models_kind', sql`${t.kind} in ('iforest', 'spc')`),
  ],
);

/** What a detector found unusual in one slot of one point, with its evidence. */
export const anomalies = pgTable(
  'anomalies',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    pointId: uuid('point_id')
      .notNull()
      .references(() => measurementPoints.id, { onDelete: 'cascade' }),
    /** The variable for single-variable detectors (SPC); null for the point's forest. */
    variableId: uuid('variable_id'),
    /** `iforest`, or the SPC rule (`spc:nelson-2`, `spc:ewma`, …). */
    detector: text('detector').notNull(),
    modelId: uuid('model_id')
      .notNull()
      .references(() => anomalyModels.id, { onDelete: 'restrict' }),
    modelVersion: integer('model_version').notNull(),
    slotStart: timestamp('slot_start', { withTimezone: true, precision: 3 }).notNull(),
    score: doublePrecision('score').notNull(),
    threshold: doublePrecision('threshold').notNull(),
    evidence: jsonb('evidence').notNull(),
    alertId: uuid('alert_id'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    unique('anomalies_point_detector_slot_key').on(t.pointId, t.detector, t.slotStart),
    index('anomalies_slot_idx').on(t.slotStart),
  ],
);

/** Operators' verdict on an anomaly: it tunes that point's threshold. */
export const anomalyFeedback = pgTable('anomaly_feedback', {
  anomalyId: uuid('anomaly_id')
    .primaryKey()
    .references(() => anomalies.id, { onDelete: 'cascade' }),
  verdict: text('verdict', { enum: ['real', 'false_alarm'] }).notNull(),
  comment: text('comment'),
  userId: uuid('user_id').notNull(),
  at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/** How far the detect stage has scored each point (the last slot start it judged). */
export const detectCursors = pgTable('detect_cursors', {
  pointId: uuid('point_id')
    .primaryKey()
    .references(() => measurementPoints.id, { onDelete: 'cascade' }),
  scoredUntil: timestamp('scored_until', { withTimezone: true, precision: 3 }).notNull(),
});

/**
 * Engineers' corrections of 10-minute slots (migration 0010): a substitution (a value
 * typed in, flag S) or an estimate (interpolation, previous day: flag E), with its reason
 * and author. Never deleted and never edited: a newer correction of the same slot
 * supersedes it, a revert ends it (a trigger allows only that one change). At most one is
 * in force per slot; `loadFieldDay` applies those onto the stored slots, which stay as
 * measured. `value` replaces the slot's mean (a totalizer's increase, `delta`).
 */
export const slotCorrections = pgTable(
  'slot_corrections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    variableId: uuid('variable_id')
      .notNull()
      .references(() => variables.id, { onDelete: 'restrict' }),
    slotStart: timestamp('slot_start', { withTimezone: true }).notNull(),
    method: text('method', { enum: CORRECTION_METHODS }).notNull(),
    value: doublePrecision('value').notNull(),
    reason: text('reason').notNull(),
    /** What an estimate was computed from (neighbours, previous day's slot); null for a substitution. */
    basis: jsonb('basis'),
    /** control.users.id of the engineer. */
    userId: uuid('user_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    supersededAt: timestamp('superseded_at', { withTimezone: true, precision: 3 }),
    /** The newer correction that replaced this one; null when it was reverted. */
    supersededBy: uuid('superseded_by'),
    revertedBy: uuid('reverted_by'),
    revertReason: text('revert_reason'),
  },
  (t) => [
    uniqueIndex('slot_corrections_active_key')
      .on(t.variableId, t.slotStart)
      .where(sql`${t.supersededAt} is null`),
    index('slot_corrections_slot_idx').on(t.slotStart),
    index('slot_corrections_variable_idx').on(t.variableId, t.slotStart),
    check(
      'slot_corrections_method',
      sql`${t.method} in ('substitute', 'interpolate', 'previous_day')`,
    ),
    check('slot_corrections_reason', sql`length(btrim(${t.reason})) >= 10`),
    check(
      'slot_corrections_ended',
      sql`(${t.supersededBy} is null and ${t.revertedBy} is null) or ${t.supersededAt} is not null`,
    ),
    check('slot_corrections_revert', sql`(${t.revertedBy} is null) = (${t.revertReason} is null)`),
  ],
);

/**
 * Every change people must hear of, in order: an alert raised, escalated, acknowledged or
 * resolved. Written by a trigger on `alerts` (so no writer can forget it), which also
 * NOTIFYs `anh_alert_feed` with `<schema>:<seq>`: the socket.io gateway relays it to
 * phones, a reconnecting phone catches up from the last seq it saw, and the notification
 * dispatcher (e-mail, SMS, Web Push) walks it with its own cursor.
 */
export const alertFeed = pgTable(
  'alert_feed',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    alertId: uuid('alert_id').notNull(),
    event: text('event', { enum: ['raised', 'escalated', 'acknowledged', 'resolved'] }).notNull(),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('alert_feed_alert_idx').on(t.alertId),
    check(
      'alert_feed_event',
      sql`${t.event} in ('raised', 'escalated', 'acknowledged', 'resolved')`,
    ),
  ],
);

/** How far each reader of a feed has got (e.g. `notify` over alert_feed). */
export const feedCursors = pgTable('feed_cursors', {
  name: text('name').primaryKey(),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Tenant-wide notification settings (one row). */
export const notificationSettings = pgTable(
  'notification_settings',
  {
    id: boolean('id').primaryKey().default(true),
    /** An alert left unacknowledged this long is escalated (severity critical, escalation recipients told). */
    escalateAfterMinutes: integer('escalate_after_minutes').notNull().default(30),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('notification_settings_single', sql`${t.id}`),
    check('notification_settings_escalate', sql`${t.escalateAfterMinutes} between 1 and 10080`),
  ],
);

/**
 * One row per message sent (or deliberately not sent) about one feed event to one
 * address: the unique key is the de-duplication, the rows are the log.
 */
export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    alertId: uuid('alert_id').notNull(),
    event: text('event').notNull(),
    channel: text('channel', { enum: ['email', 'sms', 'push'] }).notNull(),
    /** alert_recipients.id, or push_subscriptions.id. */
    recipientId: uuid('recipient_id').notNull(),
    status: text('status', { enum: ['sent', 'failed', 'quiet', 'gone'] }).notNull(),
    attempts: integer('attempts').notNull().default(1),
    error: text('error'),
    providerId: text('provider_id'),
    at: timestamp('at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    unique('notifications_once_key').on(t.alertId, t.event, t.channel, t.recipientId),
    check('notifications_channel', sql`${t.channel} in ('email', 'sms', 'push')`),
    check('notifications_status', sql`${t.status} in ('sent', 'failed', 'quiet', 'gone')`),
  ],
);

/** Web Push subscriptions of the tenant's people (one per browser/phone). */
export const pushSubscriptions = pgTable(
  'push_subscriptions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** control.users.id */
    userId: uuid('user_id').notNull(),
    /** The role the person had when subscribing: which alerts (by audience) reach it. */
    role: text('role').notNull(),
    endpoint: text('endpoint').notNull(),
    p256dh: text('p256dh').notNull(),
    auth: text('auth').notNull(),
    userAgent: text('user_agent'),
    createdAt: createdAt(),
    lastSuccessAt: timestamp('last_success_at', { withTimezone: true }),
    failures: integer('failures').notNull().default(0),
  },
  (t) => [
    unique('push_subscriptions_endpoint_key').on(t.endpoint),
    index('push_subscriptions_user_idx').on(t.userId),
  ],
);
