#!/usr/bin/env bash
# Creates the first node of an HA home: a new PostgreSQL cluster, configured to stream
# its WAL to standbys, started on 127.0.0.1:<port>.
#
#   scripts/ha/init-primary.sh --home /var/lib/anh-ha --name a --port 55432 \
#     --superuser-password-file /root/pg-superuser.pw
#
# The superuser password (read from the file, which you delete afterwards) is what the
# product's DATABASE_URL uses over TCP. A replication role `replicator` is created with a
# random password kept only in <home>/replication.pgpass (libpq passfile, 0600, owned by
# the cluster's OS user: the form PostgreSQL reads it in).
source "$(dirname "$0")/lib.sh"

HA_HOME="" NAME="" PORT="" PWFILE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --home) HA_HOME=$2; shift 2 ;;
    --name) NAME=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --superuser-password-file) PWFILE=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[ -n "$HA_HOME" ] && [ -n "$NAME" ] && [ -n "$PORT" ] && [ -n "$PWFILE" ] ||
  die "usage: init-primary.sh --home DIR --name NODE --port PORT --superuser-password-file FILE"
check_name "$NAME"
[[ "$PORT" =~ ^[0-9]+$ ]] || die "--port must be a number"
[ -r "$PWFILE" ] || die "cannot read $PWFILE"

mkdir -p "$HA_HOME"
chown "$PG_OS_USER": "$HA_HOME"
chmod 700 "$HA_HOME"
as_pg touch "$HA_HOME/.anh-ha"
as_pg mkdir -p -m 700 "$HA_HOME/run"
DATA=$(node_dir "$NAME")
[ ! -e "$DATA" ] || die "$DATA already exists"
echo "$PORT" | as_pg tee "$HA_HOME/$NAME.port" >/dev/null

# initdb reads the password file as the cluster's OS user: hand it a private copy.
PWCOPY=$(as_pg mktemp "$HA_HOME/.pw.XXXXXX")
trap 'rm -f "$PWCOPY"' EXIT
as_pg tee "$PWCOPY" <"$PWFILE" >/dev/null

# Data checksums: corruption is detected, and pg_rewind (failback) can work.
as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres --pwfile="$PWCOPY" --data-checksums $NO_SYNC_FLAG \
  -E UTF8 --locale=C.UTF-8 --auth-local=peer --auth-host=scram-sha-256 >/dev/null
rm -f "$PWCOPY"

as_pg tee -a "$DATA/postgresql.conf" >/dev/null <<'CONF'

# --- ANH Smart Reporter: streaming replication (scripts/ha/init-primary.sh) ---
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
# A slot per standby keeps the WAL it still needs; the cap stops a dead standby from
# filling the disk (it then needs a fresh base backup).
max_slot_wal_keep_size = '2GB'
wal_keep_size = '256MB'
hot_standby = on
wal_log_hints = on
# Async by default: a commit returns once it is durable here. add-standby.sh --sync names
# a synchronous standby (ALTER SYSTEM), and then a commit also waits for its flush there.
synchronous_commit = on
password_encryption = 'scram-sha-256'
shared_buffers = '128MB'
CONF

# Who may connect: the OS user by its socket, the replication role and every other role
# (the platform, the tenant roles) by password over TCP, from this host only.
as_pg tee "$DATA/pg_hba.conf" >/dev/null <<'HBA'
local   all           postgres                  peer
local   replication   postgres                  peer
host    replication   replicator  127.0.0.1/32  scram-sha-256
host    all           all         127.0.0.1/32  scram-sha-256
HBA

start_node "$NAME"

# The replication password goes to psql on stdin, never on a command line (ps shows those).
REPL_PASSWORD=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$HA_HOME/run" -p "$PORT" -U postgres -d postgres >/dev/null <<SQL
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '$REPL_PASSWORD';
SQL
( umask 077; echo "127.0.0.1:*:replication:replicator:$REPL_PASSWORD" | as_pg tee "$HA_HOME/replication.pgpass" >/dev/null )
as_pg chmod 600 "$HA_HOME/replication.pgpass"
unset REPL_PASSWORD

say "primary $NAME started on 127.0.0.1:$PORT ($DATA)"
