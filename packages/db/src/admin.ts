import pg from 'pg';
import { quoteIdent } from './names';

/** Runs `work` on one short-lived connection (migrations want a single session). */
export async function withConnection<T>(
  url: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'anh:admin' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function maintenanceUrl(url: string): { maintenance: string; database: string } {
  const parsed = new URL(url);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  parsed.pathname = '/postgres';
  return { maintenance: parsed.toString(), database };
}

/** Creates the database named in `url` if it does not exist (first run on a fresh machine). */
export async function ensureDatabaseExists(url: string): Promise<boolean> {
  const { maintenance, database } = maintenanceUrl(url);
  return withConnection(maintenance, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 1) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
    } catch (error) {
      // Another process created it between our check and our CREATE: that is fine.
      if ((error as { code?: string }).code !== '42P04') throw error;
    }
    return true;
  });
}

export { maintenanceUrl };
