# The bench scene shared by bench/compare.sh and bench/soak.sh: package checks,
# a work folder with an exit trap that stops everything by PID, free loopback
# ports, PostgreSQL + slapd (scripts/lib/services.sh), the nginx origin, Squid,
# tinyproxy and Tollgate instances (templates in bench/compare/), wrk runs and
# the audit-row bookkeeping.
#
# Source it after setting: root, here (bench/compare), tollgate, work (may be
# empty), keep, threads, wrk_timeout, origin_workers, io_threads, tiny_loglevel.
# shellcheck shell=bash

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- packages -----------------------------------------------------------------
# scene_packages BINARY:PACKAGE...: installs the packages whose binary is missing
# (as root; otherwise prints the apt-get line and exits 2).
scene_packages() {
  local missing=() entry bin pkg
  for entry in "$@"; do
    bin=${entry%%:*} pkg=${entry##*:}
    if [ ! -x "$bin" ] && [[ " ${missing[*]} " != *" $pkg "* ]]; then missing+=("$pkg"); fi
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "$(basename "$0"): missing packages; install them with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 2
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; }
  # Packaged services are not used; stop any that apt started, by PID file.
  for pidfile in /run/nginx.pid /run/squid.pid /run/tinyproxy/tinyproxy.pid /run/slapd/slapd.pid; do
    if [ -f "$pidfile" ]; then kill "$(head -n1 "$pidfile")" 2>/dev/null || true; fi
  done
}
# The packages every scene needs (nginx origin, wrk, PostgreSQL, slapd, tools).
scene_base_packages=(
  /usr/sbin/nginx:nginx /usr/bin/wrk:wrk
  /usr/lib/postgresql/15/bin/initdb:postgresql /usr/bin/psql:postgresql-client
  /usr/sbin/slapd:slapd /usr/sbin/slappasswd:slapd /usr/bin/curl:curl /usr/bin/openssl:openssl
  /usr/bin/python3:python3
)

# --- the scene ------------------------------------------------------------------
is_root=0; [ "$(id -u)" -eq 0 ] && is_root=1
origin_pid="" squid_pid="" tiny_pid="" sink_pid=""
extra_pids=()  # anything else a script starts (load generators, sinks); stopped on exit
declare -A tg_pid=() tg_port=() tg_admin=() tg_dir=() tg_db=() tg_inst=() tg_bin=()

stop_pid() {  # PID SIGNAL: signal, wait up to 20 s, then SIGKILL that PID
  local pid=$1 sig=${2:-TERM}
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  log "stopping everything this script started"
  for k in "${!tg_pid[@]}"; do stop_pid "${tg_pid[$k]}" TERM; done
  stop_pid "$squid_pid" TERM
  stop_pid "$tiny_pid" TERM
  stop_pid "$sink_pid" TERM
  for p in "${extra_pids[@]}"; do stop_pid "$p" TERM; done
  stop_pid "$origin_pid" QUIT
  slapd_stop "$work/ldap" || true
  pg_stop "$work/pg" || true
  if [ "$keep" -eq 1 ]; then
    log "kept $work"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}

# scene_begin NAME: the work folder (/tmp/tollgate-NAME.XXXXXX unless --work), the
# results file, the exit trap that stops everything, and free loopback ports.
scene_begin() {
  [ -x "$tollgate" ] || die "no Tollgate binary at $tollgate (build it: cmake --build build --target tollgate)"
  if [ -z "$work" ]; then work="$(mktemp -d "/tmp/tollgate-$1.XXXXXX")"; fi
  mkdir -p "$work"
  chmod 755 "$work"
  results="$work/results.txt"
  : >"$results"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  # Free loopback ports, all at once so they differ.
  read -r p_origin p_squid p_tiny p_pg p_ldap p_sink <<<"$(python3 - <<'PY'
import socket
socks = []
for _ in range(6):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)"
  log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), open files $nofile, load $(cut -d' ' -f1-3 /proc/loadavg)"
  log "work folder $work"
}

