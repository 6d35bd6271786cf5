#!/usr/bin/env bash
# Stops every node of an HA home (immediately) and deletes the home. For tests and
# throwaway set-ups only: the data is gone.
#
#   scripts/ha/destroy.sh --home /tmp/anh-ha-XXXX
source "$(dirname "$0")/lib.sh"

HA_HOME=""
while [ $# -gt 0 ]; do
  case "$1" in
    --home) HA_HOME=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
[ -d "$HA_HOME" ] || exit 0
check_home
for portfile in "$HA_HOME"/*.port; do
  [ -e "$portfile" ] || continue
  name=$(basename "$portfile" .port)
  [ -d "$HA_HOME/$name" ] || continue
  stop_node "$name" immediate || true
done
rm -rf -- "$HA_HOME"
