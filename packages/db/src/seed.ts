import { randomBytes, randomInt } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { nitCheckDigit } from '@anh/domain/nit';
import { hashPassword, verifyPassword } from '@anh/domain/passwords';
import type { MemberRole, NewTenantInput, PointKind } from '@anh/domain/tenancy';
import { appendTenantAudit } from './audit-store';
import type { Database } from './client';
import * as controlSchema from './schema/control';
import * as tenantSchema from './schema/tenant';
import { provisionTenant, type Tenant } from './tenants';

/**
 * Seed factories shared by the tests and the demo. Defaults are random so tests never
 * collide; pass values to get a fixed, recognisable record (the demo does).
 */
export function randomNit(): string {
  const base = `9${String(randomInt(0, 100_000_000)).padStart(8, '0')}`;
  return `${base}-${nitCheckDigit(base)}`;
}

export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

export async function seedTenant(
  db: Database,
  overrides: Partial<NewTenantInput> = {},
): Promise<Tenant> {
  const suffix = randomSuffix();
  const { tenant } = await provisionTenant(
    db,
    {
      slug: `operadora-${suffix}`,
      legalName: `Operadora ${suffix} S.A.S.`,
      nit: randomNit(),
      anhOperatorCode: `OP${suffix.toUpperCase()}`,
      ...overrides,
    },
    { actor: 'system:seed' },
  );
  return tenant;
}

export type User = typeof controlSchema.users.$inferSelect;

export async function seedUser(
  db: Database,
  input: { email?: string; name?: string; password?: string; locale?: 'es-CO' | 'en' } = {},
): Promise<User> {
  const email = (input.email ?? `usuario-${randomSuffix()}@example.com`).toLowerCase();
  const [existing] = await db.control
    .select()
    .from(controlSchema.users)
    .where(eq(controlSchema.users.email, email));
  if (existing) {
    // Keep a re-run seed (the demo) in step with the password it was given this time, and
    // confirmed (a database seeded before sign-in asked for confirmation).
    const passwordChanged =
      input.password !== undefined &&
      !(existing.passwordHash && (await verifyPassword(input.password, existing.passwordHash)));
    if (passwordChanged || !existing.emailVerified) {
      const [updated] = await db.control
        .update(controlSchema.users)
        .set({
          ...(passwordChanged ? { passwordHash: await hashPassword(input.password!) } : {}),
          emailVerified: existing.emailVerified ?? new Date(),
        })
        .where(eq(controlSchema.users.id, existing.id))
        .returning();
      return updated!;
    }
    return existing;
  }
  const [user] = await db.control
    .insert(controlSchema.users)
    .values({
      email,
      name: input.name ?? email.split('@')[0]!,
      passwordHash: input.password ? await hashPassword(input.password) : null,
      locale: input.locale ?? 'es-CO',
      // Seeded people (the demo's, the tests') have confirmed their address.
      emailVerified: new Date(),
    })
    .returning();
  return user!;
}

export async function seedMembership(
  db: Database,
  tenantId: string,
  userId: string,
  role: MemberRole,
): Promise<void> {
  await db.control
    .insert(controlSchema.memberships)
    .values({ tenantId, userId, role })
    .onConflictDoUpdate({
      target: [controlSchema.memberships.tenantId, controlSchema.memberships.userId],
      set: { role },
    });
}

