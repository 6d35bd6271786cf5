import { eq } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { DEFAULT_FILE_PATTERN, reportFileName } from '@anh/domain/delivery-naming';
import { AppError, validationError } from '@anh/domain/errors';
import {
  deliverySettingsSchema,
  type DeliverySettings,
  type DeliverySettingsInput,
} from '@anh/domain/delivery-settings';
import { open, seal, type KeyRing } from '@anh/domain/secret-box';
import { formatNit } from '@anh/domain/nit';
import { buildDailyReport, serializeReport } from '@anh/domain/report';
import { validateDailyReport } from '@anh/domain/report-validate';
import { ruleDefinition } from '@anh/domain/day-rules';
import { GAS_BASE_COLOMBIA } from '@anh/domain/gas-base';
import type { Database } from './client';
import { tenants } from './schema/control';
import { appendTenantAudit } from './audit-store';
import { loadFieldDay } from './telemetry/field-day';

/**
 * The daily ANH reports of a tenant: built from the stored slots, checked, stored
 * immutably (canonical JSON, SHA-256, the previous report's hash), one per day, field and
 * version. Version 1 is the 06:00 report; an amendment is a new version with a reason, by
 * an engineer, recorded in the tenant's audit log.
 */
export interface StoredReport {
  id: string;
  day: string;
  siteId: string;
  siteCode: string;
  version: number;
  sha256: string;
  fileName: string;
  blockingErrors: number;
  warnings: number;
  /** Blocking problems in Spanish, for the engineers' warning. */
  problems: string[];
  created: boolean;
}

interface Operator {
  anhOperatorCode: string;
  nit: string;
  legalName: string;
}

async function operatorOf(db: Database, tenantId: string): Promise<Operator> {
  const [row] = await db.control
    .select({
      anhOperatorCode: tenants.anhOperatorCode,
      legalName: tenants.legalName,
      nitBase: tenants.nitBase,
      nitCheckDigit: tenants.nitCheckDigit,
    })
    .from(tenants)
    .where(eq(tenants.id, tenantId));
  if (!row) throw new AppError('NOT_FOUND', 'Tenant not found');
  return {
    anhOperatorCode: row.anhOperatorCode,
    legalName: row.legalName,
    nit: formatNit({ base: row.nitBase, checkDigit: row.nitCheckDigit }),
  };
}

interface SiteRow {
  id: string;
  code: string;
  name: string;
  field_name: string;
  contract: string | null;
  department: string | null;
  municipality: string | null;
}

async function buildOne(
  client: pg.ClientBase,
  operator: Operator,
  site: SiteRow,
  day: string,
  options: {
    nowMs: number;
    version: number;
    amendment?: { reason: string; userId: string };
  },
): Promise<StoredReport> {
  const fieldDay = await loadFieldDay(client, day, { siteId: site.id });
  const { rows: previous } = await client.query<{ sha256: string }>(
    `SELECT sha256 FROM reports WHERE site_id = $1 ORDER BY chain_seq DESC LIMIT 1`,
    [site.id],
  );
  const built = buildDailyReport({
    operator,
    field: {
      code: site.code,
      name: site.name,
      fieldName: site.field_name,
      contract: site.contract,
      department: site.department,
      municipality: site.municipality,
    },
    fieldDay,
    gasBase: GAS_BASE_COLOMBIA,
    events: [],
    previousReportSha256: previous[0]?.sha256 ?? null,
    generatedAt: new Date(options.nowMs).toISOString(),
  });
  if (!built.ok)
    throw new AppError('INTEGRITY', `report of ${day} for ${site.code} could not be built`, {
      details: { error: built.error },
    });
  const report = built.report;
  // Pre-submission validation: the JSON Schema and hash, then the checks that failed.
  const schema = validateDailyReport(report);
  const problems = schema.violations.map((v) => v.message.es);
  let warnings = 0;
  for (const check of report.checks) {
    if (check.status !== 'violation') continue;
    if (ruleDefinition(check.rule).severity === 'error') problems.push(check.message.es);
    else warnings++;
  }
  const { rows: settings } = await client.query<{ file_pattern: string }>(
    'SELECT file_pattern FROM delivery_settings WHERE id = 1',
  );
  const fileName = reportFileName(settings[0]?.file_pattern ?? DEFAULT_FILE_PATTERN, {
    operator: operator.anhOperatorCode,
    field: site.code,
    day,
    version: options.version,
  });
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO reports (day, site_id, version, content, sha256, previous_sha256, file_name,
       blocking_errors, warnings, amendment_reason, amended_by, built_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
    [
      day,
      site.id,
      options.version,
      serializeReport(report),
      report.integrity.sha256,
      report.integrity.previousReportSha256,
      fileName,
      problems.length,
      warnings,
      options.amendment?.reason ?? null,
      options.amendment?.userId ?? null,
      new Date(options.nowMs).toISOString(),
    ],
  );
  return {
    id: rows[0]!.id,
    day,
    siteId: site.id,
    siteCode: site.code,
    version: options.version,
    sha256: report.integrity.sha256,
    fileName,
    blockingErrors: problems.length,
    warnings,
    problems,
    created: true,
  };
}

