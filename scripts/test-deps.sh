#!/usr/bin/env bash
# Debian packages the tests use as real protocol peers: socat (an RTU serial line as a
# pty pair), python3-pymodbus (a Modbus server not written by us), python3-aiosmtpd (an
# SMTP server that prints what it receives) and chromium (the browser that playwright-core
# drives in the web app's browser tests; Playwright never downloads a browser of its own),
# gcc for the IEC 60870-5-104 test slave, which is built against lib60870 from Debian
# trixie unpacked into a cache folder (apps/connector/test/iec104/setup.sh; the system's
# packages are not changed). Installs only what is missing; needs root and Debian's
# package registry.
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
bash "$(dirname "$0")/../apps/connector/test/iec104/setup.sh"
