import { expect, it } from 'vitest';
import { failoverProblems, runFailoverTest } from '../../../scripts/ha/failover-test';

/**
 * The failover drill (scripts/ha/failover-test.ts): two throwaway PostgreSQL clusters on
 * their own ports, the product's migrations and ingest path on them, the primary killed
 * mid-write, the standby promoted by scripts/ha/failover.sh, the app pointed at it; then
 * failback (rejoin.sh) with synchronous replication and the same again. Prints the
 * measured RPO and RTO; about a minute on this machine, so it runs with `npm test`.
 */
it('fails over with RPO and RTO within bounds, async and sync', { timeout: 240_000 }, async () => {
  const report = await runFailoverTest();
  console.log(`failover drill: ${JSON.stringify(report)}`);
  expect(failoverProblems(report)).toEqual([]);
  const [asyncPhase, syncPhase] = report.phases;
  expect(asyncPhase).toMatchObject({ mode: 'async', killed: 'a', promoted: 'b', timeline: 2 });
  expect(syncPhase).toMatchObject({ mode: 'sync', killed: 'b', promoted: 'a', timeline: 3 });
  // Sync: the primary saw its standby as synchronous, and nothing acknowledged was lost.
  expect(syncPhase!.replicationBeforeKill.syncState).toBe('sync');
  expect(syncPhase!.lostWrites).toBe(0);
  expect(syncPhase!.foundOnNewPrimary).toBe(syncPhase!.acknowledgedBeforeKill);
  for (const phase of report.phases) {
    expect(phase.acknowledgedBeforeKill).toBeGreaterThan(0);
    expect(phase.acknowledgedAfterFailover).toBeGreaterThan(0);
    // The seed's target is one hour; on one host it is seconds.
    expect(phase.rtoSeconds).toBeLessThan(60);
  }
  expect(report.auditChainOk).toBe(true);
});
