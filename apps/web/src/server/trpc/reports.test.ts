import { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { anchorTenantAudit, withConnection, type Tenant } from '@anh/db';
import { amendReport, buildDayReports } from '@anh/db/reports';
import { createPartitions, monthsBetween } from '@anh/db/telemetry';
import { seedField, seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { bogotaDayStart, SLOT_MS } from '@anh/domain/bogota-day';
import { buildTimeOf } from '@anh/domain/delivery-schedule';
import { handleReportDownload } from '~/app/api/t/[slug]/reports/[id]/download';
import { createCaller } from './root';

/**
 * The reports screen (list, one report, two versions compared, the stored file) and the
 * audit trail screen (entries filtered and paged, the hash chain verified), on a real
 * database: reports built from stored slots, an amendment after a correction of those
 * slots, delivery attempts as the worker records them.
 */
const testDb = useTestDatabase();
let acme: Tenant;
let rival: Tenant;
let engineer: User;
let operator: User;
let auditor: User;
let rivalAdmin: User;
let siteA: string;
let siteB: string;
let rivalReportId: string;

const D0 = '2026-10-04';
const D1 = '2026-10-05';
/** Report ids: D0 of field A, D1 of fields A (v1, v2) and B. */
const ids = { a0: '', a1: '', a2: '', b1: '', b0: '' };

const callerFor = (user: User | null) =>
  createCaller({ db: testDb().db, userId: user?.id ?? null });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => 'OK').catch((e: unknown) => e);
  return error === 'OK' ? 'OK' : error instanceof TRPCError ? error.code : String(error);
}

const dayStart = (day: string) => (bogotaDayStart(day) as { ok: true; ms: number }).ms;

/** Slots of one variable for a whole day: a counter that moves 2 bbl a slot, or a level. */
async function storeSlots(tenant: Tenant, variableId: string, day: string, counter: boolean) {
  await testDb().db.withTenantClient(tenant.id, async (client) => {
    const start = dayStart(day);
    for (let k = 0; k < 144; k++) {
      const value = counter ? 1000 + 2 * (k + 1) : 500 + (k % 7);
      await client.query(
        `INSERT INTO slots (variable_id, slot_start, count, mean, min, max, first, last,
           completeness, flag, delta)
         VALUES ($1, $2, 10, $3, $4, $5, $6, $7, 1, 'G', $8)`,
        [
          variableId,
          new Date(start + k * SLOT_MS).toISOString(),
          value,
          counter ? value - 2 : value,
          value,
          counter ? value - 2 : value,
          value,
          counter ? 2 : null,
        ],
      );
    }
  });
}

async function variableId(tenant: Tenant, siteId: string, point: string, code: string) {
  return testDb().db.withTenantClient(
    tenant.id,
    async (client) =>
      (
        await client.query<{ id: string }>(
          `SELECT v.id FROM variables v JOIN measurement_points p ON p.id = v.point_id
            WHERE p.site_id = $1 AND p.code = $2 AND v.code = $3`,
          [siteId, point, code],
        )
      ).rows[0]!.id,
  );
}

