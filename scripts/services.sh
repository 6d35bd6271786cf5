#!/usr/bin/env bash
# Starts the local services the product and its tests need, if they are not answering:
# PostgreSQL (5432), Redis (6379) and Mosquitto (1883), with the commands this machine
# kind uses (Debian packages). Safe to run any number of times.
set -euo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do answers "$port" && return 0; sleep 0.5; done
  echo "services: $name did not start on 127.0.0.1:$port" >&2
  return 1
}

if ! answers 5432; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  else
    echo "services: PostgreSQL 15+ must listen on 127.0.0.1:5432 (apt-get install postgresql)" >&2
    exit 1
  fi
  wait_for 5432 PostgreSQL
fi

if ! answers 6379; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "services: starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/anh.log
  else
    echo "services: Redis 7 must listen on 127.0.0.1:6379 (apt-get install redis-server)" >&2
    exit 1
  fi
  wait_for 6379 Redis
fi

if ! answers 1883; then
  if command -v mosquitto >/dev/null 2>&1; then
    echo "services: starting Mosquitto"
    mosquitto -d -c /etc/mosquitto/mosquitto.conf
    wait_for 1883 Mosquitto
  else
    # Nothing uses MQTT before the connector issue; say so rather than fail.
    echo "services: Mosquitto not installed (needed from the connector work on: apt-get install mosquitto)" >&2
  fi
fi
