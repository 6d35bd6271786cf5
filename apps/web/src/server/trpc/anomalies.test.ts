import { TRPCError } from '@trpc/server';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAuditChain, tenantTables, type Tenant } from '@anh/db';
import { seedField, seedMembership, seedTenant, seedUser, type User } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { createCaller } from './root';

/** Operators' side of anomalies: list with evidence, verdicts, acknowledgement, retraining. */
const testDb = useTestDatabase();
let acme: Tenant;
let operator: User;
let auditor: User;
let anomalyId: string;
let alertId: string;
let pointId: string;
const retrains: string[] = [];

const callerFor = (user: User) =>
  createCaller({
    db: testDb().db,
    userId: user.id,
    requestRetrain: (_tenantId, point) => {
      retrains.push(point);
      return Promise.resolve();
    },
  });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => 'OK').catch((e: unknown) => e);
  return error === 'OK' ? 'OK' : error instanceof TRPCError ? error.code : String(error);
}

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  const field = await seedField(db, acme.id, { wells: 1 });
  pointId = field.pointIds[0]!;
  operator = await seedUser(db);
  auditor = await seedUser(db);
  await seedMembership(db, acme.id, operator.id, 'operator');
  await seedMembership(db, acme.id, auditor.id, 'auditor');
  // What the detect stage leaves behind (apps/worker/src/pipeline/detect.test.ts runs it).
  await db.withTenantClient(acme.id, async (client) => {
    const model = await client.query<{ id: string }>(
      `INSERT INTO anomaly_models (point_id, kind, version, trained_at, baseline_from, baseline_to, rows, model, threshold)
       VALUES ($1, 'iforest', 3, now(), now() - interval '30 days', now(), 4315, '{}', 0.61) RETURNING id`,
      [pointId],
    );
    const alert = await client.query<{ id: string }>(
      `INSERT INTO alerts (kind, subject, severity, audience, message, data, raised_at, last_seen_at)
       VALUES ('anomaly.point', 'W-001', 'warning', '{engineer,operator}', 'W-001: … / W-001: …', '{}', now(), now())
       RETURNING id`,
    );
    alertId = alert.rows[0]!.id;
    const anomaly = await client.query<{ id: string }>(
      `INSERT INTO anomalies (point_id, detector, model_id, model_version, slot_start, score, threshold, evidence, alert_id)
       VALUES ($1, 'iforest', $2, 3, now(), 0.72, 0.61, $3, $4) RETURNING id`,
      [
        pointId,
        model.rows[0]!.id,
        JSON.stringify({ drivers: [{ variable: 'tubing_head_pressure', z: 5.2 }] }),
        alertId,
      ],
    );
    anomalyId = anomaly.rows[0]!.id;
  });
});

describe('anomalies for operators', () => {
  it('lists anomalies with their evidence and model version, and the open alerts', async () => {
    const [listed] = (await callerFor(auditor).anomalies.list({ tenantSlug: acme.slug })) as Array<{
      id: string;
      modelVersion: number;
      evidence: { drivers: Array<{ variable: string }> };
      alertId: string;
    }>;
    expect(listed).toMatchObject({ id: anomalyId, modelVersion: 3, alertId });
    expect(listed!.evidence.drivers[0]!.variable).toBe('tubing_head_pressure');
    const alerts = await callerFor(auditor).anomalies.alerts({ tenantSlug: acme.slug });
    expect(alerts.map((a) => a.id)).toEqual([alertId]);
  });

  it('an operator gives a verdict and acknowledges; both audited; an auditor cannot', async () => {
    const slug = acme.slug;
    expect(
      await codeOf(
        callerFor(auditor).anomalies.feedback({ tenantSlug: slug, anomalyId, verdict: 'real' }),
      ),
    ).toBe('FORBIDDEN');
    await callerFor(operator).anomalies.feedback({
      tenantSlug: slug,
      anomalyId,
      verdict: 'false_alarm',
      comment: 'Prueba de presión programada',
    });
    await callerFor(operator).anomalies.feedback({ tenantSlug: slug, anomalyId, verdict: 'real' });
    await callerFor(operator).anomalies.acknowledge({
      tenantSlug: slug,
      alertId,
      comment: 'Voy en camino al pozo',
    });
    expect(
      await codeOf(
        callerFor(operator).anomalies.acknowledge({ tenantSlug: slug, alertId: pointId }),
      ),
    ).toBe('NOT_FOUND');
    const listed = (await callerFor(operator).anomalies.list({ tenantSlug: slug })) as Array<{
      verdict: string;
    }>;
    expect(listed[0]!.verdict).toBe('real');
    const [alert] = (await callerFor(operator).anomalies.alerts({ tenantSlug: slug })) as Array<{
      acknowledgedAt: Date | null;
      acknowledgeComment: string;
    }>;
    expect(alert!.acknowledgedAt).not.toBeNull();
    expect(alert!.acknowledgeComment).toBe('Voy en camino al pozo');
    const chain = await testDb().db.withTenant(acme.id, (tx) =>
      readAuditChain(tx, tenantTables.auditLog),
    );
    const verdicts = chain.filter((e) => e.action === 'anomaly.feedback');
    expect(verdicts.map((e) => e.data)).toEqual([
      { before: null, after: { verdict: 'false_alarm', comment: 'Prueba de presión programada' } },
      {
        before: { verdict: 'false_alarm', comment: 'Prueba de presión programada' },
        after: { verdict: 'real', comment: null },
      },
    ]);
    expect(
      chain.some((e) => e.action === 'alert.acknowledged' && e.actor === `user:${operator.id}`),
    ).toBe(true);
  });

  it('engineers ask for retraining of a point of theirs only', async () => {
    const { db } = testDb();
    const engineer = await seedUser(db);
    await seedMembership(db, acme.id, engineer.id, 'engineer');
    await callerFor(engineer).anomalies.retrain({ tenantSlug: acme.slug, pointId });
    expect(retrains).toEqual([pointId]);
    expect(
      await codeOf(
        callerFor(engineer).anomalies.retrain({ tenantSlug: acme.slug, pointId: anomalyId }),
      ),
    ).toBe('NOT_FOUND');
  });
});