async function recordAttempt(
  tenant: Tenant,
  reportId: string,
  outcome: 'verified' | 'failed',
  at: string,
) {
  await testDb().db.withTenantClient(tenant.id, async (client) => {
    await client.query(
      `INSERT INTO report_deliveries (report_id, started_at, finished_at, outcome, host, remote_path,
         bytes, read_back_sha256, replies, error)
       SELECT id, $2, $2, $3, 'ftp.anh.example', '/anh/' || file_name,
              CASE WHEN $3 = 'verified' THEN octet_length(content) END,
              CASE WHEN $3 = 'verified' THEN repeat('a', 64) END,
              $4, CASE WHEN $3 = 'failed' THEN 'connection refused' END
         FROM reports WHERE id = $1`,
      [
        reportId,
        at,
        outcome,
        JSON.stringify(
          outcome === 'verified'
            ? [
                { step: 'login', code: 230, message: 'Login successful.' },
                { step: 'upload', code: 226, message: 'Transfer complete.' },
              ]
            : [],
        ),
      ],
    );
    if (outcome === 'verified')
      await client.query('UPDATE reports SET delivered_at = $2 WHERE id = $1', [reportId, at]);
  });
}

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  rival = await seedTenant(db);
  siteA = (await seedField(db, acme.id, { wells: 1, siteCode: 'A-1' })).siteId;
  siteB = (await seedField(db, acme.id, { wells: 1, siteCode: 'B-1' })).siteId;
  await seedField(db, rival.id, { wells: 1, siteCode: 'R-1' });
  engineer = await seedUser(db, { name: 'Ingeniera Pérez' });
  operator = await seedUser(db);
  auditor = await seedUser(db);
  rivalAdmin = await seedUser(db);
  await seedMembership(db, acme.id, engineer.id, 'engineer');
  await seedMembership(db, acme.id, operator.id, 'operator');
  await seedMembership(db, acme.id, auditor.id, 'auditor');
  await seedMembership(db, rival.id, rivalAdmin.id, 'admin');

  await db.withTenantClient(acme.id, (client) =>
    createPartitions(client, monthsBetween(dayStart(D0), dayStart(D1) + 86_400_000)),
  );
  const gross = await variableId(acme, siteA, 'LACT-01', 'fiscal_gross_totalizer');
  const thp = await variableId(acme, siteA, 'W-001', 'tubing_head_pressure');
  for (const day of [D0, D1]) {
    await storeSlots(acme, gross, day, true);
    await storeSlots(acme, thp, day, false);
  }
  for (const day of [D0, D1]) {
    for (const r of await buildDayReports(db, acme.id, day, { nowMs: buildTimeOf(day) })) {
      const key = `${r.siteId === siteA ? 'a' : 'b'}${day === D0 ? 0 : 1}` as keyof typeof ids;
      ids[key] = r.id;
    }
  }
  // A correction of the LACT counter in one slot and of a pressure in another, then the
  // amendment of D1 for field A.
  await db.withTenantClient(acme.id, async (client) => {
    const at = (k: number) => new Date(dayStart(D1) + k * SLOT_MS).toISOString();
    await client.query(
      'UPDATE slots SET delta = delta + 3.5, max = max + 3.5 WHERE variable_id = $1 AND slot_start = $2',
      [gross, at(50)],
    );
    await client.query(
      'UPDATE slots SET mean = 900, max = 900 WHERE variable_id = $1 AND slot_start = $2',
      [thp, at(70)],
    );
  });
  ids.a2 = (
    await amendReport(db, acme.id, {
      day: D1,
      siteId: siteA,
      reason: 'Corrección del contador LACT, boleta 4411',
      userId: engineer.id,
      nowMs: buildTimeOf(D1) + 3 * 3600_000,
    })
  ).id;
  await recordAttempt(acme, ids.a0, 'verified', '2026-10-05T11:05:00Z');
  await recordAttempt(acme, ids.b1, 'failed', '2026-10-06T11:02:00Z');
  await recordAttempt(acme, ids.b1, 'failed', '2026-10-06T11:12:00Z');
  rivalReportId = (await buildDayReports(db, rival.id, D1, { nowMs: buildTimeOf(D1) }))[0]!.id;
});

