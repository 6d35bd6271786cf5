import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { listMemberships, type Database } from '@anh/db';
import type { MemberRole } from '@anh/domain/tenancy';
import { PERMISSIONS } from './trpc/permissions';

/**
 * GET /api/connectors/package — the installable connector (the .tgz that
 * `npm run package -w @anh/connector` builds), for people who may download a connector's
 * configuration in at least one of their companies. The package holds no secret: the
 * configuration file and the enrollment code are what tie it to a company.
 */
const ALLOWED: readonly MemberRole[] = PERMISSIONS['connectors.downloadConfig'];

function json(status: number, message: string): Response {
  return Response.json({ error: { message } }, { status });
}

/** Newest first by version (anh-connector-<major>.<minor>.<patch>.tgz). */
export async function newestPackage(dir: string): Promise<string | null> {
  const names = (await readdir(resolve(dir)).catch(() => [] as string[])).filter((n) =>
    /^anh-connector-\d+\.\d+\.\d+\.tgz$/.test(n),
  );
  const version = (n: string) => n.slice('anh-connector-'.length, -4).split('.').map(Number);
  names.sort((a, b) => {
    const [x, y] = [version(a), version(b)];
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return y[i]! - x[i]!;
    return 0;
  });
  return names[0] ? join(resolve(dir), names[0]) : null;
}

export async function handlePackageDownload(deps: {
  db: Database;
  userId: string | null;
  dir: string;
}): Promise<Response> {
  if (!deps.userId) return json(401, 'Inicie sesión / sign in');
  const memberships = await listMemberships(deps.db, deps.userId);
  if (!memberships.some((m) => ALLOWED.includes(m.role)))
    return json(403, `Requiere rol / requires role: ${ALLOWED.join(', ')}`);
  const path = await newestPackage(deps.dir);
  if (!path)
    return json(
      404,
      'El paquete del conector no está publicado en este servidor (npm run package -w @anh/connector) / the connector package is not published on this server',
    );
  const body = await readFile(path);
  return new Response(body, {
    headers: {
      'content-type': 'application/gzip',
      'content-disposition': `attachment; filename="${path.split('/').at(-1)}"`,
      'content-length': String(body.length),
      'cache-control': 'private, no-store',
    },
  });
}
