/**
 * Per-connector request budget: a token bucket that refills continuously, `perMinute`
 * tokens a minute, holding at most a minute's worth. In this process's memory: with
 * several web servers each enforces its own share (noted in docs/ARCHITECTURE.md).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Takes a token; returns 0 when allowed, else the milliseconds until one is free. */
  take(key: string, perMinute: number, nowMs: number): number {
    const bucket = this.buckets.get(key) ?? { tokens: perMinute, at: nowMs };
    // A clock that steps back (NTP) refills nothing, rather than draining the bucket.
    const elapsed = Math.max(0, nowMs - bucket.at);
    const refilled = Math.min(perMinute, bucket.tokens + (elapsed * perMinute) / 60_000);
    if (refilled < 1) {
      this.buckets.set(key, { tokens: refilled, at: nowMs });
      return Math.ceil(((1 - refilled) * 60_000) / perMinute);
    }
    this.buckets.set(key, { tokens: refilled - 1, at: nowMs });
    return 0;
  }
}
