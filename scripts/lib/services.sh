# Shell helpers to run a private PostgreSQL and slapd in a folder (demo, bench).
# Source this file; every server started here is stopped by its PID.
# shellcheck shell=bash

PG_BIN=/usr/lib/postgresql/15/bin
TOLLGATE_ROOT=${TOLLGATE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# Runs a command as the unprivileged postgres user when we are root (initdb refuses root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start DIR PORT: creates the cluster on first use, starts it, ensures db `tollgate`.
pg_start() {
  local dir=$1 port=$2
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; chmod 0700 "$dir"; fi
  chmod o+x "$(dirname "$dir")" 2>/dev/null || true
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg mkdir -p "$dir/data" "$dir/sock"
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=trust \
      -E UTF8 --locale=C --no-sync >"$dir/initdb.log"
    cat <<CONF | as_pg tee -a "$dir/data/postgresql.conf" >/dev/null
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/sock'
max_connections = 200
CONF
  fi
  if [ -f "$dir/data/postmaster.pid" ] && kill -0 "$(head -n1 "$dir/data/postmaster.pid")" 2>/dev/null; then
    echo "postgres: already running (pid $(head -n1 "$dir/data/postmaster.pid"))"
  else
    as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null
  fi
  psql "postgresql://postgres@127.0.0.1:$port/postgres" -XqtA -c \
    "SELECT 1 FROM pg_roles WHERE rolname='tollgate'" | grep -q 1 ||
    psql "postgresql://postgres@127.0.0.1:$port/postgres" -Xq -c "CREATE ROLE tollgate LOGIN CREATEROLE"
  psql "postgresql://postgres@127.0.0.1:$port/postgres" -XqtA -c \
    "SELECT 1 FROM pg_database WHERE datname='tollgate'" | grep -q 1 ||
    psql "postgresql://postgres@127.0.0.1:$port/postgres" -Xq -c "CREATE DATABASE tollgate OWNER tollgate"
}

pg_stop() {
  local dir=$1
  [ -f "$dir/data/postmaster.pid" ] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || {
    kill "$(head -n1 "$dir/data/postmaster.pid")" 2>/dev/null || true
  }
}

# slapd_start DIR PORT: loads tests/fixtures/directory.ldif on first use; foreground
# process in the background of this shell, PID in DIR/slapd.pid.
slapd_start() {
  local dir=$1 port=$2
  mkdir -p "$dir/data"
  if [ ! -f "$dir/slapd.conf" ]; then
    local rootpw
    rootpw=$(/usr/sbin/slappasswd -s "$(head -c 18 /dev/urandom | base64)")
    sed -e "s#@DIR@#$dir#g" -e "s#@ROOTPW@#$rootpw#" \
      "$TOLLGATE_ROOT/tests/fixtures/slapd.conf.in" >"$dir/slapd.conf"
    /usr/sbin/slapadd -q -f "$dir/slapd.conf" -l "$TOLLGATE_ROOT/tests/fixtures/directory.ldif"
  fi
  if [ -f "$dir/slapd.pid" ] && kill -0 "$(cat "$dir/slapd.pid")" 2>/dev/null; then
    echo "slapd: already running (pid $(cat "$dir/slapd.pid"))"
    return 0
  fi
  /usr/sbin/slapd -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$port/" -d stats >>"$dir/slapd.log" 2>&1 &
  echo $! >"$dir/slapd.pid"
  wait_port "$port" 20 || { echo "slapd did not start; see $dir/slapd.log" >&2; return 1; }
}

slapd_stop() {
  local dir=$1
  local pid
  # slapd removes its pid file when it exits by itself (Ctrl-C reaches it too).
  pid=$(cat "$dir/slapd.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$dir/slapd.pid"
}

# wait_port PORT SECONDS: until something accepts on 127.0.0.1:PORT.
wait_port() {
  local port=$1 seconds=${2:-20}
  for _ in $(seq $((seconds * 10))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}
