#!/usr/bin/env bash
# Tollgate against Squid and tinyproxy, side by side on loopback (issue 9).
#
#   bench/compare.sh [--compare | --growth | --all] [options]
#
# Builds the whole scene from Debian packages under one temporary folder:
#   nginx      origin serving /1k and /100k (static files), every request logged
#   slapd      the test directory (tests/fixtures/directory.ldif)
#   PostgreSQL private cluster, `tollgate migrate` applied
#   Squid 5.7  basic_ldap_auth + ext_ldap_group_acl against that slapd, access log, no cache
#   tinyproxy  BasicAuth
#   Tollgate   everything on: LDAP authentication (credential cache warmed up),
#              --rules group rules loaded from a generated bootstrap file
#              (bench/compare/gen_rules.py), audit to PostgreSQL
# and measures with wrk (absolute-form requests with Proxy-Authorization,
# bench/proxy_wrk.lua): direct vs Squid vs tinyproxy vs Tollgate, --rounds
# alternating rounds, medians. The benchmark user is alice (group engineering).
#
# Modes
#   --compare (default)  the comparison table per body size: req/s, p50, p99, ratio to
#                        direct and to Squid, CPU per request and peak RSS of each proxy,
#                        and per Tollgate round: audit rows == requests (exact check).
#   --growth             Tollgate alone: req/s and p99 at 10/50/200/1000 connections; at
#                        10 / 1,000 / 100,000 rules; CONNECT bulk transfer (1 GiB) to a
#                        plain TCP sink, MB/s and ratio to the direct transfer.
#   --all                both.
# Options (environment variables in brackets)
#   --duration D      wrk duration per measurement, e.g. 10s [DURATION]
#   --rounds N        alternating rounds; medians are reported [ROUNDS] (3)
#   --threads N       wrk threads [WRK_THREADS] (2)
#   --connections N   wrk connections for the comparison [WRK_CONNECTIONS] (50)
#   --rules N         rules loaded into the main Tollgate [RULES] (1000)
#   --growth-connections "10 50 200 1000"  [GROWTH_CONNECTIONS]
#   --growth-rules "10 1000 100000"        [GROWTH_RULES]
#   --bulk-bytes N    bytes of the CONNECT transfer [BULK_BYTES] (1073741824)
#   --tollgate PATH   the binary [TOLLGATE_BIN] (build/app/tollgate)
#   --work DIR        folder for everything (default: a new /tmp/tollgate-compare.XXXXXX)
#   --keep            keep the folder (configs, logs, databases) afterwards
# Other environment: WARMUP (2s), PAUSE (seconds between measurements, 2),
# WRK_TIMEOUT (5s), ORIGIN_WORKERS (nginx worker_processes, auto),
# TOLLGATE_IO_THREADS (0 = one per core), AUDIT_VERIFY (1: run `tollgate audit verify`),
# TINYPROXY_LOGLEVEL (Warning; tinyproxy fsyncs every log line, see its template).
#
# Needs (Debian 12): nginx squid tinyproxy wrk postgresql slapd curl openssl python3.
# Missing ones are installed when run as root; otherwise the apt-get line is printed.
# Everything listens on 127.0.0.1 on free ports; everything started here is stopped
# by its PID on exit.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/bench/compare"
export TOLLGATE_ROOT="$root"
# shellcheck source-path=SCRIPTDIR/.. source=scripts/lib/services.sh
. "$root/scripts/lib/services.sh"

mode=compare
duration="${DURATION:-10s}"
rounds="${ROUNDS:-3}"
threads="${WRK_THREADS:-2}"
conns="${WRK_CONNECTIONS:-50}"
rules="${RULES:-1000}"
growth_conns="${GROWTH_CONNECTIONS:-10 50 200 1000}"
growth_rules="${GROWTH_RULES:-10 1000 100000}"
bulk_bytes="${BULK_BYTES:-1073741824}"
tollgate="${TOLLGATE_BIN:-$root/build/app/tollgate}"
work="${WORK_DIR:-}"
keep=0
warmup="${WARMUP:-2s}"
pause="${PAUSE:-2}"
wrk_timeout="${WRK_TIMEOUT:-5s}"
origin_workers="${ORIGIN_WORKERS:-auto}"
io_threads="${TOLLGATE_IO_THREADS:-0}"
audit_verify="${AUDIT_VERIFY:-1}"
tiny_loglevel="${TINYPROXY_LOGLEVEL:-Warning}"

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --compare) mode=compare ;;
    --growth) mode=growth ;;
    --all) mode=all ;;
    --duration) duration=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --threads) threads=$2; shift ;;
    --connections) conns=$2; shift ;;
    --rules) rules=$2; shift ;;
    --growth-connections) growth_conns=$2; shift ;;
    --growth-rules) growth_rules=$2; shift ;;
    --bulk-bytes) bulk_bytes=$2; shift ;;
    --tollgate) tollgate=$2; shift ;;
    --work) work=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) usage 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; usage 2 ;;
  esac
  shift
