import { getServerSession } from 'next-auth';
import { cookies } from 'next/headers';
import { authOptions } from '~/server/auth';
import { isLocale, LOCALE_COOKIE, type Locale } from './i18n';

/** The language of this request: the switch's cookie, else the user's setting, else Spanish. */
export async function currentLocale(): Promise<Locale> {
  const chosen = (await cookies()).get(LOCALE_COOKIE)?.value;
  if (isLocale(chosen)) return chosen;
  const session = await getServerSession<ReturnType<typeof authOptions>, { locale?: unknown }>(
    authOptions(),
  );
  return isLocale(session?.locale) ? session.locale : 'es-CO';
}
