import { and, desc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { controlTables, readAuditChain, tenantTables, type Database } from '@anh/db';
import { verifyAuditChain, type AuditProblem } from '@anh/domain/audit';
import { createTRPCRouter, tenantProcedure } from '../init';

/**
 * The tenant's audit trail for people who read it: entries filtered and paged (newest
 * first, by seq), and a verification of the whole hash chain against the anchors kept
 * in the control schema, where the tenant role cannot reach them.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Names (or e-mails) of the tenant's members among `userIds`; anyone else is left out. */
export async function memberNames(
  db: Database,
  tenantId: string,
  userIds: readonly string[],
): Promise<Record<string, string>> {
  const ids = [...new Set(userIds.filter((id) => UUID.test(id)))];
  if (ids.length === 0) return {};
  const { users, memberships } = controlTables;
  const rows = await db.control
    .select({ id: users.id, name: users.name, email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.tenantId, tenantId), inArray(memberships.userId, ids)));
  return Object.fromEntries(rows.map((r) => [r.id, r.name ?? r.email]));
}

/** `%`, `_` and `\` taken literally in a LIKE pattern. */
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

const instant = z.iso.datetime({ offset: true }).refine(
  (value) => {
    const year = new Date(value).getUTCFullYear();
    return year >= 1970 && year <= 2200;
  },
  { message: 'Fecha fuera de rango / date out of range' },
);
const filterText = z.string().trim().min(1).max(200);

interface AuditRow {
  seq: string;
  at: Date;
  actor: string;
  action: string;
  entity: string;
  entity_id: string | null;
  data: unknown;
  hash: string;
}

const problemSeq = (p: AuditProblem) => ('seq' in p ? p.seq : p.anchorSeq);

export const auditRouter = createTRPCRouter({
  /** Entries newest first; `cursor` is the seq to continue below (keyset). */
  list: tenantProcedure('audit.list')
    .input(
      z.object({
        actor: filterText.nullish(),
        /** `report.` finds report.amended and every other report action. */
        action: filterText.nullish(),
        entity: filterText.nullish(),
        entityId: filterText.nullish(),
        from: instant.nullish(),
        to: instant.nullish(),
        /** Anywhere in actor, action, entity, id or data (case-insensitive). */
        text: filterText.nullish(),
        cursor: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).nullish(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      const rows = await ctx.db.withTenantClient(
        ctx.tenant.id,
        async (client) =>
          (
            await client.query<AuditRow>(
              `SELECT seq, at, actor, action, entity, entity_id, data, hash FROM audit_log
                WHERE ($1::bigint IS NULL OR seq < $1)
                  AND ($2::text IS NULL OR actor = $2)
                  AND ($3::text IS NULL OR action LIKE $3 ESCAPE '\\')
                  AND ($4::text IS NULL OR entity = $4)
                  AND ($5::text IS NULL OR entity_id = $5)
                  AND ($6::timestamptz IS NULL OR at >= $6)
                  AND ($7::timestamptz IS NULL OR at < $7)
                  AND ($8::text IS NULL OR concat_ws(' ', actor, action, entity, entity_id, data::text)
                                             ILIKE $8 ESCAPE '\\')
                ORDER BY seq DESC LIMIT $9`,
              [
                input.cursor ?? null,
                input.actor ?? null,
                input.action ? `${likeLiteral(input.action)}%` : null,
                input.entity ?? null,
                input.entityId ?? null,
                input.from ?? null,
                input.to ?? null,
                input.text ? `%${likeLiteral(input.text)}%` : null,
                input.limit + 1,
              ],
            )
          ).rows,
      );
      const entries = rows.slice(0, input.limit).map((r) => ({
        seq: Number(r.seq),
        at: r.at,
        actor: r.actor,
        action: r.action,
        entity: r.entity,
        entityId: r.entity_id,
        data: r.data,
        hash: r.hash,
      }));
      const names = await memberNames(
        ctx.db,
        ctx.tenant.id,
        entries.flatMap((e) => (e.actor.startsWith('user:') ? [e.actor.slice(5)] : [])),
      );
      return {
        entries,
        nextCursor: rows.length > input.limit ? entries.at(-1)!.seq : null,
        actorNames: names,
      };
    }),

  /**
   * The whole chain checked link by link (seq without gaps, each entry naming the previous
   * hash, each hash recomputed), and every anchor still present with the same hash.
   */
  verify: tenantProcedure('audit.verify').query(async ({ ctx }) => {
    const entries = await ctx.withTenant((tx) => readAuditChain(tx, tenantTables.auditLog));
    const { auditAnchors } = controlTables;
    const anchors = await ctx.db.control
      .select({ seq: auditAnchors.seq, hash: auditAnchors.hash, at: auditAnchors.anchoredAt })
      .from(auditAnchors)
      .where(eq(auditAnchors.tenantId, ctx.tenant.id))
      .orderBy(desc(auditAnchors.seq));
    const result = verifyAuditChain(
      entries,
      anchors.map((a) => ({ seq: a.seq, hash: a.hash })),
    );
    const first = result.problems.reduce<AuditProblem | null>(
      (min, p) => (min === null || problemSeq(p) < problemSeq(min) ? p : min),
      null,
    );
    return {
      ok: result.ok,
      entries: result.count,
      headSeq: result.head?.seq ?? null,
      headHash: result.head?.hash ?? null,
      firstBrokenSeq: first ? problemSeq(first) : null,
      reason: first?.kind ?? null,
      problems: result.problems.slice(0, 50),
      problemCount: result.problems.length,
      anchors: anchors.length,
      anchoredSeq: anchors[0]?.seq ?? null,
      anchoredAt: anchors[0]?.at ?? null,
      verifiedAt: new Date(),
    };
  }),
});
