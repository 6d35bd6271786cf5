import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '~/server/trpc/root';

/**
 * Manual readings entered on a phone wait here (IndexedDB) until they reach the server.
 * Shared by the page and the service worker (bundled into it): the page enqueues and, where
 * the browser has no Background Sync (iOS), replays on `online` and at start; the service
 * worker replays on its `sync` event. Each reading carries an idempotency key made when it
 * was entered, so however many times it is sent, the server stores it once
 * (`readings.addManual`). Nothing here imports React or Next.
 */

export type ManualInput = Omit<inferRouterInputs<AppRouter>['readings']['addManual'], 'tenantSlug'>;
export type ManualOutcome = inferRouterOutputs<AppRouter>['readings']['addManual'];

/** Background Sync tag the page registers and the service worker answers. */
export const SYNC_TAG = 'anh-manual-readings';
/** Tells open pages that the queue changed (the service worker sent something). */
export const QUEUE_CHANNEL = 'anh-field-queue';

const DB_NAME = 'anh-field';
const STORE = 'readings';
const LOCK = 'anh-manual-readings-replay';

export type QueueState = 'pending' | 'sent' | 'conflict' | 'rejected';

export interface QueuedReading {
  /** The idempotency key (a UUID made on the phone when the reading was entered). */
  key: string;
  /** Who entered it: replayed only while this person is signed in. */
  userId: string;
  tenantSlug: string;
  enteredAt: number;
  input: ManualInput & { idempotencyKey: string };
  /** What the phone shows for it (point, variable, unit), as it was when entered. */
  label: { point: string; variable: string; unit: string };
  state: QueueState;
  attempts: number;
  lastAttemptAt?: number;
  /** Why the server refused it (`español / English`), for `rejected`. */
  error?: string;
  outcome?: ManualOutcome;
  sentAt?: number;
  /** Which path delivered it: the service worker's Background Sync or the page. */
  sentBy?: 'sync' | 'page';
}

/** A UUID, also where crypto.randomUUID is missing (it needs a secure context). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

let opened: Promise<IDBDatabase> | null = null;
function database(): Promise<IDBDatabase> {
  opened ??= new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(STORE, { keyPath: 'key' });
    };
    req.onsuccess = () => {
      // Another tab or the service worker upgrading the schema: let it, reopen next time.
      req.result.onversionchange = () => {
        req.result.close();
        opened = null;
      };
      resolve(req.result);
    };
    req.onerror = () => {
      opened = null;
      reject(req.error ?? new Error('IndexedDB could not be opened'));
    };
  });
  return opened;
}

async function withStore<T>(
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => Promise<T>,
): Promise<T> {
  const db = await database();
  const tx = db.transaction(STORE, mode);
  const done = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
  const [result] = await Promise.all([work(tx.objectStore(STORE)), done]);
  return result;
}

function announce(): void {
  if (typeof BroadcastChannel === 'undefined') return;
  const channel = new BroadcastChannel(QUEUE_CHANNEL);
  channel.postMessage({ type: 'changed' });
  channel.close();
}

export async function enqueueReading(item: QueuedReading): Promise<void> {
  await withStore('readwrite', (store) => request(store.add(item)));
  announce();
}

/** Every reading on this phone, newest first (the page filters by person). */
export async function listReadings(): Promise<QueuedReading[]> {
  const all = await withStore('readonly', (store) => request(store.getAll()));
  return (all as QueuedReading[]).sort((a, b) => b.enteredAt - a.enteredAt);
}

async function getReading(key: string): Promise<QueuedReading | undefined> {
  return (await withStore('readonly', (store) => request(store.get(key)))) as
    QueuedReading | undefined;
}

async function putReading(item: QueuedReading): Promise<void> {
  await withStore('readwrite', (store) => request(store.put(item)));
  announce();
}

/**
 * On sign-out (a shared phone): the history of what was delivered goes; readings not yet
 * delivered, or refused and still to be fixed, stay for the person who entered them and
 * are sent only while that person is signed in.
 */
export async function forgetDelivered(): Promise<void> {
  const all = await listReadings();
  const delivered = all.filter((r) => r.state === 'sent' || r.state === 'conflict');
  if (delivered.length === 0) return;
  await withStore('readwrite', async (store) => {
    await Promise.all(delivered.map((r) => request(store.delete(r.key))));
  });
  announce();
}

