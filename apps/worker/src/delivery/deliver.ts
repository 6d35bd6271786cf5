import type { Database } from '@anh/db';
import { loadDeliveryTarget, raiseAlert, resolveAlert } from '@anh/db/reports';
import { deadlineOf } from '@anh/domain/delivery-schedule';
import { AppError } from '@anh/domain/errors';
import type { KeyRing } from '@anh/domain/secret-box';
import { asAppError, uploadVerified, type UploadReceipt } from './ftp';

/**
 * Delivers one stored report. Idempotent: a report with a verified delivery is not sent
 * again. Every attempt is recorded with the server's replies; the verified one is the
 * receipt. A failure is retried by the job (backoff); past 06:50 the tenant's admins and
 * engineers are alerted once, and delivery keeps being retried until it succeeds.
 */
export interface DeliveryOutcome {
  reportId: string;
  outcome: 'verified' | 'already_there' | 'already_delivered' | 'superseded' | 'held';
  remotePath?: string;
  /** For `held`: when to try again (epoch ms). */
  holdUntil?: number;
}

/** A report with blocking errors waits for an engineer's correction until 06:40, then goes as it is. */
export const HOLD_BEFORE_DEADLINE_MS = 10 * 60_000;

export async function deliverReport(
  db: Database,
  tenantId: string,
  reportId: string,
  options: { nowMs: number; ring: KeyRing | null; timeoutMs?: number },
): Promise<DeliveryOutcome> {
  const prepared = await db.withTenantClient(tenantId, async (client) => {
    const { rows } = await client.query<{
      day: string;
      version: number;
      file_name: string;
      content: string;
      delivered_at: Date | null;
      site_code: string;
      blocking_errors: number;
      newer: boolean;
    }>(
      `SELECT to_char(r.day, 'YYYY-MM-DD') AS day, r.version, r.file_name, r.content, r.delivered_at,
              s.code AS site_code, r.blocking_errors,
              EXISTS (SELECT 1 FROM reports n WHERE n.site_id = r.site_id AND n.day = r.day
                        AND n.version > r.version) AS newer
       FROM reports r JOIN sites s ON s.id = r.site_id WHERE r.id = $1`,
      [reportId],
    );
    const report = rows[0];
    if (!report) throw new AppError('NOT_FOUND', `report ${reportId} not found`);
    if (report.delivered_at) return { report, target: null };
    if (!options.ring)
      throw new AppError(
        'UNAVAILABLE',
        'SECRETS_KEYRING is not set: delivery credentials cannot be opened',
      );
    return { report, target: await loadDeliveryTarget(client, tenantId, options.ring) };
  });
  const { report } = prepared;
  if (report.delivered_at) return { reportId, outcome: 'already_delivered' };
  // An engineer's correction, made before this version went out, goes instead of it.
  if (report.newer) return { reportId, outcome: 'superseded' };
  const holdUntil = deadlineOf(report.day) - HOLD_BEFORE_DEADLINE_MS;
  if (report.blocking_errors > 0 && report.version === 1 && options.nowMs < holdUntil)
    return { reportId, outcome: 'held', holdUntil };
  const subject = `${report.day}/${report.site_code}/v${report.version}`;
  const startedAt = options.nowMs;
  let receipt: UploadReceipt | null = null;
  let failure: AppError | null = null;
  if (!prepared.target || !prepared.target.enabled) {
    failure = new AppError('UNAVAILABLE', 'no delivery target is configured for this company');
  } else {
    try {
      receipt = await uploadVerified(
        prepared.target,
        report.file_name,
        Buffer.from(report.content),
        {
          ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
        },
      );
    } catch (error) {
      failure = asAppError(error);
    }
  }
  const host = prepared.target?.host ?? '(none)';
  await db.withTenantClient(tenantId, async (client) => {
    await client.query(
      `INSERT INTO report_deliveries (report_id, started_at, finished_at, outcome, host, remote_path,
         bytes, read_back_sha256, replies, error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        reportId,
        new Date(startedAt).toISOString(),
        new Date(Math.max(Date.now(), startedAt)).toISOString(),
        receipt ? receipt.outcome : 'failed',
        host,
        receipt?.remotePath ?? report.file_name,
        receipt?.bytes ?? null,
        receipt?.readBackSha256 ?? null,
        JSON.stringify(receipt?.replies ?? failure?.details?.replies ?? []),
        failure?.message ?? null,
      ],
    );
    if (receipt) {
      await client.query(
        'UPDATE reports SET delivered_at = $2 WHERE id = $1 AND delivered_at IS NULL',
        [reportId, new Date(options.nowMs).toISOString()],
      );
      await resolveAlert(client, 'delivery.late', subject, options.nowMs);
      return;
    }
    if (failure?.code === 'INTEGRITY')
      await raiseAlert(client, {
        kind: 'delivery.name_conflict',
        subject,
        severity: 'critical',
        audience: ['admin', 'engineer'],
        message: `El archivo ${report.file_name} ya existe en el servidor de la ANH con otro contenido: no se sobrescribe. Revise el destino o emita una enmienda.`,
        data: { day: report.day, site: report.site_code, version: report.version },
        nowMs: options.nowMs,
      });
    if (options.nowMs >= deadlineOf(report.day))
      await raiseAlert(client, {
        kind: 'delivery.late',
        subject,
        severity: 'critical',
        audience: ['admin', 'engineer'],
        message: `El reporte del ${report.day} (${report.site_code}) no se ha entregado a la ANH y ya pasaron las 06:50. Se sigue reintentando. Último error: ${failure?.message ?? ''}`,
        data: {
          day: report.day,
          site: report.site_code,
          version: report.version,
          error: failure?.message ?? null,
        },
        nowMs: options.nowMs,
      });
  });
  if (failure) throw failure;
  return { reportId, outcome: receipt!.outcome, remotePath: receipt!.remotePath };
}
