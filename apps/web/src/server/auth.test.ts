import { describe, expect, it } from 'vitest';
import { controlTables } from '@anh/db';
import { seedUser } from '@anh/db/seed';
import { useTestDatabase } from '@anh/db/test-helpers';
import { eq } from 'drizzle-orm';
import { authorizeCredentials } from './auth';

const testDb = useTestDatabase();

describe('authorizeCredentials', () => {
  it('signs in with the right password, case-insensitive e-mail', async () => {
    const { db } = testDb();
    const user = await seedUser(db, {
      email: 'ingeniera@example.com',
      password: 'clave-segura-123',
    });
    expect(
      await authorizeCredentials(db, {
        email: 'Ingeniera@Example.com',
        password: 'clave-segura-123',
      }),
    ).toEqual({
      id: user.id,
      email: 'ingeniera@example.com',
      name: 'ingeniera',
      locale: 'es-CO',
    });
  });

  it('returns null for a wrong password, unknown user, disabled user or malformed input', async () => {
    const { db } = testDb();
    const user = await seedUser(db, { password: 'correcta-123' });
    expect(
      await authorizeCredentials(db, { email: user.email, password: 'incorrecta' }),
    ).toBeNull();
    expect(
      await authorizeCredentials(db, { email: 'nadie@example.com', password: 'correcta-123' }),
    ).toBeNull();
    expect(await authorizeCredentials(db, { email: 'not-an-email', password: 'x' })).toBeNull();
    expect(await authorizeCredentials(db, null)).toBeNull();
    await db.control
      .update(controlTables.users)
      .set({ disabledAt: new Date() })
      .where(eq(controlTables.users.id, user.id));
    expect(
      await authorizeCredentials(db, { email: user.email, password: 'correcta-123' }),
    ).toBeNull();
  });
});