free_ports() {  # N
  python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

nofile="$(ulimit -n)"
# Every client connection needs a second descriptor upstream; keep some for the rest.
max_conns=$(( (nofile - 256) / 2 ))
ulimit -c 0 || true

metric() {  # ADMIN_PORT NAME: sum of all series of that metric
  curl -s --max-time 5 "http://127.0.0.1:$1/metrics" |
    awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%.0f\n", s }'
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

peak_reset() {  # PID: VmHWM starts again from the current RSS
  if [ -n "$1" ] && [ -w "/proc/$1/clear_refs" ]; then echo 5 >"/proc/$1/clear_refs" 2>/dev/null || true; fi
}
peak_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# PostgreSQL and slapd (scripts/lib/services.sh).
start_pg_ldap() {
  log "PostgreSQL on 127.0.0.1:$p_pg, slapd on 127.0.0.1:$p_ldap"
  pg_start "$work/pg" "$p_pg" >&2
  slapd_start "$work/ldap" "$p_ldap" >&2
  pg_admin_url="postgresql://postgres@127.0.0.1:$p_pg/postgres"
}

# nginx origin serving /1k and /100k.
start_origin() {
  mkdir -p "$work/nginx/www" "$work/nginx/tmp"
  head -c 1024 /dev/urandom >"$work/nginx/www/1k"
  head -c 102400 /dev/urandom >"$work/nginx/www/100k"
  chmod 755 "$work/nginx" "$work/nginx/www"; chmod 644 "$work/nginx/www/"*
  user_line=""; [ $is_root -eq 1 ] && user_line="user www-data;"
  sed -e "s#@DIR@#$work/nginx#g" -e "s#@PORT@#$p_origin#g" -e "s#@WORKERS@#$origin_workers#g" \
    -e "s#@USER_LINE@#$user_line#" "$here/nginx.conf.in" >"$work/nginx/nginx.conf"
  /usr/sbin/nginx -p "$work/nginx/" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" -g 'daemon off;' \
    >"$work/nginx/stdout.log" 2>&1 &
  origin_pid=$!
  wait_port "$p_origin" 20 || die "nginx did not start; see $work/nginx/error.log"
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p_origin/1k")" = 200 ] || die "origin does not serve /1k"
  log "nginx origin on 127.0.0.1:$p_origin (pid $origin_pid)"
}

bench_user=alice bench_pw=alice-pw bench_group=engineering
auth="Basic $(printf '%s:%s' "$bench_user" "$bench_pw" | base64)"

# A proxy must answer 407 without credentials and 200 with them; one that checks
# groups (third argument) must answer 403 to bob, who is not in engineering.
check_proxy() {  # NAME PORT [groups]
  local no yes other
  no=$(curl -s -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$2" "http://127.0.0.1:$p_origin/1k")
  yes=$(curl -s -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$2" -U "$bench_user:$bench_pw" "http://127.0.0.1:$p_origin/1k")
  if [ "$no" != 407 ] || [ "$yes" != 200 ]; then
    die "$1 answers $no without credentials and $yes with them (want 407 and 200)"
  fi
  if [ "${3:-}" = groups ]; then
    other=$(curl -s -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$2" -U bob:bob-pw "http://127.0.0.1:$p_origin/1k")
    [ "$other" = 403 ] || die "$1 answers $other to bob (not in $bench_group; want 403)"
  fi
}

# Squid as in the issue table: basic_ldap_auth + ext_ldap_group_acl, access log, no cache.
start_squid() {
  mkdir -p "$work/squid"
  printf 'service-secret\n' >"$work/squid/ldap-password"
  chmod 600 "$work/squid/ldap-password"
  sed -e "s#@DIR@#$work/squid#g" -e "s#@PORT@#$p_squid#g" -e "s#@LDAP_PORT@#$p_ldap#g" \
    -e "s#@GROUP@#$bench_group#g" "$here/squid.conf.in" >"$work/squid/squid.conf"
  if [ $is_root -eq 1 ]; then chown -R proxy:proxy "$work/squid"; fi
  /usr/sbin/squid -k parse -f "$work/squid/squid.conf" >"$work/squid/parse.log" 2>&1 ||
    die "squid.conf does not parse; see $work/squid/parse.log"
  /usr/sbin/squid -N -f "$work/squid/squid.conf" >"$work/squid/stdout.log" 2>&1 &
  squid_pid=$!
  wait_port "$p_squid" 30 || die "squid did not start; see $work/squid/cache.log"
  check_proxy Squid "$p_squid" groups
  log "Squid on 127.0.0.1:$p_squid (pid $squid_pid)"
}

# tinyproxy with BasicAuth.
start_tinyproxy() {
  mkdir -p "$work/tinyproxy"
  user_lines=""
  if [ $is_root -eq 1 ]; then
    if id tinyproxy >/dev/null 2>&1; then user_lines=$'User tinyproxy\nGroup tinyproxy'; chown tinyproxy "$work/tinyproxy"
    else user_lines=$'User nobody\nGroup nogroup'; chown nobody "$work/tinyproxy"; fi
  fi
  awk -v u="$user_lines" '{ if ($0 == "@USER_LINES@") print u; else print }' "$here/tinyproxy.conf.in" |
    sed -e "s#@DIR@#$work/tinyproxy#g" -e "s#@PORT@#$p_tiny#g" -e "s#@AUTH_USER@#$bench_user#" \
      -e "s#@AUTH_PASSWORD@#$bench_pw#" -e "s#@LOGLEVEL@#$tiny_loglevel#" >"$work/tinyproxy/tinyproxy.conf"
  /usr/bin/tinyproxy -d -c "$work/tinyproxy/tinyproxy.conf" >"$work/tinyproxy/stdout.log" 2>&1 &
  tiny_pid=$!
  wait_port "$p_tiny" 20 || die "tinyproxy did not start; see $work/tinyproxy/"
  check_proxy tinyproxy "$p_tiny"
  log "tinyproxy on 127.0.0.1:$p_tiny (pid $tiny_pid)"
}

# Tollgate instances: NAME RULES DB [BINARY]. Each has its own database (the bootstrap
# rules load only into an empty rules table) and its own audit instance name; BINARY
# (default $tollgate) lets a run hold a baseline build against the current one.
tg_start() {
  local name=$1 nrules=$2 db=$3 dir="$work/tollgate-$1" ports bin=${4:-$tollgate}
  [ -x "$bin" ] || die "no Tollgate binary at $bin"
  tg_bin[$name]=$bin
  ports="$(free_ports 2)"
  tg_port[$name]=${ports% *}; tg_admin[$name]=${ports#* }
  tg_dir[$name]=$dir; tg_db[$name]=$db; tg_inst[$name]="bench-$name"
  mkdir -p "$dir/spool"
  printf 'service-secret\n' >"$dir/ldap-password"
  openssl genpkey -algorithm ed25519 -out "$dir/audit-ed25519.pem" 2>/dev/null
  chmod 600 "$dir/ldap-password" "$dir/audit-ed25519.pem"
  python3 "$here/gen_rules.py" "$nrules" "$p_origin" "$p_sink" >"$dir/rules.yaml"
  psql "$pg_admin_url" -XqtA -c "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 ||
    psql "$pg_admin_url" -Xq -c "CREATE DATABASE $db OWNER tollgate"
  sed -e "s#@DIR@#$dir#g" -e "s#@PORT@#${tg_port[$name]}#g" -e "s#@ADMIN_PORT@#${tg_admin[$name]}#g" \
    -e "s#@LDAP_PORT@#$p_ldap#g" -e "s#@PG_PORT@#$p_pg#g" -e "s#@DB@#$db#g" -e "s#@INSTANCE@#${tg_inst[$name]}#g" \
    -e "s#@RULES_FILE@#$dir/rules.yaml#g" -e "s#@IO_THREADS@#$io_threads#g" -e "s#@MAX_CONNECTIONS@#$max_conns#g" \
    "$here/tollgate.yaml.in" >"$dir/tollgate.yaml"
  "$bin" check-config --config "$dir/tollgate.yaml" >&2 || die "tollgate check-config failed for $name"
  "$bin" migrate --config "$dir/tollgate.yaml" --migrations "$root/migrations" >"$dir/migrate.log" 2>&1 ||
    die "tollgate migrate failed for $name; see $dir/migrate.log"
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" serve --config "$dir/tollgate.yaml" >"$dir/tollgate.log" 2>&1 &
  tg_pid[$name]=$!
  # Up when the admin listener answers and the whole rule set is installed.
  local loaded=0
  for _ in $(seq 1800); do
    kill -0 "${tg_pid[$name]}" 2>/dev/null || die "tollgate $name exited; see $dir/tollgate.log"
    if [ "$(metric "${tg_admin[$name]}" tollgate_policy_rules 2>/dev/null)" = "$nrules" ]; then loaded=1; break; fi
    sleep 0.2
  done
  [ $loaded -eq 1 ] || die "tollgate $name did not load $nrules rules within 6 minutes; see $dir/tollgate.log"
  t1=$(date +%s.%N)
  wait_port "${tg_port[$name]}" 20 || die "tollgate $name does not listen"
  check_proxy "Tollgate $name" "${tg_port[$name]}" groups
  echo "kind=load rules=$nrules seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" >>"$results"
  log "Tollgate $name on 127.0.0.1:${tg_port[$name]} (admin ${tg_admin[$name]}, pid ${tg_pid[$name]}): $nrules rules, database $db"
}

audit_counts() {  # NAME -> "rows ok_rows"
  psql "postgresql://tollgate@127.0.0.1:$p_pg/${tg_db[$1]}" -XAt -F' ' -c \
    "SELECT count(*), count(*) FILTER (WHERE decision = 'allow' AND status = 200) FROM audit_log WHERE instance = '${tg_inst[$1]}'"
}
origin_lines() { wc -l <"$work/nginx/access.log" 2>/dev/null || echo 0; }

# Until the audit queue is empty and the table and the origin's log stop growing.
settle() {  # NAME
  local prev="" cur stable=0
  for _ in $(seq 300); do
    cur="$(audit_counts "$1") $(origin_lines) $(metric "${tg_admin[$1]}" tollgate_audit_queue_depth)"
    if [ "$cur" = "$prev" ] && [ "${cur##* }" = 0 ]; then
      stable=$((stable + 1)); [ $stable -ge 3 ] && { echo "${cur% *}"; return 0; }
    else
      stable=0
    fi
    prev=$cur
    sleep 0.4
  done
  log "WARNING: audit for $1 did not settle within 2 minutes"
  echo "${cur% *}"
}

# wrk against TARGET (direct|squid|tinyproxy|tollgate[:NAME]) for PATH.
wrk_run() {  # TARGET PATH CONNS DURATION -> RESULT line
  local target=$1 path=$2 c=$3 d=$4 url wpath auth_v=""
  case "$target" in
    direct) url="http://127.0.0.1:$p_origin"; wpath="$path" ;;
    squid) url="http://127.0.0.1:$p_squid"; wpath="http://127.0.0.1:$p_origin$path"; auth_v=$auth ;;
    tinyproxy) url="http://127.0.0.1:$p_tiny"; wpath="http://127.0.0.1:$p_origin$path"; auth_v=$auth ;;
    tollgate:*) url="http://127.0.0.1:${tg_port[${target#tollgate:}]}"; wpath="http://127.0.0.1:$p_origin$path"; auth_v=$auth ;;
    *) die "unknown target $target" ;;
  esac
  WRK_PATH="$wpath" WRK_HOST="127.0.0.1:$p_origin" WRK_PROXY_AUTH="$auth_v" \
    wrk -t"$threads" -c"$c" -d"$d" --timeout "$wrk_timeout" -s "$root/bench/proxy_wrk.lua" "$url" 2>&1
}