/**
 * Version 1 of `day` for every site that has none yet. Running it again builds nothing
 * (the unique day/site/version key and the check before it).
 */
export async function buildDayReports(
  db: Database,
  tenantId: string,
  day: string,
  options: { nowMs: number },
): Promise<StoredReport[]> {
  const operator = await operatorOf(db, tenantId);
  return db.withTenantClient(tenantId, async (client) => {
    // One builder per tenant at a time: the hash chain is sequential.
    await client.query('LOCK TABLE reports IN SHARE ROW EXCLUSIVE MODE');
    const { rows: sites } = await client.query<SiteRow & { existing: string | null }>(
      `SELECT s.*, r.id AS existing FROM sites s
       LEFT JOIN reports r ON r.site_id = s.id AND r.day = $1 AND r.version = 1
       ORDER BY s.code`,
      [day],
    );
    const out: StoredReport[] = [];
    for (const site of sites) {
      if (site.existing) continue;
      out.push(await buildOne(client, operator, site, day, { nowMs: options.nowMs, version: 1 }));
    }
    return out;
  });
}

/** A correction: the next version of a day's report, with its reason, audited. */
export async function amendReport(
  db: Database,
  tenantId: string,
  input: { day: string; siteId: string; reason: string; userId: string; nowMs: number },
): Promise<StoredReport> {
  if (input.reason.trim().length < 10)
    throw new AppError('VALIDATION', 'an amendment needs a reason (10 characters or more)');
  const operator = await operatorOf(db, tenantId);
  return db.withTenantClient(tenantId, async (client) => {
    await client.query('LOCK TABLE reports IN SHARE ROW EXCLUSIVE MODE');
    const { rows: sites } = await client.query<SiteRow & { last: number | null }>(
      `SELECT s.*, (SELECT max(version) FROM reports r WHERE r.site_id = s.id AND r.day = $2) AS last
       FROM sites s WHERE s.id = $1`,
      [input.siteId, input.day],
    );
    const site = sites[0];
    if (!site) throw new AppError('NOT_FOUND', 'field not found');
    if (site.last === null)
      throw new AppError('CONFLICT', `there is no report of ${input.day} to amend yet`);
    const stored = await buildOne(client, operator, site, input.day, {
      nowMs: input.nowMs,
      version: site.last + 1,
      amendment: { reason: input.reason.trim(), userId: input.userId },
    });
    await appendTenantAudit(drizzle({ client }), {
      actor: `user:${input.userId}`,
      action: 'report.amended',
      entity: 'report',
      entityId: stored.id,
      data: {
        day: input.day,
        site: site.code,
        version: stored.version,
        reason: input.reason.trim(),
        sha256: stored.sha256,
      },
    });
    await client.query(`UPDATE report_days SET needs_amendment = false WHERE day = $1`, [
      input.day,
    ]);
    return stored;
  });
}