describe('reports.list', () => {
  it('lists newest day first with state, counts and the last attempt', async () => {
    const list = await callerFor(operator).reports.list({ tenantSlug: acme.slug });
    expect(list.items.map((r) => [r.day, r.siteCode, r.version, r.state])).toEqual([
      [D1, 'A-1', 2, 'pending'],
      [D1, 'A-1', 1, 'superseded'],
      [D1, 'B-1', 1, 'failed'],
      [D0, 'A-1', 1, 'delivered'],
      [D0, 'B-1', 1, 'pending'],
    ]);
    const b1 = list.items.find((r) => r.id === ids.b1)!;
    expect(b1).toMatchObject({
      attempts: 2,
      lastAttempt: { outcome: 'failed', error: 'connection refused' },
    });
    expect(b1.blockingErrors).toBeGreaterThan(0); // a field without data: completeness fails
    const a2 = list.items.find((r) => r.id === ids.a2)!;
    expect(a2.amendmentReason).toBe('Corrección del contador LACT, boleta 4411');
    expect(a2.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a2.fileName).toMatch(/\.json$/);
    expect(a2.siteName).not.toBe('');
    expect(list.sites.map((s) => s.code)).toEqual(['A-1', 'B-1']);
    expect(list.hasMore).toBe(false);
  });

  it('filters by field, days and state, and pages', async () => {
    const caller = callerFor(auditor);
    const slug = acme.slug;
    const idsOf = async (filters: Parameters<typeof caller.reports.list>[0]) =>
      (await caller.reports.list(filters)).items.map((r) => r.id).sort();
    expect(await idsOf({ tenantSlug: slug, siteId: siteB })).toEqual([ids.b0, ids.b1].sort());
    expect(await idsOf({ tenantSlug: slug, from: D1, to: D1 })).toEqual(
      [ids.a1, ids.a2, ids.b1].sort(),
    );
    expect(await idsOf({ tenantSlug: slug, to: D0 })).toEqual([ids.a0, ids.b0].sort());
    expect(await idsOf({ tenantSlug: slug, state: 'delivered' })).toEqual([ids.a0]);
    expect(await idsOf({ tenantSlug: slug, state: 'failed' })).toEqual([ids.b1]);
    expect(await idsOf({ tenantSlug: slug, state: 'pending' })).toEqual([ids.a2, ids.b0].sort());
    expect(await idsOf({ tenantSlug: slug, state: 'superseded' })).toEqual([ids.a1]);
    const all = (await caller.reports.list({ tenantSlug: slug })).items;
    const blocking = all.filter((r) => r.blockingErrors > 0).map((r) => r.id);
    expect(blocking).toContain(ids.b1);
    expect(await idsOf({ tenantSlug: slug, state: 'blocking' })).toEqual(blocking.sort());
    expect(await idsOf({ tenantSlug: slug, siteId: siteB, state: 'blocking', from: D1 })).toEqual([
      ids.b1,
    ]);
    const first = await caller.reports.list({ tenantSlug: slug, limit: 2 });
    expect(first).toMatchObject({ hasMore: true, nextOffset: 2 });
    const rest = await caller.reports.list({ tenantSlug: slug, limit: 200, offset: 2 });
    expect([...first.items, ...rest.items].map((r) => r.id)).toHaveLength(5);
    expect(rest.nextOffset).toBeNull();
    expect(await codeOf(caller.reports.list({ tenantSlug: slug, limit: 201 }))).toBe('BAD_REQUEST');
  });
});

