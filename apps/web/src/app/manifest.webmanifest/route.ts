import { isLocale } from '~/lib/i18n';
import { currentLocale } from '~/lib/locale';
import { webAppManifest } from '~/lib/web-app-manifest';

/**
 * The web app manifest, in the person's language. The root layout links it with
 * `?lang=` (the language the page rendered in), because browsers fetch a manifest without
 * cookies unless told otherwise; without the parameter the request's own language (cookie,
 * then the user's setting, then Spanish) is used.
 */
export const dynamic = 'force-dynamic';

export async function GET(request: Request): Promise<Response> {
  const asked = new URL(request.url).searchParams.get('lang');
  const locale = isLocale(asked) ? asked : await currentLocale();
  return new Response(JSON.stringify(webAppManifest(locale)), {
    headers: {
      'content-type': 'application/manifest+json; charset=utf-8',
      'cache-control': 'private, max-age=3600',
    },
  });
}
