import type { Database } from '@anh/db';
import { escalateOverdueAlerts, notifyWorkPending } from '@anh/db/notifications';

/**
 * The escalation sweep for one tenant (every minute, via notify.sweep): alerts left
 * unacknowledged longer than the tenant's setting become critical and escalated, which
 * writes their `escalated` feed events (the trigger). Also says whether the dispatcher
 * has feed events past its cursor: a lost wake-up or a retry only waits for this sweep.
 */
export async function runEscalation(
  db: Database,
  tenantId: string,
  nowMs: number,
): Promise<{ escalated: string[]; afterMinutes: number; pending: boolean }> {
  return db.withTenantClient(tenantId, async (client) => {
    const result = await escalateOverdueAlerts(client, nowMs);
    // Escalations just made count as pending work too (they commit with this transaction).
    const pending = result.escalated.length > 0 || (await notifyWorkPending(client));
    return { ...result, pending };
  });
}
