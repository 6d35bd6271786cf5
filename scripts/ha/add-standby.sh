#!/usr/bin/env bash
# Adds a streaming standby of a running primary in the same HA home: a replication slot
# on the primary, a base backup, standby.signal + primary_conninfo, started, streaming.
#
#   scripts/ha/add-standby.sh --home /var/lib/anh-ha --primary a --name b --port 55433 [--sync]
#
# --sync makes it the primary's synchronous standby (synchronous_standby_names =
# 'FIRST 1 ("b")'): every commit waits until the standby has flushed it, so a failover
# loses no acknowledged write, and the primary stops accepting commits while that
# standby is away (see docs/OPERATIONS.md for the trade-off).
source "$(dirname "$0")/lib.sh"

HA_HOME="" PRIMARY="" NAME="" PORT="" SYNC=0
while [ $# -gt 0 ]; do
  case "$1" in
    --home) HA_HOME=$2; shift 2 ;;
    --primary) PRIMARY=$2; shift 2 ;;
    --name) NAME=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --sync) SYNC=1; shift ;;
    *) die "unknown option $1" ;;
  esac
done
[ -n "$PRIMARY" ] && [ -n "$NAME" ] && [ -n "$PORT" ] ||
  die "usage: add-standby.sh --home DIR --primary NODE --name NODE --port PORT [--sync]"
check_home
check_name "$PRIMARY"
check_name "$NAME"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "--port must be a number"
DATA=$(node_dir "$NAME")
[ ! -e "$DATA" ] || die "$DATA already exists"
node_running "$PRIMARY" || die "primary $PRIMARY is not running"
echo "$PORT" | as_pg tee "$HA_HOME/$NAME.port" >/dev/null

ensure_slot "$PRIMARY" "$NAME"
as_pg env PGPASSFILE="$HA_HOME/replication.pgpass" "$PG_BIN/pg_basebackup" \
  -D "$DATA" -h 127.0.0.1 -p "$(node_port "$PRIMARY")" -U replicator --no-password \
  -X stream -S "$NAME" -c fast $NO_SYNC_FLAG
as_pg chmod 700 "$DATA"
make_standby_of "$NAME" "$PRIMARY"
start_node "$NAME"
wait_for 30 "$NAME to stream from $PRIMARY" streaming_from "$PRIMARY" "$NAME"
if [ "$SYNC" -eq 1 ]; then set_synchronous "$PRIMARY" "$NAME"; fi

say "standby $NAME streams from $PRIMARY on 127.0.0.1:$PORT ($([ "$SYNC" -eq 1 ] && echo synchronous || echo asynchronous))"
