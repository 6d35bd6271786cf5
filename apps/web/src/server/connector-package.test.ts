import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedMembership, seedTenant, seedUser } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { handlePackageDownload } from './connector-package';

/** The installable connector, as the connectors page offers it: built for real, then served. */
const testDb = useTestDatabase();
const dist = resolve(import.meta.dirname, '../../../connector/dist');

beforeAll(() => {
  const built = spawnSync('npm', ['run', 'package', '-w', '@anh/connector'], {
    cwd: resolve(import.meta.dirname, '../../../..'),
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(built.stderr);
}, 60_000);

describe('connector package download', () => {
  it('serves the built package to admins and engineers only', async () => {
    const { db } = testDb();
    const tenant = await seedTenant(db);
    const engineer = await seedUser(db);
    const operator = await seedUser(db);
    await seedMembership(db, tenant.id, engineer.id, 'engineer');
    await seedMembership(db, tenant.id, operator.id, 'operator');

    const response = await handlePackageDownload({ db, userId: engineer.id, dir: dist });
    expect(response.status).toBe(200);
    const name = readdirSync(dist).find((n) => n.endsWith('.tgz'))!;
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="${name}"`);
    const body = Buffer.from(await response.arrayBuffer());
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(body)).toBe(sha(readFileSync(join(dist, name))));
    // A real npm package: a gzipped tar whose first entry is under package/.
    expect(gunzipSync(body).subarray(0, 100).toString('utf8')).toMatch(/^package\//);

    expect((await handlePackageDownload({ db, userId: operator.id, dir: dist })).status).toBe(403);
    expect((await handlePackageDownload({ db, userId: null, dir: dist })).status).toBe(401);
    const empty = mkdtempSync(join(tmpdir(), 'anh-no-package-'));
    const missing = await handlePackageDownload({ db, userId: engineer.id, dir: empty });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(
      /^El paquete del conector no está publicado/,
    );
  });
});
