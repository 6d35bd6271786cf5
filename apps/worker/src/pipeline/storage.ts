import type { Database } from '@anh/db';
import {
  createPartitions,
  dropPartitionsBefore,
  existingMonths,
  forgetPartitions,
  monthsBetween,
  nextMonth,
  retentionCutoff,
} from '@anh/db/telemetry';

/**
 * Partitions of one tenant: the current month and the next `monthsAhead` exist before any
 * reading needs them; months wholly older than the retention are dropped whole.
 */
export interface PartitionOutcome {
  created: number;
  dropped: string[];
}

export async function maintainPartitions(
  db: Database,
  tenantId: string,
  options: { nowMs: number; retentionMonths: number; monthsAhead: number },
): Promise<PartitionOutcome> {
  return db.withTenantClient(tenantId, async (client) => {
    let until = options.nowMs;
    for (let k = 0; k < options.monthsAhead; k++) until = nextMonth(until);
    const existing = await existingMonths(client);
    const wanted = monthsBetween(options.nowMs, until).filter((m) => !existing.has(m));
    const created = await createPartitions(client, wanted);
    const dropped = await dropPartitionsBefore(
      client,
      retentionCutoff(options.nowMs, options.retentionMonths),
    );
    if (dropped.length > 0) forgetPartitions(tenantId);
    return { created, dropped };
  });
}
