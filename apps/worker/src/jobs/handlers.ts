import { eq } from 'drizzle-orm';
import type { z } from 'zod';
import {
  anchorTenantAudit,
  controlTables,
  verifyControlAudit,
  verifyTenantAudit,
  type Database,
} from '@anh/db';
import type { AuditProblem } from '@anh/domain/audit';
import type { Logger } from '../log';
import type { JOBS, JobName } from './catalog';

export interface JobContext {
  db: Database;
  log: Logger;
}

type Payload<N extends JobName> = z.output<(typeof JOBS)[N]['payload']>;
type Handlers = { [N in JobName]: (ctx: JobContext, payload: Payload<N>) => Promise<unknown> };

async function tenantIds(ctx: JobContext, only?: string): Promise<string[]> {
  const rows = await ctx.db.control
    .select({ id: controlTables.tenants.id })
    .from(controlTables.tenants)
    .where(eq(controlTables.tenants.status, 'active'));
  const ids = rows.map((r) => r.id);
  return only ? ids.filter((id) => id === only) : ids;
}

export const handlers: Handlers = {
  async 'audit.anchor'(ctx, payload) {
    const anchored: Array<{ tenantId: string; seq: number }> = [];
    for (const tenantId of await tenantIds(ctx, payload.tenantId)) {
      const head = await anchorTenantAudit(ctx.db, tenantId);
      if (head) anchored.push({ tenantId, seq: head.seq });
    }
    return { anchored };
  },

  async 'audit.verify'(ctx, payload) {
    const failures: Array<{ scope: string; problems: AuditProblem[] }> = [];
    if (!payload.tenantId) {
      const platform = await verifyControlAudit(ctx.db);
      if (!platform.ok) failures.push({ scope: 'control', problems: platform.problems });
    }
    const ids = await tenantIds(ctx, payload.tenantId);
    for (const tenantId of ids) {
      const result = await verifyTenantAudit(ctx.db, tenantId);
      if (!result.ok) failures.push({ scope: tenantId, problems: result.problems });
    }
    for (const failure of failures) {
      // Alerts to people arrive with the notification work; the log line is the record now.
      ctx.log.error('audit chain verification failed', failure);
    }
    return { tenantsChecked: ids.length, failures };
  },
};
