/**
 * A two-second memory of the checks every signed-in request repeats: "is this session
 * still valid" (users.disabled_at, sessions_valid_after) and "is this user a member of
 * this company, with which role". At hundreds of requests a second these two lookups are
 * a large share of a request's cost, and their answers change rarely.
 *
 * The price: a revocation (sign out everywhere, a password reset, a disabled user, a role
 * changed or removed) made through ANOTHER web process takes effect there up to
 * ACCESS_CACHE_MS later. In this process every tRPC mutation forgets everything at once
 * (see init.ts), so a change is never stale where it was made. Negative answers are not
 * kept: a new member or a new company is seen at once.
 */
export const ACCESS_CACHE_MS = 2_000;
const MAX_ENTRIES = 10_000;

export class ShortMemo<T> {
  private readonly entries = new Map<string, { value: T; at: number }>();
  private readonly loading = new Map<string, Promise<T>>();
  /** Bumped by clear(): a lookup that started before it must not store its (older) answer. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The remembered answer, or a fresh one; `keep(value)` says whether to remember it.
   * One lookup per key at a time: everyone asking meanwhile shares it. Past half its time
   * an answer is still served but looked up again in the background, so under steady
   * traffic no request waits for the database, and none is served an answer older than
   * `ttlMs` (its age counts from when its lookup started).
   */
  async get(
    key: string,
    load: () => Promise<T>,
    keep: (value: T) => boolean = () => true,
  ): Promise<T> {
    const hit = this.entries.get(key);
    const age = hit ? this.now() - hit.at : Infinity;
    if (hit && age < this.ttlMs) {
      if (age >= this.ttlMs / 2 && !this.loading.has(key))
        // A failed refresh leaves the answer to expire on time; the next request retries.
        this.lookUp(key, load, keep).catch(() => undefined);
      return hit.value;
    }
    return this.loading.get(key) ?? this.lookUp(key, load, keep);
  }

  private lookUp(key: string, load: () => Promise<T>, keep: (value: T) => boolean): Promise<T> {
    const generation = this.generation;
    const started = this.now();
    const promise = load()
      .then((value) => {
        if (generation === this.generation) {
          if (!keep(value)) this.entries.delete(key);
          else {
            if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
            this.entries.set(key, { value, at: started });
          }
        }
        return value;
      })
      .finally(() => {
        if (this.loading.get(key) === promise) this.loading.delete(key);
      });
    this.loading.set(key, promise);
    return promise;
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.loading.clear();
  }
}

const globalForAccess = globalThis as unknown as {
  anhSessionChecks?: ShortMemo<boolean>;
  anhMemberships?: ShortMemo<unknown>;
};

export function sessionChecks(): ShortMemo<boolean> {
  return (globalForAccess.anhSessionChecks ??= new ShortMemo<boolean>(ACCESS_CACHE_MS));
}

export function membershipChecks<T>(): ShortMemo<T> {
  return (globalForAccess.anhMemberships ??= new ShortMemo<unknown>(
    ACCESS_CACHE_MS,
  )) as ShortMemo<T>;
}

/** After any change made here: the next request asks the database again. */
export function forgetAccessChecks(): void {
  globalForAccess.anhSessionChecks?.clear();
  globalForAccess.anhMemberships?.clear();
}
