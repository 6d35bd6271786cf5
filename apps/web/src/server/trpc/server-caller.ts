import { getServerSession } from 'next-auth';
import { authOptions, sessionUserId } from '../auth';
import { getDb } from '../db';
import { createCaller } from './root';

/** tRPC caller for server components: same procedures, same checks, no HTTP hop. */
export async function serverCaller() {
  const session = await getServerSession(authOptions());
  const userId = sessionUserId(session);
  return { userId, caller: createCaller({ db: getDb(), userId }) };
}
