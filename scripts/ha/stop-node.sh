#!/usr/bin/env bash
# Stops one node. `--mode immediate` is a crash (no shutdown checkpoint, no final WAL sent
# to standbys): what the failover test uses to kill the primary.
#
#   scripts/ha/stop-node.sh --home /var/lib/anh-ha --name a [--mode fast|immediate]
source "$(dirname "$0")/lib.sh"

HA_HOME="" NAME="" MODE=fast
while [ $# -gt 0 ]; do
  case "$1" in
    --home) HA_HOME=$2; shift 2 ;;
    --name) NAME=$2; shift 2 ;;
    --mode) MODE=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[ -n "$NAME" ] || die "usage: stop-node.sh --home DIR --name NODE [--mode fast|immediate]"
check_home
check_name "$NAME"
[[ "$MODE" =~ ^(smart|fast|immediate)$ ]] || die "--mode is smart, fast or immediate"
stop_node "$NAME" "$MODE"