done

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- packages -----------------------------------------------------------------
# binary:package pairs; a package is needed when its binary is missing.
needed=(
  /usr/sbin/nginx:nginx /usr/sbin/squid:squid /usr/lib/squid/basic_ldap_auth:squid
  /usr/lib/squid/ext_ldap_group_acl:squid /usr/bin/tinyproxy:tinyproxy /usr/bin/wrk:wrk
  /usr/lib/postgresql/15/bin/initdb:postgresql /usr/bin/psql:postgresql-client
  /usr/sbin/slapd:slapd /usr/sbin/slappasswd:slapd /usr/bin/curl:curl /usr/bin/openssl:openssl
  /usr/bin/python3:python3
)
missing=()
for entry in "${needed[@]}"; do
  bin=${entry%%:*} pkg=${entry##*:}
  if [ ! -x "$bin" ] && [[ " ${missing[*]} " != *" $pkg "* ]]; then missing+=("$pkg"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "compare.sh: missing packages; install them with:" >&2
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
fi
[ -x "$tollgate" ] || die "no Tollgate binary at $tollgate (build it: cmake --build build --target tollgate)"

# --- the scene ------------------------------------------------------------------
if [ -z "$work" ]; then work="$(mktemp -d /tmp/tollgate-compare.XXXXXX)"; fi
mkdir -p "$work"
chmod 755 "$work"
results="$work/results.txt"
: >"$results"
is_root=0; [ "$(id -u)" -eq 0 ] && is_root=1

origin_pid="" squid_pid="" tiny_pid="" sink_pid=""
declare -A tg_pid=() tg_port=() tg_admin=() tg_dir=() tg_db=() tg_inst=()

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

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), open files $nofile, load $(cut -d' ' -f1-3 /proc/loadavg)"
log "work folder $work"

# PostgreSQL and slapd (scripts/lib/services.sh).
log "PostgreSQL on 127.0.0.1:$p_pg, slapd on 127.0.0.1:$p_ldap"
pg_start "$work/pg" "$p_pg" >&2
slapd_start "$work/ldap" "$p_ldap" >&2
pg_admin_url="postgresql://postgres@127.0.0.1:$p_pg/postgres"

# nginx origin.
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

# Squid.
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

# tinyproxy.
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

# Tollgate instances: NAME RULES DB. Each has its own database (the bootstrap rules
# load only into an empty rules table) and its own audit instance name.
tg_start() {
  local name=$1 nrules=$2 db=$3 dir="$work/tollgate-$1" ports
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
  "$tollgate" check-config --config "$dir/tollgate.yaml" >&2 || die "tollgate check-config failed for $name"
  "$tollgate" migrate --config "$dir/tollgate.yaml" --migrations "$root/migrations" >"$dir/migrate.log" 2>&1 ||
    die "tollgate migrate failed for $name; see $dir/migrate.log"
  local t0 t1
  t0=$(date +%s.%N)
  "$tollgate" serve --config "$dir/tollgate.yaml" >"$dir/tollgate.log" 2>&1 &
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

# One measured run, recorded in the results file. Tollgate runs also check the audit.
measure() {  # PHASE TARGET SIZE ROUND CONNS RULES
  local phase=$1 target=$2 size=$3 round=$4 c=$5 nrules=$6 pid before="" after out line c0=0 c1=0
  pid="$(target_pid "$target")"
  sleep "$pause"
  if [[ $target == tollgate:* ]]; then before="$(settle "${target#tollgate:}")"; fi
  [ -n "$pid" ] && c0=$(cpu_ticks "$pid")
  out="$(wrk_run "$target" "/$size" "$c" "$duration" || true)"
  [ -n "$pid" ] && c1=$(cpu_ticks "$pid")
  line="$(grep '^RESULT' <<<"$out" || true)"
  [ -n "$line" ] || die "wrk failed against $target: $out"
  local rps p50 p99 req err non2xx cpu_us=""
  rps=$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$line"); p50=$(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$line")
  p99=$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$line"); req=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")
  err=$(sed -E 's/.*errors=([0-9]+).*/\1/' <<<"$line"); non2xx=$(sed -E 's/.*non2xx=([0-9]+).*/\1/' <<<"$line")
  if [ -n "$pid" ] && [ "$req" -gt 0 ]; then
    cpu_us=$(awk -v d=$((c1 - c0)) -v n="$req" -v t="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", d * 1e6 / t / n }')
  fi
  local name=${target%%:*}
  echo "kind=http phase=$phase size=$size target=$name instance=${target#*:} round=$round conns=$c rules=$nrules rps=$rps p50=$p50 p99=$p99 requests=$req errors=$err non2xx=$non2xx cpu_us=${cpu_us:-}" >>"$results"
  log "$phase $size $target c=$c round $round: $rps req/s, p50 $p50 ms, p99 $p99 ms, $req requests, errors $err, non-2xx $non2xx${cpu_us:+, $cpu_us us CPU/req}"
  if [[ $target == tollgate:* ]]; then
    after="$(settle "${target#tollgate:}")"
    local r0 o0 g0 r1 o1 g1
    read -r r0 o0 g0 <<<"$before"; read -r r1 o1 g1 <<<"$after"
    echo "kind=audit phase=$phase size=$size round=$round conns=$c rules=$nrules rows=$((r1 - r0)) ok_rows=$((o1 - o0)) origin=$((g1 - g0)) wrk=$req" >>"$results"
    log "  audit: $((r1 - r0)) rows ($((o1 - o0)) allow/200), origin served $((g1 - g0)), wrk completed $req"
  fi
}

warm() {  # TARGET SIZE CONNS
  wrk_run "$1" "/$2" "$3" "$warmup" >/dev/null || true
}

rotate() {  # ROUND WORDS...: the words, rotated by ROUND-1
  local r=$1; shift
  local a=("$@") n=$# i
  for ((i = 0; i < n; i++)); do printf '%s ' "${a[$(((i + r - 1) % n))]}"; done
}

audit_total() {  # NAME
  local name=$1 rows events
  settle "$name" >/dev/null
  rows=$(audit_counts "$name" | cut -d' ' -f1)
  events=$(psql "postgresql://tollgate@127.0.0.1:$p_pg/${tg_db[$name]}" -XAt -c \
    "SELECT coalesce(string_agg(event || ':' || n, ',' ORDER BY event), 'none') FROM (SELECT event, count(*) AS n FROM audit_log WHERE instance = '${tg_inst[$name]}' GROUP BY event) e")
  local verify=skipped
  if [ "$audit_verify" = 1 ]; then
    if "$tollgate" audit verify --config "${tg_dir[$name]}/tollgate.yaml" >"${tg_dir[$name]}/verify.log" 2>&1; then
      verify=intact
    else
      verify="exit_$?_(see_verify.log)"
    fi
  fi
  echo "kind=audit_total instance=${tg_inst[$name]} rows=$rows events=$events requests_metric=$(metric "${tg_admin[$name]}" tollgate_requests_total) written=$(metric "${tg_admin[$name]}" tollgate_audit_records_written_total) spooled=$(metric "${tg_admin[$name]}" tollgate_audit_records_spooled_total) lost=$(metric "${tg_admin[$name]}" tollgate_audit_records_lost_total) verify=$verify" >>"$results"
}

echo "kind=meta threads=$threads conns=$conns duration=$duration rounds=$rounds rules=$rules" >>"$results"

# The main Tollgate: --rules rules, database `tollgate`.
tg_start main "$rules" tollgate

header() {
  echo "bench/compare.sh $mode: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr), open files $nofile"
  echo "versions: $("$tollgate" --version 2>&1 | head -n1); nginx $(/usr/sbin/nginx -v 2>&1 | sed 's#.*/##'); $(/usr/sbin/squid -v | head -n1 | sed 's/ Cache: Version//'); $(/usr/bin/tinyproxy -v 2>&1 | head -n1); $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2); PostgreSQL $(psql -XAtc 'SHOW server_version' "$pg_admin_url"); slapd $(dpkg-query -W -f='${Version}' slapd 2>/dev/null)"
  echo "Tollgate: $rules rules, io_threads $io_threads (0 = cores), max_connections $max_conns; user $bench_user (group $bench_group) over LDAP; audit to PostgreSQL"
}

# --- the comparison -------------------------------------------------------------
if [ "$mode" = compare ] || [ "$mode" = all ]; then
  targets=(direct squid tinyproxy tollgate:main)
  for size in 1k 100k; do
    log "=== $size: warm-up ($warmup each), then $rounds alternating rounds of $duration"
    for t in "${targets[@]}"; do warm "$t" "$size" "$conns"; done
    for t in squid tinyproxy tollgate:main; do peak_reset "$(target_pid "$t")"; done
    if [ -n "$squid_pid" ]; then for h in $(pgrep -P "$squid_pid" || true); do peak_reset "$h"; done; fi
    for round in $(seq "$rounds"); do
      for t in $(rotate "$round" "${targets[@]}"); do measure compare "$t" "$size" "$round" "$conns" "$rules"; done
    done
    for t in squid tinyproxy tollgate:main; do
      pid="$(target_pid "$t")"
      extra=""
      if [ "$t" = squid ]; then
        hk=0 hn=0
        for h in $(pgrep -P "$squid_pid" || true); do hk=$((hk + $(peak_kb "$h"))); hn=$((hn + 1)); done
        extra=" helpers_kb=$hk helpers=$hn"
      fi
      echo "kind=rss phase=compare size=$size target=${t%%:*} kb=$(peak_kb "$pid")$extra" >>"$results"
    done
  done
fi

# --- growth ---------------------------------------------------------------------
if [ "$mode" = growth ] || [ "$mode" = all ]; then
  # Connections: the main instance, alternating connection counts per round.
  read -ra gconns <<<"$growth_conns"
  log "=== growth: connections ${gconns[*]}"
  for c in "${gconns[@]}"; do warm tollgate:main 1k "$c"; done
  for round in $(seq "$rounds"); do
    for c in $(rotate "$round" "${gconns[@]}"); do measure growth-conns tollgate:main 1k "$round" "$c" "$rules"; done
  done

  # Rules: one instance per rule count, all running, alternating per round.
  read -ra grules <<<"$growth_rules"
  rule_targets=()
  for n in "${grules[@]}"; do
    if [ "$n" = "$rules" ]; then rule_targets+=(tollgate:main); continue; fi
    tg_start "r$n" "$n" "tollgate_r$n"
    rule_targets+=("tollgate:r$n")
  done
  log "=== growth: rules ${grules[*]}"
  for t in "${rule_targets[@]}"; do warm "$t" 1k "$conns"; peak_reset "$(target_pid "$t")"; done
  for round in $(seq "$rounds"); do
    for t in $(rotate "$round" "${rule_targets[@]}"); do
      n=$rules; [ "$t" != tollgate:main ] && n=${t#tollgate:r}
      measure growth-rules "$t" 1k "$round" "$conns" "$n"
    done
  done
  for t in "${rule_targets[@]}"; do
    n=$rules; [ "$t" != tollgate:main ] && n=${t#tollgate:r}
    echo "kind=rss phase=growth-rules rules=$n kb=$(peak_kb "$(target_pid "$t")")" >>"$results"
  done

  # CONNECT bulk transfer to a plain TCP sink, direct and through the main instance.
  python3 "$here/bulk.py" sink "$p_sink" "$bulk_bytes" >"$work/sink.log" 2>&1 &
  sink_pid=$!
  wait_port "$p_sink" 20 || die "bulk sink did not start"
  log "=== growth: CONNECT bulk transfer of $bulk_bytes bytes"
  for round in $(seq "$rounds"); do
    for t in $(rotate "$round" direct tollgate); do
      sleep "$pause"
      if [ "$t" = direct ]; then
        out="$(python3 "$here/bulk.py" send "$p_sink" "$bulk_bytes")" || die "bulk transfer failed: $out"
      else
        out="$(python3 "$here/bulk.py" send "$p_sink" "$bulk_bytes" "${tg_port[main]}" "$auth")" || die "bulk transfer through Tollgate failed: $out"
      fi
      mbps=$(sed -E 's/.*mbps=([0-9.]+).*/\1/' <<<"$out")
      echo "kind=bulk target=$t round=$round bytes=$bulk_bytes mbps=$mbps" >>"$results"
      log "bulk $t round $round: $out"
    done
  done
fi

# Whole-run audit totals of every instance, and `tollgate audit verify`.
for k in $(printf '%s\n' "${!tg_pid[@]}" | sort -t r -k2n); do audit_total "$k"; done

# --- report ---------------------------------------------------------------------
echo
header
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
case "$mode" in
  compare) python3 "$here/report.py" "$results" compare ;;
  growth) python3 "$here/report.py" "$results" growth ;;
  all) python3 "$here/report.py" "$results" compare growth ;;
esac
