#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on 127.0.0.1: starts them where installed and down,
# installs Debian's packages where missing (as root). Used by `make test` and `make bench`.
set -euo pipefail

apt_install() {
  if [[ $(id -u) -ne 0 ]]; then echo "missing $*; install it (needs root)" >&2; exit 1; fi
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
if ! pg_up; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  if [[ -z $(ls /etc/postgresql 2>/dev/null) ]]; then apt_install postgresql; fi
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
  for _ in $(seq 30); do pg_up && break; sleep 1; done
  pg_up || { echo "PostgreSQL did not start" >&2; exit 1; }
fi
# Tests connect as postgres over TCP; make sure that works without a password.
if ! psql -h 127.0.0.1 -U postgres -c 'select 1' -qtA >/dev/null 2>&1; then
  hba=$(ls /etc/postgresql/*/main/pg_hba.conf | tail -n1)
  sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main reload
fi

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
if ! redis_up; then
  command -v redis-server >/dev/null || apt_install redis-server
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 30); do redis_up && break; sleep 1; done
  redis_up || { echo "Redis did not start" >&2; exit 1; }
fi
echo "PostgreSQL and Redis are up."
