#!/usr/bin/env bash
# Failover: makes a standby the primary. For operators; the steps are printed as they run.
#
#   scripts/ha/failover.sh --home /var/lib/anh-ha --standby b [--old-primary a]
#
# 1. Fence the old primary. With --old-primary, a node that is still running is stopped
#    (`-m fast`: a clean shutdown first sends every WAL record to the standbys, so a
#    planned switchover loses nothing). A primary that died is already fenced; on another
#    host make sure it cannot come back as a primary (power it off, or remove its
#    address from the load balancer) before step 3: two primaries means split brain.
# 2. Show how far the standby got (last WAL received and replayed).
# 3. Promote it (pg_promote(): it replays what it received, leaves recovery and starts a
#    new timeline) and wait until it accepts writes.
# 4. Make it a lone primary: no synchronous standby to wait for (it would block commits),
#    and prove it takes a write.
# 5. Print where the application must now point (DATABASE_URL host and port) as JSON on
#    stdout. Then restart or reconfigure web and worker with that DATABASE_URL, and later
#    bring the old primary back as a standby with rejoin.sh (failback).
source "$(dirname "$0")/lib.sh"

HA_HOME="" STANDBY="" OLD=""
while [ $# -gt 0 ]; do
  case "$1" in
    --home) HA_HOME=$2; shift 2 ;;
    --standby) STANDBY=$2; shift 2 ;;
    --old-primary) OLD=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[ -n "$STANDBY" ] || die "usage: failover.sh --home DIR --standby NODE [--old-primary NODE]"
check_home
check_name "$STANDBY"
started=$(date +%s%3N)

say "1/5 fence the old primary"
if [ -n "$OLD" ]; then
  check_name "$OLD"
  if node_running "$OLD"; then
    say "    $OLD is running: stopping it cleanly (switchover)"
    stop_node "$OLD" fast
  else
    say "    $OLD is down"
  fi
else
  say "    no --old-primary given: make sure the old primary is down for good"
fi

say "2/5 state of $STANDBY before promotion"
node_running "$STANDBY" || die "standby $STANDBY is not running"
before=$(psql_node "$STANDBY" -c "SELECT CASE WHEN pg_is_in_recovery() THEN json_build_object(
  'receivedLsn', pg_last_wal_receive_lsn()::text,
  'replayedLsn', pg_last_wal_replay_lsn()::text,
  'lastReplayedCommit', pg_last_xact_replay_timestamp()) END")
[ -n "$before" ] || die "$STANDBY is not a standby"
say "    $before"

# Steps 3 to 5 in one session: every psql start costs time the application is down.
say "3/5 promote $STANDBY (pg_promote waits until it has left recovery)"
say "4/5 $STANDBY runs alone: no synchronous standby; a write proves it is the primary"
promote_started=$(date +%s%3N)
result=$(psql_node "$STANDBY" \
  -c "SELECT pg_promote(wait => true, wait_seconds => 60)" \
  -c "ALTER SYSTEM RESET synchronous_standby_names" \
  -c "SELECT pg_reload_conf()" \
  -c "SELECT txid_current()" \
  -c "SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int")
promoted=$(date +%s%3N)
[ "$(echo "$result" | head -n 1)" = "t" ] || die "$STANDBY did not finish its promotion within 60 s"
timeline=$(echo "$result" | tail -n 1)

port=$(node_port "$STANDBY")
say "5/5 point DATABASE_URL at 127.0.0.1:$port and restart web and worker; then rejoin.sh"
echo "{\"primary\":\"$STANDBY\",\"host\":\"127.0.0.1\",\"port\":$port,\"before\":$before,\"promoteMs\":$((promoted - promote_started)),\"totalMs\":$((promoted - started)),\"timeline\":$timeline}"
