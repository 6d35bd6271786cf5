#!/usr/bin/env bash
# One line of JSON per node: running, role, WAL position, and on a primary its standbys
# with their replication state, sync state and lag.
#
#   scripts/ha/status.sh --home /var/lib/anh-ha
source "$(dirname "$0")/lib.sh"

HA_HOME=""
while [ $# -gt 0 ]; do
  case "$1" in
    --home) HA_HOME=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
check_home
for portfile in "$HA_HOME"/*.port; do
  name=$(basename "$portfile" .port)
  if ! node_running "$name"; then
    echo "{\"node\":\"$name\",\"port\":$(node_port "$name"),\"running\":false}"
    continue
  fi
  psql_node "$name" -c "SELECT json_build_object(
    'node', '$name', 'port', $(node_port "$name"), 'running', true,
    'role', CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE 'primary' END,
    'lsn', CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END::text,
    'standbys', (SELECT coalesce(json_agg(json_build_object(
        'name', application_name, 'state', state, 'sync', sync_state,
        'replayLagBytes', pg_wal_lsn_diff(sent_lsn, replay_lsn),
        'replayLag', replay_lag::text) ORDER BY application_name), '[]'::json)
      FROM pg_stat_replication))"
done
