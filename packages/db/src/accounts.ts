import { eq, sql } from 'drizzle-orm';
import { AppError } from '@anh/domain/errors';
import { formatNit, parseNit } from '@anh/domain/nit';
import { hashPassword } from '@anh/domain/passwords';
import type { Database } from './client';
import { appendControlAudit } from './audit-store';
import { memberships, tenants, users } from './schema/control';
import { provisionTenant, type Tenant } from './tenants';

/**
 * A company signs up: a person and a company at once. The person becomes the company's
 * admin; the company gets its own schema and role (provisionTenant). Conflicts (e-mail,
 * NIT, ANH operator code) are found before anything is created, and answered in Spanish
 * and English.
 */
export interface SignUpInput {
  name: string;
  email: string;
  password: string;
  locale: 'es-CO' | 'en';
  company: { legalName: string; nit: string; anhOperatorCode: string };
}

function slugFrom(legalName: string): string {
  const base = legalName
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\b(s\.?a\.?s|s\.?a|ltda|e\.?s\.?p)\b\.?/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/g, '');
  return base.length >= 3 ? base : `empresa-${base}`.replace(/-+$/, '');
}

export async function signUpCompany(
  db: Database,
  input: SignUpInput,
): Promise<{ userId: string; tenant: Tenant }> {
  const nit = parseNit(input.company.nit);
  if (!nit.ok)
    throw new AppError(
      'VALIDATION',
      nit.reason === 'check_digit'
        ? `NIT inválido: el dígito de verificación debería ser ${nit.expected} / invalid NIT: the check digit should be ${nit.expected}`
        : 'NIT inválido: escríbalo como 900.123.456-7 / invalid NIT: write it as 900.123.456-7',
      { details: { field: 'nit' } },
    );
  const email = input.email.trim().toLowerCase();
  const [taken] = await db.control
    .select({ id: users.id })
    .from(users)
    .where(eq(sql`lower(${users.email})`, email));
  if (taken)
    throw new AppError(
      'CONFLICT',
      'Ya existe una cuenta con ese correo: inicie sesión / an account with that e-mail exists: sign in',
      { details: { field: 'email' } },
    );
  const [company] = await db.control
    .select({ nitBase: tenants.nitBase, code: tenants.anhOperatorCode })
    .from(tenants)
    .where(
      sql`${tenants.nitBase} = ${nit.nit.base} or ${tenants.anhOperatorCode} = ${input.company.anhOperatorCode}`,
    );
  if (company)
    throw new AppError(
      'CONFLICT',
      company.nitBase === nit.nit.base
        ? 'Esa empresa (NIT) ya está registrada: pida una invitación a su administrador / that company (NIT) is already registered: ask its admin for an invitation'
        : 'Ese código de operador ANH ya está registrado / that ANH operator code is already registered',
      { details: { field: company.nitBase === nit.nit.base ? 'nit' : 'anhOperatorCode' } },
    );
  let slug = slugFrom(input.company.legalName);
  const [slugTaken] = await db.control
    .select({ id: tenants.id })
    .from(tenants)
    .where(eq(tenants.slug, slug));
  if (slugTaken) slug = `${slug.slice(0, 33)}-${nit.nit.base.slice(-6)}`;
  const passwordHash = await hashPassword(input.password);
  const { tenant } = await provisionTenant(
    db,
    {
      slug,
      legalName: input.company.legalName,
      nit: formatNit(nit.nit),
      anhOperatorCode: input.company.anhOperatorCode,
    },
    { actor: `signup:${email}` },
  );
  const userId = await db.control.transaction(async (tx) => {
    const [user] = await tx
      .insert(users)
      .values({ email, name: input.name, passwordHash, locale: input.locale })
      .returning({ id: users.id });
    await tx.insert(memberships).values({ tenantId: tenant.id, userId: user!.id, role: 'admin' });
    await appendControlAudit(tx, {
      actor: `user:${user!.id}`,
      action: 'account.signed_up',
      entity: 'tenant',
      entityId: tenant.id,
      data: { email, legalName: tenant.legalName, slug: tenant.slug },
    });
    return user!.id;
  });
  return { userId, tenant };
}
