#!/usr/bin/env bash
# Integration tests talk to real PostgreSQL, Redis and NATS (JetStream) servers on loopback.
# This checks each is answering, starts the machine's own copy when it is installed but down,
# and otherwise names what is missing. Point tests elsewhere with QL_TEST_DATABASE_URL,
# QL_TEST_REDIS_URL and QL_TEST_NATS_URL.
set -uo pipefail

up() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_up() {
  for _ in $(seq 1 50); do up "$1" "$2" && return 0; sleep 0.2; done
  return 1
}

check() {
  local name=$1 host=$2 port=$3 start=$4
  if up "$host" "$port"; then echo "ok: $name on $host:$port"; return 0; fi
  echo "$name is not answering on $host:$port; trying to start it"
  if eval "$start" >/dev/null 2>&1 && wait_up "$host" "$port"; then
    echo "ok: $name started on $host:$port"
    return 0
  fi
  echo "error: $name is not running on $host:$port and could not be started (tried: $start)" >&2
  return 1
}

status=0
check PostgreSQL 127.0.0.1 5432 \
  'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' || status=1
check Redis 127.0.0.1 6379 \
  'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log' || status=1
check NATS 127.0.0.1 4222 \
  'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log' || status=1
exit $status
