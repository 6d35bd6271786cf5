import { getServerSession } from 'next-auth';
import { headers } from 'next/headers';
import { authOptions, sessionUserId } from '../auth';
import { clientAddressOf, requestContext } from './context';
import { createCaller } from './root';

/** tRPC caller for server components: same procedures, same checks, no HTTP hop. */
export async function serverCaller() {
  const session = await getServerSession(authOptions());
  const userId = sessionUserId(session);
  const address = clientAddressOf((await headers()).get('x-forwarded-for'));
  return { userId, caller: createCaller(requestContext(userId, address)) };
}
