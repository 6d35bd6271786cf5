import { recordDashboardCache } from '../metrics';

/**
 * Stale-while-revalidate memo for dashboard reads. A dashboard is read far more often
 * than its data changes (slots close every 10 minutes; late data trickles in), so a
 * result is served from memory while fresh, and for a while after that it is still
 * served at once while one recomputation runs in the background. Only the very first
 * request for a key waits for the database.
 *
 * Keys always start with the tenant id: nothing cached for one tenant can answer another.
 * The cache is per process; several web instances each keep their own. Every lookup is
 * counted (anh_dashboard_cache_requests_total: hit, stale, miss).
 */
export interface SwrOptions {
  freshMs: number;
  /** After this age an entry is not served any more: the caller waits for new data. */
  maxStaleMs: number;
  maxEntries: number;
  now?: () => number;
}

interface Entry<T> {
  value: T;
  at: number;
  refreshing: Promise<T> | null;
}

export class SwrCache {
  private readonly entries = new Map<string, Entry<unknown>>();
  private readonly pending = new Map<string, Promise<unknown>>();
  private readonly now: () => number;

  constructor(private readonly options: SwrOptions) {
    this.now = options.now ?? Date.now;
  }

  async get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(key) as Entry<T> | undefined;
    const age = entry ? this.now() - entry.at : Infinity;
    if (entry && age <= this.options.freshMs) {
      recordDashboardCache(key, 'hit');
      return entry.value;
    }
    if (entry && age <= this.options.maxStaleMs) {
      recordDashboardCache(key, 'stale');
      if (!entry.refreshing) {
        entry.refreshing = this.load(key, compute).catch(() => {
          // Keep serving the stale value; the next request past freshMs tries again.
          entry.refreshing = null;
          return entry.value;
        });
      }
      return entry.value;
    }
    recordDashboardCache(key, 'miss');
    return this.load(key, compute);
  }

  /** One computation per key at a time; everyone asking meanwhile shares it. */
  private load<T>(key: string, compute: () => Promise<T>): Promise<T> {
    const running = this.pending.get(key) as Promise<T> | undefined;
    if (running) return running;
    const started = this.now();
    const promise = compute()
      .then((value) => {
        this.entries.delete(key); // re-insert: Map order is the LRU order
        this.entries.set(key, { value, at: started, refreshing: null });
        while (this.entries.size > this.options.maxEntries) {
          const oldest = this.entries.keys().next().value as string;
          this.entries.delete(oldest);
        }
        return value;
      })
      .finally(() => this.pending.delete(key));
    this.pending.set(key, promise);
    return promise;
  }

  /** Forget a tenant's entries (e.g. after a correction the user expects to see at once). */
  invalidateTenant(tenantId: string): void {
    for (const key of this.entries.keys())
      if (key.startsWith(`${tenantId}|`)) this.entries.delete(key);
  }
}
