import { z } from 'zod';
import { nitSchema } from './nit';

/** The four roles a member of a tenant can hold. Order: most to least privileged. */
export const MEMBER_ROLES = ['admin', 'engineer', 'operator', 'auditor'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

export const TENANT_STATUSES = ['active', 'suspended', 'deprovisioned'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/** Measurement point kinds of the domain brief. */
export const POINT_KINDS = [
  'well',
  'separator',
  'tank',
  'fiscal_liquid_meter',
  'gas_meter',
  'injection',
  'flare',
] as const;
export type PointKind = (typeof POINT_KINDS)[number];

/** Lowercase words joined by single hyphens: safe in URLs, never used as an SQL identifier. */
export const slugSchema = z
  .string()
  .min(3)
  .max(40)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'slug: lowercase letters, digits and single hyphens');

/** ANH operator code: uppercase letters and digits (the ANH's own codes are short). */
export const anhOperatorCodeSchema = z
  .string()
  .trim()
  .min(2)
  .max(20)
  .regex(/^[A-Z0-9][A-Z0-9_-]*$/, 'ANH operator code: uppercase letters, digits, - and _');

export const newTenantSchema = z.object({
  slug: slugSchema,
  legalName: z.string().trim().min(2).max(200),
  nit: nitSchema,
  anhOperatorCode: anhOperatorCodeSchema,
});
export type NewTenantInput = z.input<typeof newTenantSchema>;
export type NewTenant = z.output<typeof newTenantSchema>;
