#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A throwaway PostgreSQL 15 server for the test suite, reachable only through a unix socket.
#
#   pg_server.sh start DIR [PORT]      initdb into DIR/data, start it, socket in DIR
#   pg_server.sh createdb DIR NAME [PORT]   (re)create an empty database NAME
#   pg_server.sh stop DIR              stop the server and remove DIR
#
# Clients connect with "host=DIR port=PORT user=postgres dbname=NAME" (trust authentication:
# only processes that can reach DIR, which only root and the server's user can, connect).
# initdb refuses to run as root, so under root the server runs as the `postgres` OS user
# (created by Debian's postgresql package). A missing PostgreSQL is an error, never a skip.
set -euo pipefail

PGBIN=${CLAVE_PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:?usage: pg_server.sh start|createdb|stop DIR ...}
dir=${2:?usage: pg_server.sh start|createdb|stop DIR ...}

die() {
    echo "pg_server: $*" >&2
    exit 1
}

for tool in initdb pg_ctl postgres; do
    [[ -x $PGBIN/$tool ]] || die "$PGBIN/$tool not found: install PostgreSQL 15 (scripts/deps.sh)"
done
[[ -x /usr/bin/psql ]] || die "psql not found: install postgresql-client (scripts/deps.sh)"

as_pg() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

stop_server() {
    if [[ -f $dir/data/postmaster.pid ]]; then
        as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null ||
            die "pg_ctl stop failed"
    fi
}

case $cmd in
start)
    port=${3:-54329}
    stop_server # a server left behind by an interrupted run
    rm -rf "$dir"
    mkdir -p "$dir"
    chmod 700 "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "no 'postgres' OS user: install postgresql"
        chown postgres: "$dir"
    fi
    as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale -N \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    # fsync=off: a throwaway server whose durability no test relies on (the crash test is
    # SQLite's); it keeps the many small commits of the concurrency tests cheap.
    as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -c listen_addresses='' -p $port -c fsync=off -c max_connections=50" start \
        >/dev/null || { cat "$dir/server.log" >&2; die "pg_ctl start failed"; }
    psql -X -q -h "$dir" -p "$port" -U postgres -d postgres -c "SELECT 1" >/dev/null ||
        die "server started but does not answer"
    echo "pg_server: running in $dir (port $port)"
    ;;
createdb)
    name=${3:?usage: pg_server.sh createdb DIR NAME [PORT]}
    port=${4:-54329}
    [[ $name =~ ^[a-z0-9_]{1,63}$ ]] || die "bad database name '$name'"
    psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres \
        -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" ||
        die "cannot create database $name (is the server running? pg_server.sh start $dir)"
    ;;
stop)
    stop_server
    rm -rf "$dir"
    ;;
*)
    die "unknown command '$cmd'"
    ;;
esac
