#!/usr/bin/env bash
# A throwaway PostgreSQL cluster from the Debian packages, for the database tests.
#   .ci/postgres.sh start DIR [PORT]   -> prints the SQLAlchemy URL of a running server
#   .ci/postgres.sh stop DIR
# Unix socket only (no TCP port to clash with), trust authentication, data under DIR.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?DIR}; port=${3:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "no PostgreSQL binaries under /usr/lib/postgresql (apt-get install postgresql)" >&2
  exit 3
fi
as_owner() {
  # initdb refuses to run as root: run the server as the postgres user when we are root.
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$1"; else sh -c "$1"; fi
}
case "$cmd" in
  start)
    mkdir -p "$dir"; chmod 755 "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    as_owner "'$bin/initdb' -D '$dir/data' -U postgres -A trust -E UTF8 --locale=C.UTF-8 >'$dir/initdb.log' 2>&1" \
      || { cat "$dir/initdb.log" >&2; exit 4; }
    as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 -o \"-p $port -k '$dir' -c listen_addresses='' -c fsync=off\" start >/dev/null" \
      || { cat "$dir/server.log" >&2; exit 5; }
    echo "postgresql+psycopg://postgres@/postgres?host=$dir&port=$port"
    ;;
  stop)
    as_owner "'$bin/pg_ctl' -D '$dir/data' -m immediate -w stop >/dev/null 2>&1" || true
    ;;
esac