/** Raises an alert once per kind and subject (raising it again is harmless). */
export async function raiseAlert(
  client: pg.ClientBase,
  alert: {
    kind: string;
    subject: string;
    severity: 'info' | 'warning' | 'critical';
    audience: string[];
    message: string;
    data: Record<string, unknown>;
    nowMs: number;
  },
): Promise<boolean> {
  // One open alert per kind and subject: raising it again counts an occurrence.
  const { rows } = await client.query<{ inserted: boolean }>(
    `INSERT INTO alerts (kind, subject, severity, audience, message, data, raised_at, last_seen_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
     ON CONFLICT (kind, subject) WHERE resolved_at IS NULL
     DO UPDATE SET occurrences = alerts.occurrences + 1, last_seen_at = excluded.raised_at
     RETURNING (xmax = 0) AS inserted`,
    [
      alert.kind,
      alert.subject,
      alert.severity,
      alert.audience,
      alert.message,
      JSON.stringify(alert.data),
      new Date(alert.nowMs).toISOString(),
    ],
  );
  return rows[0]?.inserted === true;
}

export async function resolveAlert(
  client: pg.ClientBase,
  kind: string,
  subject: string,
  nowMs: number,
): Promise<void> {
  await client.query(
    `UPDATE alerts SET resolved_at = $3 WHERE kind = $1 AND subject = $2 AND resolved_at IS NULL`,
    [kind, subject, new Date(nowMs).toISOString()],
  );
}

/** Saves the delivery target; the password is sealed (AES-256-GCM) before it is stored. */
export async function saveDeliverySettings(
  db: Database,
  tenantId: string,
  input: DeliverySettingsInput,
  options: { ring: KeyRing; actor: string },
): Promise<void> {
  const parsed = deliverySettingsSchema.safeParse(input);
  if (!parsed.success) throw validationError('Delivery settings', parsed.error.issues);
  const s = parsed.data;
  const sealed = seal(options.ring, s.password, `${tenantId}:delivery`);
  await db.withTenantClient(tenantId, async (client) => {
    // What the audit shows of the settings: never the password (only that it changed).
    const { rows: previous } = await client.query<Record<string, unknown>>(
      `SELECT host, port, tls_mode AS "tlsMode", tls_ca_pem IS NOT NULL AS "privateCa",
              remote_dir AS "remoteDir", file_pattern AS "filePattern", username, enabled
         FROM delivery_settings WHERE id = 1 FOR UPDATE`,
    );
    await client.query(
      `INSERT INTO delivery_settings (id, host, port, tls_mode, tls_ca_pem, remote_dir, file_pattern,
         username, password_sealed, enabled, updated_at)
       VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, now())
       ON CONFLICT (id) DO UPDATE SET host = excluded.host, port = excluded.port,
         tls_mode = excluded.tls_mode, tls_ca_pem = excluded.tls_ca_pem,
         remote_dir = excluded.remote_dir, file_pattern = excluded.file_pattern,
         username = excluded.username, password_sealed = excluded.password_sealed,
         enabled = excluded.enabled, updated_at = now()`,
      [
        s.host,
        s.port,
        s.tlsMode,
        s.tlsCaPem ?? null,
        s.remoteDir,
        s.filePattern,
        s.username,
        sealed,
        s.enabled,
      ],
    );
    const { password: _secret, tlsCaPem, ...visible } = s;
    await appendTenantAudit(drizzle({ client }), {
      actor: options.actor,
      action: 'delivery.settings_saved',
      entity: 'delivery_settings',
      entityId: '1',
      data: {
        before: previous[0] ?? null,
        after: { ...visible, privateCa: tlsCaPem !== undefined, passwordChanged: true },
      },
    });
  });
}

export interface DeliveryTarget extends Omit<DeliverySettings, 'tlsCaPem'> {
  tlsCaPem: string | null;
}

/** The delivery target with its password opened, or null when none is set. */
export async function loadDeliveryTarget(
  client: pg.ClientBase,
  tenantId: string,
  ring: KeyRing,
): Promise<DeliveryTarget | null> {
  const { rows } = await client.query<{
    host: string;
    port: number;
    tls_mode: 'explicit' | 'none';
    tls_ca_pem: string | null;
    remote_dir: string;
    file_pattern: string;
    username: string;
    password_sealed: string;
    enabled: boolean;
  }>('SELECT * FROM delivery_settings WHERE id = 1');
  const row = rows[0];
  if (!row) return null;
  return {
    host: row.host,
    port: row.port,
    tlsMode: row.tls_mode,
    tlsCaPem: row.tls_ca_pem,
    remoteDir: row.remote_dir,
    filePattern: row.file_pattern,
    username: row.username,
    password: open(ring, row.password_sealed, `${tenantId}:delivery`),
    enabled: row.enabled,
  };
}
