#!/usr/bin/env bash
# Debian packages the tests use as real protocol peers: socat (an RTU serial line as a
# pty pair), python3-pymodbus (a Modbus server not written by us), python3-aiosmtpd (an
# SMTP server that prints what it receives) and chromium (the browser that playwright-core
# drives in the web app's browser tests; Playwright never downloads a browser of its own),
# gcc for the IEC 60870-5-104 test slave, which is built against lib60870 from Debian
# trixie unpacked into a cache folder (apps/connector/test/iec104/setup.sh; the system's
# packages are not changed), and prometheus (with promtool) for the metrics test, which
# starts its own Prometheus on a free 127.0.0.1 port. Installs only what is missing; needs
# root and Debian's package registry.
set -euo pipefail
missing=()
command -v socat >/dev/null 2>&1 || missing+=(socat)
/usr/bin/python3 -c 'import pymodbus' >/dev/null 2>&1 || missing+=(python3-pymodbus)
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Debian's prometheus package starts a system Prometheus on :9090 (and its recommended
# node exporter on :9100) when it is installed. The tests start their own, so: no
# recommends, and a policy-rc.d that forbids starting services during this install (one
# already there, as in containers, is kept); if a system one runs anyway, it is stopped
# and disabled.
if ! [ -x /usr/bin/prometheus ] || ! [ -x /usr/bin/promtool ]; then
  echo "test-deps: installing prometheus"
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    # Removed however the install ends.
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi
bash "$(dirname "$0")/../apps/connector/test/iec104/setup.sh"
