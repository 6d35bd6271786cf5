# Shared by the scripts in scripts/ha/ (sourced, not run). See docs/OPERATIONS.md,
# "High availability".
#
# An HA "home" is one directory holding every node of a replicated pair on this host:
#   <home>/<node>/          the node's data directory
#   <home>/<node>.port      the TCP port it listens on (127.0.0.1 only)
#   <home>/<node>.log       its server log
#   <home>/run/             the Unix sockets (mode 0700: only the cluster's OS user gets in,
#                           by peer authentication; no password is needed for admin work)
#   <home>/replication.pgpass  the replication role's password (libpq passfile, 0600)
#   <home>/.anh-ha          marker: destroy.sh refuses a directory without it
# Node names are short lowercase words; each node's replication slot and
# application_name are its name.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_OS_USER="${PG_OS_USER:-postgres}"
# HA_NO_SYNC=1 (tests only): initdb, pg_basebackup and pg_rewind do not fsync the files
# they write, which saves seconds per step on slow disks. Safe against a PostgreSQL crash
# (what the failover test causes), not against the machine losing power. The running
# servers keep fsync on either way, so commit latencies stay real.
NO_SYNC_FLAG=""
if [ "${HA_NO_SYNC:-0}" = "1" ]; then NO_SYNC_FLAG="--no-sync"; fi

die() {
  echo "ha: $*" >&2
  exit 1
}
say() { echo "ha: $*" >&2; }

# PostgreSQL refuses to run as root: its tools run as the cluster's OS user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$PG_OS_USER" -- "$@"
  else
    "$@"
  fi
}

check_name() {
  [[ "$1" =~ ^[a-z][a-z0-9_]{0,30}$ ]] || die "node name '$1' must be a short lowercase word"
}

check_home() {
  [ -n "${HA_HOME:-}" ] || die "--home is required"
  [ -f "$HA_HOME/.anh-ha" ] || die "$HA_HOME is not an HA home (no .anh-ha marker)"
}

node_dir() { echo "$HA_HOME/$1"; }
node_port() {
  [ -f "$HA_HOME/$1.port" ] || die "node $1 is unknown in $HA_HOME"
  cat "$HA_HOME/$1.port"
}

node_running() {
  as_pg "$PG_BIN/pg_ctl" -D "$(node_dir "$1")" status >/dev/null 2>&1
}

# Per-node settings go on the command line, not in postgresql.conf: pg_basebackup and
# pg_rewind copy the configuration files from the other node, and the port must not follow.
start_node() {
  local name=$1
  as_pg "$PG_BIN/pg_ctl" -D "$(node_dir "$name")" -l "$HA_HOME/$name.log" -w -t 60 \
    -o "-p $(node_port "$name") -k $HA_HOME/run" start >/dev/null
}

stop_node() {
  local name=$1 mode=${2:-fast}
  if node_running "$name"; then
    as_pg "$PG_BIN/pg_ctl" -D "$(node_dir "$name")" -m "$mode" -w -t 60 stop >/dev/null
  fi
}

# psql on a node as the superuser, over its Unix socket (peer authentication).
psql_node() {
  local name=$1
  shift
  as_pg "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$HA_HOME/run" \
    -p "$(node_port "$name")" -U postgres -d postgres "$@"
}

wait_for() {
  # wait_for <seconds> <description> <command...>: polls every 100 ms.
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || die "timed out after ${seconds}s waiting for $what"
    sleep 0.1
  done
}

# Points a stopped node at a primary: standby.signal plus primary_conninfo and its slot
# in postgresql.auto.conf (replacing whatever an earlier role or a copied file left there).
# A standby never carries synchronous_standby_names: it would apply once it is promoted,
# and a lone primary waiting for a standby that does not exist accepts no write.
make_standby_of() {
  local name=$1 primary=$2
  local dir
  dir=$(node_dir "$name")
  local auto="$dir/postgresql.auto.conf"
  as_pg touch "$auto"
  as_pg sed -i -E '/^(primary_conninfo|primary_slot_name|synchronous_standby_names)[[:space:]]*=/d' "$auto"
  as_pg tee -a "$auto" >/dev/null <<CONF
primary_conninfo = 'host=127.0.0.1 port=$(node_port "$primary") user=replicator passfile=$HA_HOME/replication.pgpass application_name=$name'
primary_slot_name = '$name'
CONF
  as_pg touch "$dir/standby.signal"
}

ensure_slot() {
  local on=$1 slot=$2
  psql_node "$on" -c "SELECT pg_create_physical_replication_slot('$slot')
                       WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '$slot')" >/dev/null
}

streaming_from() {
  local primary=$1 standby=$2
  [ "$(psql_node "$primary" -c "SELECT state FROM pg_stat_replication WHERE application_name = '$standby'")" = "streaming" ]
}

sync_with() {
  local primary=$1 standby=$2
  [ "$(psql_node "$primary" -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = '$standby'")" = "sync" ]
}

set_synchronous() {
  # set_synchronous <primary> <standby|"">: commits on the primary wait for the standby's
  # flush (synchronous_commit = on) when a standby is named; "" makes replication async.
  local primary=$1 standby=$2
  if [ -n "$standby" ]; then
    psql_node "$primary" -c "ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 (\"$standby\")'" -c "SELECT pg_reload_conf()" >/dev/null
    wait_for 30 "$standby to be the synchronous standby of $primary" sync_with "$primary" "$standby"
  else
    psql_node "$primary" -c "ALTER SYSTEM RESET synchronous_standby_names" -c "SELECT pg_reload_conf()" >/dev/null
  fi
}