target_pid() {
  case "$1" in
    squid) echo "$squid_pid" ;; tinyproxy) echo "$tiny_pid" ;; tollgate:*) echo "${tg_pid[${1#tollgate:}]}" ;; *) echo "" ;;
  esac
}

# Whole-run audit totals of instance NAME and `tollgate audit verify` (AUDIT_VERIFY=1).
audit_total() {  # NAME
  local name=$1 rows events
  settle "$name" >/dev/null
  rows=$(audit_counts "$name" | cut -d' ' -f1)
  events=$(psql "postgresql://tollgate@127.0.0.1:$p_pg/${tg_db[$name]}" -XAt -c \
    "SELECT coalesce(string_agg(event || ':' || n, ',' ORDER BY event), 'none') FROM (SELECT event, count(*) AS n FROM audit_log WHERE instance = '${tg_inst[$name]}' GROUP BY event) e")
  local verify=skipped
  if [ "$audit_verify" = 1 ]; then
    if "${tg_bin[$name]}" audit verify --config "${tg_dir[$name]}/tollgate.yaml" >"${tg_dir[$name]}/verify.log" 2>&1; then
      verify=intact
    else
      verify="exit_$?_(see_verify.log)"
    fi
  fi
  echo "kind=audit_total instance=${tg_inst[$name]} rows=$rows events=$events requests_metric=$(metric "${tg_admin[$name]}" tollgate_requests_total) written=$(metric "${tg_admin[$name]}" tollgate_audit_records_written_total) spooled=$(metric "${tg_admin[$name]}" tollgate_audit_records_spooled_total) lost=$(metric "${tg_admin[$name]}" tollgate_audit_records_lost_total) verify=$verify" >>"$results"
}