describe('reports.detail', () => {
  it('validates the stored JSON again and shows the chain link, receipts and versions', async () => {
    const detail = await callerFor(operator).reports.detail({
      tenantSlug: acme.slug,
      reportId: ids.a2,
    });
    expect(detail.report).toMatchObject({
      id: ids.a2,
      day: D1,
      siteCode: 'A-1',
      version: 2,
      amendedByName: 'Ingeniera Pérez',
      state: 'pending',
    });
    expect(detail.content!.day).toBe(D1);
    expect(detail.validation.schemaOk).toBe(true);
    expect(detail.validation.violations).toEqual([]);
    expect(detail.validation.checks.length).toBe(detail.content!.checks.length);
    expect(
      detail.validation.checks.every((c) => ['info', 'warning', 'error'].includes(c.severity)),
    ).toBe(true);
    expect(detail.balances).toEqual(detail.content!.balances);
    const v1 = await callerFor(operator).reports.detail({
      tenantSlug: acme.slug,
      reportId: ids.a1,
    });
    expect(detail.chain).toMatchObject({
      sha256: detail.report.sha256,
      recomputedSha256: detail.report.sha256,
      hashOk: true,
      linked: true,
      previousSha256: v1.report.sha256,
      previous: { id: ids.a1, day: D1, version: 1 },
      next: null,
      nextLinked: null,
    });
    expect(v1.chain).toMatchObject({
      hashOk: true,
      linked: true,
      previous: { id: ids.a0 },
      next: { id: ids.a2 },
      nextLinked: true,
    });
    expect(detail.versions.map((v) => [v.id, v.version])).toEqual([
      [ids.a1, 1],
      [ids.a2, 2],
    ]);
    const delivered = await callerFor(operator).reports.detail({
      tenantSlug: acme.slug,
      reportId: ids.a0,
    });
    expect(delivered.chain).toMatchObject({ previous: null, previousSha256: null, linked: true });
    expect(delivered.deliveries).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'verified',
        bytes: delivered.report.bytes,
        remotePath: `/anh/${delivered.report.fileName}`,
        replies: [
          { step: 'login', code: 230, message: 'Login successful.' },
          { step: 'upload', code: 226, message: 'Transfer complete.' },
        ],
      }),
    ]);
    const failed = await callerFor(operator).reports.detail({
      tenantSlug: acme.slug,
      reportId: ids.b1,
    });
    expect(failed.deliveries.map((d) => [d.attempt, d.outcome, d.error])).toEqual([
      [1, 'failed', 'connection refused'],
      [2, 'failed', 'connection refused'],
    ]);
    expect(failed.validation.blocking).toBe(failed.report.blockingErrors);
  });

  it("says so when a stored report no longer matches its hash (edited behind the trigger's back)", async () => {
    const { db, url } = testDb();
    const tampered = await seedTenant(db);
    const site = (await seedField(db, tampered.id, { wells: 1 })).siteId;
    const [report] = await buildDayReports(db, tampered.id, D1, { nowMs: buildTimeOf(D1) });
    await seedMembership(db, tampered.id, auditor.id, 'auditor');
    await withConnection(url, async (c) => {
      await c.query("SET session_replication_role = 'replica'");
      await c.query(
        `UPDATE "${tampered.schemaName}".reports
            SET content = replace(content, '"missingSlots":', '"missingSlots":1') WHERE id = $1`,
        [report!.id],
      );
    });
    const detail = await callerFor(auditor).reports.detail({
      tenantSlug: tampered.slug,
      reportId: report!.id,
    });
    expect(detail.report.siteId).toBe(site);
    expect(detail.chain.hashOk).toBe(false);
    expect(detail.validation.schemaOk).toBe(false);
    expect(detail.validation.violations.map((v) => v.path)).toContain('/integrity/sha256');
  });
});

describe('reports.diff', () => {
  it('between a report and its amendment shows exactly what changed', async () => {
    const { diff, before, after } = await callerFor(operator).reports.diff({
      tenantSlug: acme.slug,
      reportId: ids.a2,
      againstReportId: ids.a1,
    });
    expect(before).toEqual({ id: ids.a1, version: 1 });
    expect(after).toEqual({ id: ids.a2, version: 2 });
    expect(diff.identical).toBe(false);
    expect(diff.totals).toEqual([
      { total: 'grossObservedBbl', before: 288, after: 291.5, delta: 3.5 },
    ]);
    // The counter's day total, and the pressure's mean and maximum: nothing else.
    expect(diff.daily).toEqual([
      {
        point: 'LACT-01',
        variable: 'fiscal_gross_totalizer',
        unit: 'bbl',
        field: 'total',
        before: 288,
        after: 291.5,
        delta: 3.5,
      },
      {
        point: 'W-001',
        variable: 'tubing_head_pressure',
        unit: 'psig',
        field: 'mean',
        before: 502.96,
        after: 505.74,
        delta: 2.78,
      },
      {
        point: 'W-001',
        variable: 'tubing_head_pressure',
        unit: 'psig',
        field: 'max',
        before: 506,
        after: 900,
        delta: 394,
      },
    ]);
    expect(diff.slots).toEqual({
      changedSlots: 2,
      changedValues: 4,
      byVariable: [
        { point: 'LACT-01', variable: 'fiscal_gross_totalizer', slots: 1, values: 2 },
        { point: 'W-001', variable: 'tubing_head_pressure', slots: 1, values: 2 },
      ],
    });
    expect(diff.series).toEqual({ added: [], removed: [] });
  });

  it('refuses versions of different days or fields, and unknown ids', async () => {
    const caller = callerFor(operator);
    const slug = acme.slug;
    expect(
      await codeOf(
        caller.reports.diff({ tenantSlug: slug, reportId: ids.a1, againstReportId: ids.a0 }),
      ),
    ).toBe('BAD_REQUEST');
    expect(
      await codeOf(
        caller.reports.diff({ tenantSlug: slug, reportId: ids.a1, againstReportId: ids.b1 }),
      ),
    ).toBe('BAD_REQUEST');
    expect(
      await codeOf(
        caller.reports.diff({ tenantSlug: slug, reportId: ids.a1, againstReportId: rivalReportId }),
      ),
    ).toBe('NOT_FOUND');
  });
});