/** Delivered readings older than this leave the phone's history. */
const KEEP_DELIVERED_MS = 7 * 24 * 3600_000;

async function pruneDelivered(nowMs: number): Promise<void> {
  const old = (await listReadings()).filter(
    (r) =>
      (r.state === 'sent' || r.state === 'conflict') && nowMs - (r.sentAt ?? 0) > KEEP_DELIVERED_MS,
  );
  if (old.length === 0) return;
  await withStore('readwrite', async (store) => {
    await Promise.all(old.map((r) => request(store.delete(r.key))));
  });
}

let client: ReturnType<typeof createTRPCClient<AppRouter>> | null = null;
/** One call per reading (no batching): each has its own outcome. Same origin, session cookie. */
function send(item: QueuedReading): Promise<ManualOutcome> {
  client ??= createTRPCClient<AppRouter>({
    links: [httpLink({ url: '/api/trpc', transformer: superjson })],
  });
  return client.readings.addManual.mutate({ tenantSlug: item.tenantSlug, ...item.input });
}

/** The person signed in now (next-auth's session), or null; undefined when the server is unreachable. */
async function signedInUser(): Promise<string | null | undefined> {
  try {
    const response = await fetch('/api/auth/session', { credentials: 'same-origin' });
    if (!response.ok) return undefined;
    const session = (await response.json()) as { userId?: unknown } | null;
    return typeof session?.userId === 'string' ? session.userId : null;
  } catch {
    return undefined;
  }
}

/** Refusals that sending again cannot change: the reading is marked `rejected`. */
const FINAL = new Set(['BAD_REQUEST', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'PAYLOAD_TOO_LARGE']);

export interface ReplayResult {
  sent: number;
  /** Still waiting (no network, server unavailable, nobody signed in). */
  pending: number;
  /** Nobody is signed in, or someone else is: sign in to send. */
  needsSignIn: boolean;
  /** The network or the server failed: try again later. */
  unreachable: boolean;
}

async function replayNow(by: 'sync' | 'page', nowMs: () => number): Promise<ReplayResult> {
  const result: ReplayResult = { sent: 0, pending: 0, needsSignIn: false, unreachable: false };
  const waiting = (await listReadings()).filter((r) => r.state === 'pending').reverse();
  if (waiting.length === 0) return result;
  const userId = await signedInUser();
  if (userId === undefined) {
    result.unreachable = true;
    result.pending = waiting.length;
    return result;
  }
  for (const queued of waiting) {
    // Another tab or the service worker may have sent it meanwhile.
    const item = await getReading(queued.key);
    if (!item || item.state !== 'pending') continue;
    if (item.userId !== userId) {
      // Someone else's reading (a shared phone): it waits for its author.
      result.needsSignIn = true;
      result.pending++;
      continue;
    }
    if (result.unreachable) {
      result.pending++;
      continue;
    }
    const attempt = { ...item, attempts: item.attempts + 1, lastAttemptAt: nowMs() };
    try {
      const outcome = await send(item);
      await putReading({
        ...attempt,
        state: outcome.conflicts.length > 0 ? 'conflict' : 'sent',
        outcome,
        sentAt: nowMs(),
        sentBy: by,
        error: undefined,
      });
      result.sent++;
    } catch (error) {
      const code =
        error instanceof TRPCClientError
          ? ((error as TRPCClientError<AppRouter>).data?.code as string | undefined)
          : undefined;
      if (code && FINAL.has(code)) {
        await putReading({ ...attempt, state: 'rejected', error: (error as Error).message });
      } else {
        // No network, a 5xx, a rate limit, or the session ended: keep it, stop for now.
        await putReading(attempt);
        result.pending++;
        if (code === 'UNAUTHORIZED') result.needsSignIn = true;
        else result.unreachable = true;
      }
    }
  }
  await pruneDelivered(nowMs());
  return result;
}

/**
 * Sends every pending reading of the person signed in, oldest first, once at a time per
 * browser (Web Locks, where present: the page and the service worker may both try). A
 * reading that reaches the server is settled by the server's answer; one that does not
 * stays pending. Sending twice is harmless: the server answers a replay without storing.
 */
export function replayPending(
  by: 'sync' | 'page',
  nowMs: () => number = Date.now,
): Promise<ReplayResult> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  // The lock is held until the callback's promise settles; its result is that promise.
  if (locks) return locks.request(LOCK, () => replayNow(by, nowMs)).then((result) => result);
  return replayNow(by, nowMs);
}
