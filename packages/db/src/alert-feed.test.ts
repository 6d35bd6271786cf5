import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../test/use-test-database';
import {
  ALERT_FEED_CHANNEL,
  lastAlertFeedSeq,
  parseFeedNotification,
  readAlertFeed,
} from './alert-feed';
import { tenantIdOfSchema, tenantSchemaName } from './names';
import { raiseAlert, resolveAlert } from './reports';
import { seedField, seedTenant } from './seed';
import type { Tenant } from './tenants';

const testDb = useTestDatabase();
let acme: Tenant;
let rival: Tenant;
let siteId: string;
let pointId: string;
const NOW = Date.UTC(2026, 10, 27, 12);

beforeAll(async () => {
  const { db } = testDb();
  acme = await seedTenant(db);
  rival = await seedTenant(db);
  const field = await seedField(db, acme.id, { siteCode: 'CAMPO-A', wells: 1 });
  siteId = field.siteId;
  pointId = field.pointIds[0]!;
});

const alert = (subject: string, data: Record<string, unknown>) => ({
  kind: 'test.kind',
  subject,
  severity: 'warning' as const,
  audience: ['operator'],
  message: `alerta ${subject}`,
  data,
  nowMs: NOW,
});

describe('alert feed', () => {
  it('names: a tenant schema maps back to its tenant id', () => {
    expect(tenantIdOfSchema(tenantSchemaName(acme.id))).toBe(acme.id);
    expect(tenantIdOfSchema('public')).toBeNull();
    expect(parseFeedNotification(`${tenantSchemaName(acme.id)}:42`)).toEqual({
      tenantId: acme.id,
      seq: 42,
    });
    expect(parseFeedNotification('t_x:1')).toBeNull();
    expect(parseFeedNotification(`${tenantSchemaName(acme.id)}:1; DROP`)).toBeNull();
  });

  it('records raised, acknowledged, escalated, resolved (not repeats) and notifies at commit', async () => {
    const { db } = testDb();
    const listener = new pg.Client({ connectionString: testDb().url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(n.payload ?? ''));
    await listener.query(`LISTEN ${ALERT_FEED_CHANNEL}`);
    try {
      const before = await db.withTenantClient(acme.id, lastAlertFeedSeq);
      await db.withTenantClient(acme.id, async (client) => {
        await raiseAlert(client, alert('by-point', { pointId }));
        await raiseAlert(client, alert('by-point', { pointId })); // a repeat: no news
        await raiseAlert(client, alert('by-site-code', { site: 'CAMPO-A' }));
        await raiseAlert(client, alert('no-site', { day: '2026-11-26' }));
        await client.query(
          `UPDATE alerts SET acknowledged_at = now(), acknowledge_comment = 'visto' WHERE subject = 'by-point'`,
        );
        await client.query(
          `UPDATE alerts SET severity = 'critical', escalated_at = now() WHERE subject = 'no-site'`,
        );
        await resolveAlert(client, 'test.kind', 'by-site-code', NOW + 1000);
        expect(heard).toEqual([]); // nothing before commit
      });
      const events = await db.withTenantClient(acme.id, (c) => readAlertFeed(c, before));
      expect(events.map((e) => [e.alert.subject, e.event])).toEqual([
        ['by-point', 'raised'],
        ['by-site-code', 'raised'],
        ['no-site', 'raised'],
        ['by-point', 'acknowledged'],
        ['no-site', 'escalated'],
        ['by-site-code', 'resolved'],
      ]);
      const bySubject = new Map(events.map((e) => [e.alert.subject, e.alert]));
      expect(bySubject.get('by-point')!.siteId).toBe(siteId);
      expect(bySubject.get('by-point')!.occurrences).toBe(2);
      expect(bySubject.get('by-point')!.acknowledgeComment).toBe('visto');
      expect(bySubject.get('by-site-code')!.siteId).toBe(siteId);
      expect(bySubject.get('no-site')!.siteId).toBeNull();
      expect(bySubject.get('no-site')!.severity).toBe('critical');

      await expect.poll(() => heard.length).toBe(6);
      const parsed = heard.map(parseFeedNotification);
      expect(parsed.every((p) => p?.tenantId === acme.id)).toBe(true);
      expect(parsed.map((p) => p!.seq)).toEqual(events.map((e) => e.seq));
      // Reading on from any seq gives the rest, in order.
      const rest = await db.withTenantClient(acme.id, (c) => readAlertFeed(c, events[2]!.seq));
      expect(rest.map((e) => e.seq)).toEqual(events.slice(3).map((e) => e.seq));
    } finally {
      await listener.end();
    }
  });

  it('one tenant reads only its own feed', async () => {
    const { db } = testDb();
    const rivalEvents = await db.withTenantClient(rival.id, (c) => readAlertFeed(c, 0));
    expect(rivalEvents).toEqual([]);
    // The rival's role cannot name the other schema's table at all.
    await expect(
      db.withTenantClient(rival.id, (c) =>
        c.query(`SELECT * FROM ${tenantSchemaName(acme.id)}.alert_feed`),
      ),
    ).rejects.toThrow(/permission denied/);
  });
});
