import type pg from 'pg';
import type { PointKind } from '@anh/domain/tenancy';

/** A tenant variable as the pipeline needs it: the binding, its point, its site's context. */
export interface VariableBinding {
  id: string;
  code: string;
  unit: string;
  rolloverAt: number | null;
  expectedPerSlot: number;
  atmosphericPressurePsia: number | null;
  pointCode: string;
  pointName: string;
  pointKind: PointKind;
  siteId: string;
}

export async function loadBindings(client: pg.ClientBase): Promise<VariableBinding[]> {
  const { rows } = await client.query<VariableBinding>(
    `SELECT v.id, v.code, v.unit, v.rollover_at AS "rolloverAt",
            v.expected_per_slot AS "expectedPerSlot",
            s.atmospheric_pressure_psia AS "atmosphericPressurePsia",
            p.code AS "pointCode", p.name AS "pointName", p.kind AS "pointKind",
            p.site_id AS "siteId"
     FROM variables v
     JOIN measurement_points p ON p.id = v.point_id
     JOIN sites s ON s.id = p.site_id
     ORDER BY p.code, v.code`,
  );
  return rows;
}

/** Only the ids: what ingest checks every binding of a batch against. */
export async function loadVariableIds(client: pg.ClientBase): Promise<Set<string>> {
  const { rows } = await client.query<{ id: string }>('SELECT id FROM variables');
  return new Set(rows.map((r) => r.id));
}
