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
#   --baseline PATH   a second Tollgate binary (e.g. a build of an earlier commit) run
#                     beside the first with the same rules and its own database, in the
#                     same alternating rounds: the table's `baseline` row, and the
#                     current build's req/s as a ratio of it [BASELINE_BIN]
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
baseline="${BASELINE_BIN:-}"
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
    --baseline) baseline=$2; shift ;;
    --work) work=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) usage 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; usage 2 ;;
  esac
  shift
done

# shellcheck source=bench/lib/scene.sh
. "$root/bench/lib/scene.sh"

scene_packages "${scene_base_packages[@]}" /usr/sbin/squid:squid /usr/lib/squid/basic_ldap_auth:squid \
  /usr/lib/squid/ext_ldap_group_acl:squid /usr/bin/tinyproxy:tinyproxy
scene_begin compare
start_pg_ldap
start_origin
start_squid
start_tinyproxy

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
  [ "$target" = tollgate:before ] && name=baseline
  echo "kind=http phase=$phase size=$size target=$name instance=${target#*:} round=$round conns=$c rules=$nrules rps=$rps p50=$p50 p99=$p99 requests=$req errors=$err non2xx=$non2xx cpu_us=${cpu_us:-}" >>"$results"
  log "$phase $size $target c=$c round $round: $rps req/s, p50 $p50 ms, p99 $p99 ms, $req requests, errors $err, non-2xx $non2xx${cpu_us:+, $cpu_us us CPU/req}"
  if [[ $target == tollgate:* ]]; then
    after="$(settle "${target#tollgate:}")"
    local r0 o0 g0 r1 o1 g1
    read -r r0 o0 g0 <<<"$before"; read -r r1 o1 g1 <<<"$after"
    echo "kind=audit phase=$phase size=$size instance=${target#tollgate:} round=$round conns=$c rules=$nrules rows=$((r1 - r0)) ok_rows=$((o1 - o0)) origin=$((g1 - g0)) wrk=$req" >>"$results"
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

echo "kind=meta threads=$threads conns=$conns duration=$duration rounds=$rounds rules=$rules" >>"$results"

# The main Tollgate: --rules rules, database `tollgate`; the baseline beside it.
tg_start main "$rules" tollgate
if [ -n "$baseline" ]; then tg_start before "$rules" tollgate_before "$baseline"; fi

header() {
  echo "bench/compare.sh $mode: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr), open files $nofile"
  echo "versions: $("$tollgate" --version 2>&1 | head -n1)${baseline:+ (baseline: $baseline)}; nginx $(/usr/sbin/nginx -v 2>&1 | sed 's#.*/##'); $(/usr/sbin/squid -v | head -n1 | sed 's/ Cache: Version//'); $(/usr/bin/tinyproxy -v 2>&1 | head -n1); $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2); PostgreSQL $(psql -XAtc 'SHOW server_version' "$pg_admin_url"); slapd $(dpkg-query -W -f='${Version}' slapd 2>/dev/null)"
  echo "Tollgate: $rules rules, io_threads $io_threads (0 = cores), max_connections $max_conns; user $bench_user (group $bench_group) over LDAP; audit to PostgreSQL"
}

# --- the comparison -------------------------------------------------------------
if [ "$mode" = compare ] || [ "$mode" = all ]; then
  targets=(direct squid tinyproxy tollgate:main)
  if [ -n "$baseline" ]; then targets+=(tollgate:before); fi
  for size in 1k 100k; do
    log "=== $size: warm-up ($warmup each), then $rounds alternating rounds of $duration"
    for t in "${targets[@]}"; do warm "$t" "$size" "$conns"; done
    for t in "${targets[@]:1}"; do peak_reset "$(target_pid "$t")"; done
    if [ -n "$squid_pid" ]; then for h in $(pgrep -P "$squid_pid" || true); do peak_reset "$h"; done; fi
    for round in $(seq "$rounds"); do
      for t in $(rotate "$round" "${targets[@]}"); do measure compare "$t" "$size" "$round" "$conns" "$rules"; done
    done
    for t in "${targets[@]:1}"; do
      pid="$(target_pid "$t")"
      extra=""
      if [ "$t" = squid ]; then
        hk=0 hn=0
        for h in $(pgrep -P "$squid_pid" || true); do hk=$((hk + $(peak_kb "$h"))); hn=$((hn + 1)); done
        extra=" helpers_kb=$hk helpers=$hn"
      fi
      name=${t%%:*}; [ "$t" = tollgate:before ] && name=baseline
      echo "kind=rss phase=compare size=$size target=$name kb=$(peak_kb "$pid")$extra" >>"$results"
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

