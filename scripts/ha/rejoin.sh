#!/usr/bin/env bash
# Failback, first half: brings a former primary back as a standby of the current one.
#
#   scripts/ha/rejoin.sh --home /var/lib/anh-ha --name a --primary b [--sync]
#
# The old primary may hold writes the new one never received (with asynchronous
# replication, the last moments before it died). pg_rewind winds its data directory back
# to where the two timelines split and copies what changed since from the new primary;
# those unreplicated writes are discarded (they were the failover's data loss). Then it
# follows the new primary through its own slot. --sync makes it the synchronous standby.
# To make it the primary again (failback, second half), run failover.sh --standby a
# --old-primary b: a planned switchover, which stops b cleanly and loses nothing.
source "$(dirname "$0")/lib.sh"

HA_HOME="" NAME="" PRIMARY="" SYNC=0
while [ $# -gt 0 ]; do
  case "$1" in
    --home) HA_HOME=$2; shift 2 ;;
    --name) NAME=$2; shift 2 ;;
    --primary) PRIMARY=$2; shift 2 ;;
    --sync) SYNC=1; shift ;;
    *) die "unknown option $1" ;;
  esac
done
[ -n "$NAME" ] && [ -n "$PRIMARY" ] || die "usage: rejoin.sh --home DIR --name NODE --primary NODE [--sync]"
check_home
check_name "$NAME"
check_name "$PRIMARY"
node_running "$PRIMARY" || die "primary $PRIMARY is not running"
[ "$(psql_node "$PRIMARY" -c 'SELECT pg_is_in_recovery()')" = "f" ] || die "$PRIMARY is not a primary"

say "1/4 stop $NAME"
stop_node "$NAME" fast

say "2/4 rewind $NAME to $PRIMARY's timeline"
ensure_slot "$PRIMARY" "$NAME"
# pg_rewind reads the source's timeline from its last checkpoint: a node promoted moments
# ago may not have written one on its new timeline yet ("no rewind required", wrongly).
psql_node "$PRIMARY" -c "CHECKPOINT" >/dev/null
# pg_rewind first runs crash recovery on a node that died without a clean shutdown.
as_pg "$PG_BIN/pg_rewind" $NO_SYNC_FLAG --target-pgdata "$(node_dir "$NAME")" \
  --source-server "host=$HA_HOME/run port=$(node_port "$PRIMARY") user=postgres dbname=postgres" >&2

say "3/4 start $NAME as a standby of $PRIMARY"
make_standby_of "$NAME" "$PRIMARY"
start_node "$NAME"
wait_for 60 "$NAME to stream from $PRIMARY" streaming_from "$PRIMARY" "$NAME"
# Slots copied from its days as a primary would hold WAL on it for nobody.
psql_node "$NAME" -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active" >/dev/null

say "4/4 replication mode"
if [ "$SYNC" -eq 1 ]; then set_synchronous "$PRIMARY" "$NAME"; fi
say "$NAME streams from $PRIMARY ($([ "$SYNC" -eq 1 ] && echo synchronous || echo asynchronous))"