describe("another company's reports", () => {
  it('are NOT_FOUND by id, through every procedure, both ways', async () => {
    const acmeCaller = callerFor(engineer);
    for (const call of [
      () => acmeCaller.reports.detail({ tenantSlug: acme.slug, reportId: rivalReportId }),
      () => acmeCaller.reports.file({ tenantSlug: acme.slug, reportId: rivalReportId }),
      () =>
        acmeCaller.reports.diff({
          tenantSlug: acme.slug,
          reportId: rivalReportId,
          againstReportId: rivalReportId,
        }),
      () => callerFor(rivalAdmin).reports.detail({ tenantSlug: rival.slug, reportId: ids.a1 }),
      () => callerFor(rivalAdmin).reports.detail({ tenantSlug: acme.slug, reportId: ids.a1 }),
    ])
      expect(await codeOf(call())).toBe('NOT_FOUND');
    const list = await callerFor(rivalAdmin).reports.list({ tenantSlug: rival.slug });
    expect(list.items.map((r) => r.id)).toEqual([rivalReportId]);
  });
});

describe('report download', () => {
  const download = (user: User | null, slug: string, reportId: string) =>
    handleReportDownload({ db: testDb().db, userId: user?.id ?? null, slug, reportId });

  it('returns the stored bytes under the delivery file name', async () => {
    const response = await download(operator, acme.slug, ids.a2);
    expect(response.status).toBe(200);
    const stored = await testDb().db.withTenantClient(
      acme.id,
      async (c) =>
        (
          await c.query<{ content: string; file_name: string }>(
            'SELECT content, file_name FROM reports WHERE id = $1',
            [ids.a2],
          )
        ).rows[0]!,
    );
    expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(stored.content))).toBe(
      true,
    );
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="${stored.file_name}"; filename*=UTF-8''${encodeURIComponent(stored.file_name)}`,
    );
    expect(response.headers.get('cache-control')).toBe('private, no-store');
  });

  it("is 404 for another company's report or a non-member, 401 without a session", async () => {
    expect((await download(operator, acme.slug, rivalReportId)).status).toBe(404);
    expect((await download(rivalAdmin, acme.slug, ids.a2)).status).toBe(404);
    expect((await download(operator, acme.slug, 'not-a-uuid')).status).toBe(404);
    expect((await download(null, acme.slug, ids.a2)).status).toBe(401);
  });
});

describe('audit.list', () => {
  it('filters by action prefix, actor, entity, id, text and time; names members', async () => {
    const caller = callerFor(auditor);
    const slug = acme.slug;
    const amended = await caller.audit.list({ tenantSlug: slug, action: 'report.' });
    expect(amended.entries).toHaveLength(1);
    expect(amended.entries[0]).toMatchObject({
      actor: `user:${engineer.id}`,
      action: 'report.amended',
      entity: 'report',
      entityId: ids.a2,
      data: { day: D1, site: 'A-1', version: 2 },
    });
    expect(amended.actorNames).toEqual({ [engineer.id]: 'Ingeniera Pérez' });
    const byActor = await caller.audit.list({ tenantSlug: slug, actor: `user:${engineer.id}` });
    expect(byActor.entries.map((e) => e.action)).toEqual(['report.amended']);
    const sites = await caller.audit.list({ tenantSlug: slug, entity: 'site' });
    expect(sites.entries.map((e) => e.entityId).sort()).toEqual([siteA, siteB].sort());
    expect(
      (await caller.audit.list({ tenantSlug: slug, entityId: siteB })).entries.map((e) => e.action),
    ).toEqual(['site.created']);
    expect(
      (await caller.audit.list({ tenantSlug: slug, text: 'BOLETA 4411' })).entries.map(
        (e) => e.entityId,
      ),
    ).toEqual([ids.a2]);
    // LIKE wildcards in the filters are taken literally.
    expect((await caller.audit.list({ tenantSlug: slug, text: '%' })).entries).toEqual([]);
    expect((await caller.audit.list({ tenantSlug: slug, action: '_' })).entries).toEqual([]);
    const all = await caller.audit.list({ tenantSlug: slug });
    const newest = all.entries[0]!;
    const justNewest = await caller.audit.list({
      tenantSlug: slug,
      from: new Date(newest.at).toISOString(),
      to: new Date(new Date(newest.at).getTime() + 1).toISOString(),
    });
    expect(justNewest.entries.map((e) => e.seq)).toContain(newest.seq);
    expect(
      (await caller.audit.list({ tenantSlug: slug, to: '2000-01-01T00:00:00Z' })).entries,
    ).toEqual([]);
  });

  it('pages by seq, newest first, without gaps or repeats', async () => {
    const caller = callerFor(auditor);
    const all = await caller.audit.list({ tenantSlug: acme.slug, limit: 200 });
    expect(all.nextCursor).toBeNull();
    const seen: number[] = [];
    let cursor: number | null = null;
    do {
      const page: Awaited<ReturnType<typeof caller.audit.list>> = await caller.audit.list({
        tenantSlug: acme.slug,
        limit: 2,
        cursor,
      });
      seen.push(...page.entries.map((e) => e.seq));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(all.entries.map((e) => e.seq));
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });

  it('is for admins, engineers and auditors, not operators', async () => {
    expect(await codeOf(callerFor(operator).audit.list({ tenantSlug: acme.slug }))).toBe(
      'FORBIDDEN',
    );
    expect(await codeOf(callerFor(operator).audit.verify({ tenantSlug: acme.slug }))).toBe(
      'FORBIDDEN',
    );
    expect(await codeOf(callerFor(rivalAdmin).audit.list({ tenantSlug: acme.slug }))).toBe(
      'NOT_FOUND',
    );
  });
});

describe('audit.verify', () => {
  it('is ok on an untouched chain and names the first broken seq after tampering', async () => {
    const { db, url } = testDb();
    const audited = await seedTenant(db);
    await seedField(db, audited.id, { wells: 1 });
    await seedField(db, audited.id, { wells: 1 });
    await seedMembership(db, audited.id, auditor.id, 'auditor');
    const caller = callerFor(auditor);
    const clean = await caller.audit.verify({ tenantSlug: audited.slug });
    expect(clean).toMatchObject({
      ok: true,
      firstBrokenSeq: null,
      reason: null,
      problems: [],
      anchors: 0,
      anchoredAt: null,
    });
    expect(clean.entries).toBeGreaterThanOrEqual(3);
    expect(clean.headHash).toMatch(/^[0-9a-f]{64}$/);
    const head = await anchorTenantAudit(db, audited.id);
    const anchored = await caller.audit.verify({ tenantSlug: audited.slug });
    expect(anchored).toMatchObject({ ok: true, anchors: 1, anchoredSeq: head!.seq });
    expect(anchored.anchoredAt).toBeInstanceOf(Date);

    const broken = head!.seq - 1;
    await withConnection(url, async (c) => {
      await c.query("SET session_replication_role = 'replica'");
      await c.query(
        `UPDATE "${audited.schemaName}".audit_log SET data = '{"forged": true}' WHERE seq = $1`,
        [broken],
      );
    });
    const tampered = await caller.audit.verify({ tenantSlug: audited.slug });
    expect(tampered).toMatchObject({
      ok: false,
      firstBrokenSeq: broken,
      reason: 'hash_mismatch',
      entries: clean.entries,
    });
    expect(tampered.problems).toContainEqual({ kind: 'hash_mismatch', seq: broken });

    // Newest rows deleted: only the anchor in the control schema shows it.
    await withConnection(url, async (c) => {
      await c.query("SET session_replication_role = 'replica'");
      await c.query(`DELETE FROM "${audited.schemaName}".audit_log WHERE seq >= $1`, [broken]);
    });
    const truncated = await caller.audit.verify({ tenantSlug: audited.slug });
    expect(truncated).toMatchObject({
      ok: false,
      reason: 'anchor_missing',
      firstBrokenSeq: head!.seq,
      headSeq: broken - 1,
    });
  });
});