/** Variables a demo field gets per point kind: catalog code and the unit the field sends. */
export const DEMO_VARIABLES: Record<PointKind, Array<[code: string, unit: string]>> = {
  well: [
    ['tubing_head_pressure', 'psig'],
    ['casing_head_pressure', 'psig'],
    ['flowline_temperature', 'degF'],
    ['choke_opening', '%'],
    ['esp_frequency', 'Hz'],
    ['esp_motor_current', 'A'],
  ],
  separator: [
    ['separator_pressure', 'psig'],
    ['separator_temperature', 'degF'],
    ['separator_oil_flow', 'bbl/d'],
    ['separator_gas_flow', 'kscf/d'],
  ],
  tank: [
    ['tank_level', 'ft'],
    ['tank_temperature', 'degF'],
    ['tank_bsw', '%'],
  ],
  fiscal_liquid_meter: [
    ['fiscal_gross_volume_flow', 'bbl/h'],
    ['fiscal_gross_totalizer', 'bbl'],
    ['fiscal_temperature', 'degF'],
    ['fiscal_pressure', 'psig'],
    ['fiscal_bsw', '%'],
    ['fiscal_api_gravity', 'degAPI'],
  ],
  gas_meter: [
    ['gas_differential_pressure', 'inH2O'],
    ['gas_static_pressure', 'psia'],
    ['gas_temperature', 'degF'],
    ['gas_standard_flow', 'kscf/d'],
  ],
  injection: [
    ['injection_pressure', 'psig'],
    ['injection_rate', 'bbl/d'],
  ],
  flare: [
    ['flare_rate', 'kscf/d'],
    ['flare_totalizer', 'kscf'],
  ],
};

export interface SeedFieldOptions {
  siteCode?: string;
  siteName?: string;
  fieldName?: string;
  wells?: number;
}

export interface SeededField {
  siteId: string;
  pointIds: string[];
  variableCount: number;
}

/** A production site: N wells, a separator, a tank, a LACT, a gas meter, injection and a flare. */
export async function seedField(
  db: Database,
  tenantId: string,
  options: SeedFieldOptions = {},
): Promise<SeededField> {
  const suffix = randomSuffix();
  const wells = options.wells ?? 3;
  return db.withTenant(tenantId, async (tx) => {
    const [site] = await tx
      .insert(tenantSchema.sites)
      .values({
        code: options.siteCode ?? `SITE-${suffix.toUpperCase()}`,
        name: options.siteName ?? `Estación ${suffix}`,
        fieldName: options.fieldName ?? `Campo ${suffix}`,
        department: 'Meta',
        municipality: 'Puerto Gaitán',
        latitude: 3.9,
        longitude: -71.9,
      })
      .returning();
    const points: Array<{ code: string; name: string; kind: PointKind }> = [
      ...Array.from({ length: wells }, (_, i) => ({
        code: `W-${String(i + 1).padStart(3, '0')}`,
        name: `Pozo ${i + 1}`,
        kind: 'well' as const,
      })),
      { code: 'SEP-01', name: 'Separador de producción', kind: 'separator' },
      { code: 'TK-01', name: 'Tanque de almacenamiento 1', kind: 'tank' },
      { code: 'LACT-01', name: 'Unidad LACT de fiscalización', kind: 'fiscal_liquid_meter' },
      { code: 'GM-01', name: 'Medidor de gas (placa de orificio)', kind: 'gas_meter' },
      { code: 'INJ-01', name: 'Pozo inyector de agua', kind: 'injection' },
      { code: 'FL-01', name: 'Tea', kind: 'flare' },
    ];
    const inserted = await tx
      .insert(tenantSchema.measurementPoints)
      .values(points.map((p) => ({ ...p, siteId: site!.id })))
      .returning();
    const variableRows = inserted.flatMap((point) =>
      DEMO_VARIABLES[point.kind].map(([code, unit]) => ({
        pointId: point.id,
        code,
        unit,
        sourceTag: `${point.code}.${code}`,
      })),
    );
    await tx.insert(tenantSchema.variables).values(variableRows);
    await appendTenantAudit(tx, {
      actor: 'system:seed',
      action: 'site.created',
      entity: 'site',
      entityId: site!.id,
      data: { code: site!.code, points: inserted.length, variables: variableRows.length },
    });
    return {
      siteId: site!.id,
      pointIds: inserted.map((p) => p.id),
      variableCount: variableRows.length,
    };
  });
}
