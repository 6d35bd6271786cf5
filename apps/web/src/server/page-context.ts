import { TRPCError } from '@trpc/server';
import { notFound, redirect } from 'next/navigation';
import { currentLocale } from '~/lib/locale';
import { dictionary } from '~/lib/i18n';
import type { MemberRole } from '@anh/domain/tenancy';
import { PERMISSIONS, type TenantProcedureName } from './trpc/permissions';
import { serverCaller } from './trpc/server-caller';

/** What every page of a company needs: who, which company and role, the language. */
export async function tenantPage(slug: string) {
  const { userId, caller } = await serverCaller();
  if (!userId) redirect('/login');
  const tenants = await caller.me.tenants();
  const tenant = tenants.find((t) => t.slug === slug);
  if (!tenant) notFound();
  const locale = await currentLocale();
  return {
    caller,
    tenant,
    tenants,
    locale,
    t: dictionary(locale),
    can: (name: TenantProcedureName) =>
      (PERMISSIONS[name] as readonly MemberRole[]).includes(tenant.role),
  };
}

/** A server-side call whose NOT_FOUND is the page's 404. */
export async function orNotFound<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof TRPCError && (error.code === 'NOT_FOUND' || error.code === 'BAD_REQUEST'))
      notFound();
    throw error;
  }
}
