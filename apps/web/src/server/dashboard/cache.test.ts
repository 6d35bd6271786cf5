import { describe, expect, it } from 'vitest';
import { SwrCache } from './cache';

function setup(maxEntries = 10) {
  let now = 0;
  const cache = new SwrCache({ freshMs: 1000, maxStaleMs: 10_000, maxEntries, now: () => now });
  let computations = 0;
  const compute = (value: string) => async () => {
    computations++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return value;
  };
  return {
    cache,
    compute,
    computations: () => computations,
    advance: (ms: number) => (now += ms),
  };
}

describe('stale-while-revalidate cache', () => {
  it('serves a fresh value without computing again', async () => {
    const s = setup();
    expect(await s.cache.get('t1|a', s.compute('v1'))).toBe('v1');
    s.advance(500);
    expect(await s.cache.get('t1|a', s.compute('v2'))).toBe('v1');
    expect(s.computations()).toBe(1);
  });

  it('serves a stale value at once and refreshes it in the background, once', async () => {
    const s = setup();
    await s.cache.get('t1|a', s.compute('v1'));
    s.advance(2000);
    const [a, b] = await Promise.all([
      s.cache.get('t1|a', s.compute('v2')),
      s.cache.get('t1|a', s.compute('v3')),
    ]);
    expect([a, b]).toEqual(['v1', 'v1']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await s.cache.get('t1|a', s.compute('v4'))).toBe('v2');
    expect(s.computations()).toBe(2);
  });

  it('waits for new data once the value is too old, and shares one computation', async () => {
    const s = setup();
    await s.cache.get('t1|a', s.compute('v1'));
    s.advance(20_000);
    const [a, b] = await Promise.all([
      s.cache.get('t1|a', s.compute('v2')),
      s.cache.get('t1|a', s.compute('v3')),
    ]);
    expect([a, b]).toEqual(['v2', 'v2']);
    expect(s.computations()).toBe(2);
  });

  it('keeps serving the stale value when a refresh fails', async () => {
    const s = setup();
    await s.cache.get('t1|a', s.compute('v1'));
    s.advance(2000);
    expect(await s.cache.get('t1|a', () => Promise.reject(new Error('db down')))).toBe('v1');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await s.cache.get('t1|a', s.compute('v2'))).toBe('v1'); // retried in the background
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await s.cache.get('t1|a', s.compute('v3'))).toBe('v2');
  });

  it("forgets one tenant's entries only, and the oldest entries past the limit", async () => {
    const s = setup(2);
    await s.cache.get('t1|a', s.compute('t1'));
    await s.cache.get('t2|a', s.compute('t2'));
    s.cache.invalidateTenant('t1');
    expect(await s.cache.get('t1|a', s.compute('t1-new'))).toBe('t1-new');
    expect(await s.cache.get('t2|a', s.compute('t2-new'))).toBe('t2');
    await s.cache.get('t3|a', s.compute('t3')); // evicts the least recently stored (t2)
    expect(await s.cache.get('t2|a', s.compute('t2-again'))).toBe('t2-again');
  });
});
