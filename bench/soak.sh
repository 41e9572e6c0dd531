#!/usr/bin/env bash
# Soak and idle-tunnel capacity of Tollgate with everything on (issue 10, point 4).
#
#   bench/soak.sh [options]
#
# The scene of bench/compare.sh (nginx origin, slapd, PostgreSQL, Tollgate with LDAP
# authentication, --rules group rules and audit to PostgreSQL), then two phases:
#
#  1. Soak: wrk (absolute-form GET /1k with Proxy-Authorization) and a CONNECT-tunnel
#     churn (bench/soak/tunnels.py: open, echo --tunnel-bytes, close, in a loop) run
#     together for --duration. Every 10 s the proxy's RSS, open descriptors and
#     threads are sampled, with its active connections and audit queue depth.
#     Verdict: after the warm-up (--warmup), the last third of the samples against
#     the first third: RSS may grow by at most 10% (and 4 MiB), descriptors by at
#     most 10% (and 20), threads not at all. Then the audit table must hold exactly
#     one row per request the origin served plus an open and a close row per tunnel
#     (requests answered by the proxy itself, e.g. 407, are counted from its
#     request metric), and tollgate_audit_records_lost_total must be 0.
#  2. Idle tunnels: --tunnels CONNECT tunnels to an echo sink opened and held idle;
#     RSS before and after gives the memory per tunnel (target: under 32 KiB). While
#     they are held, wrk runs for 10 s to show that new requests are still served;
#     then every tunnel must still echo.
#
# Options (environment variables in brackets)
#   --duration SECONDS     soak length [SOAK_SECONDS] (600)
#   --warmup SECONDS       samples before this are not judged [SOAK_WARMUP] (60)
#   --connections N        wrk connections [WRK_CONNECTIONS] (50)
#   --tunnel-workers N     concurrent tunnel churners [TUNNEL_WORKERS] (20)
#   --tunnel-bytes N       bytes echoed per churned tunnel [TUNNEL_BYTES] (65536)
#   --tunnels N            idle tunnels; default: what the open-files limit allows,
#                          max_connections minus 100 [IDLE_TUNNELS]
#   --rules N              rules loaded [RULES] (1000)
#   --skip-soak | --skip-idle
#   --tollgate PATH        the binary [TOLLGATE_BIN] (build/app/tollgate)
#   --work DIR, --keep     as in bench/compare.sh
# Exit status: 0 when every verdict holds, 1 otherwise.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
here="$root/bench/compare"
export TOLLGATE_ROOT="$root"
# shellcheck source-path=SCRIPTDIR/.. source=scripts/lib/services.sh
. "$root/scripts/lib/services.sh"

soak_seconds="${SOAK_SECONDS:-600}"
soak_warmup="${SOAK_WARMUP:-60}"
conns="${WRK_CONNECTIONS:-50}"
tunnel_workers="${TUNNEL_WORKERS:-20}"
tunnel_bytes="${TUNNEL_BYTES:-65536}"
idle_tunnels="${IDLE_TUNNELS:-}"
rules="${RULES:-1000}"
tollgate="${TOLLGATE_BIN:-$root/build/app/tollgate}"
work="${WORK_DIR:-}"
keep=0 skip_soak=0 skip_idle=0
threads=1 wrk_timeout=5s origin_workers=1 io_threads=0 tiny_loglevel=Warning audit_verify=1

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) soak_seconds=$2; shift ;;
    --warmup) soak_warmup=$2; shift ;;
    --connections) conns=$2; shift ;;
    --tunnel-workers) tunnel_workers=$2; shift ;;
    --tunnel-bytes) tunnel_bytes=$2; shift ;;
    --tunnels) idle_tunnels=$2; shift ;;
    --rules) rules=$2; shift ;;
    --skip-soak) skip_soak=1 ;;
    --skip-idle) skip_idle=1 ;;
    --tollgate) tollgate=$2; shift ;;
    --work) work=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) usage 0 ;;
    *) echo "soak.sh: unknown argument $1" >&2; usage 2 ;;
  esac
  shift
done

# shellcheck source=bench/lib/scene.sh
. "$root/bench/lib/scene.sh"
tunnels_py="$root/bench/soak/tunnels.py"

scene_packages "${scene_base_packages[@]}"
scene_begin soak
start_pg_ldap
start_origin
tg_start main "$rules" tollgate
pid=${tg_pid[main]}
admin=${tg_admin[main]}
proxy_port=${tg_port[main]}

python3 "$tunnels_py" sink "$p_sink" >"$work/sink.log" 2>&1 &
sink_pid=$!
wait_port "$p_sink" 20 || die "echo sink did not start; see $work/sink.log"

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }
thread_count() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }
gauge() { awk -v m="$1" '$1 == m { print $NF + 0; f = 1 } END { if (!f) print 0 }' <<<"$m"; }  # uses $m
failures=0
verdict() {  # OK? TEXT
  if [ "$1" = 1 ]; then echo "PASS  $2"; else echo "FAIL  $2"; failures=$((failures + 1)); fi
}
report="$work/report.txt"
: >"$report"

# --- 1. soak ------------------------------------------------------------------------
if [ "$skip_soak" -eq 0 ]; then
  before="$(settle main)"
  read -r rows0 _ origin0 <<<"$before"
  req0=$(metric "$admin" tollgate_requests_total)
  log "soak: ${soak_seconds}s of wrk -c$conns /1k and $tunnel_workers tunnel churners ($tunnel_bytes bytes each)"
  samples="$work/samples.txt"
  echo "t_s rss_kib fds threads http_conns tunnels queue lost" >"$samples"
  wrk_out="$work/wrk-soak.txt"
  wrk_run tollgate:main /1k "$conns" "${soak_seconds}s" >"$wrk_out" 2>&1 &
  wrk_pid=$!; extra_pids+=("$wrk_pid")
  python3 "$tunnels_py" churn "$proxy_port" "$p_sink" "$auth" "$soak_seconds" "$tunnel_workers" "$tunnel_bytes" \
    >"$work/churn.txt" 2>&1 &
  churn_pid=$!; extra_pids+=("$churn_pid")
  t0=$(date +%s)
  while kill -0 "$wrk_pid" 2>/dev/null || kill -0 "$churn_pid" 2>/dev/null; do
    t=$(( $(date +%s) - t0 ))
    m="$(curl -s --max-time 5 "http://127.0.0.1:$admin/metrics")"
    line="$t $(rss_kb "$pid") $(fd_count "$pid") $(thread_count "$pid") $(gauge 'tollgate_active_connections{kind="http"}') $(gauge 'tollgate_active_connections{kind="tunnel"}') $(gauge tollgate_audit_queue_depth) $(gauge tollgate_audit_records_lost_total)"
    echo "$line" >>"$samples"
    log "sample: $line"
    sleep 10
  done
  wait "$wrk_pid" || true
  wait "$churn_pid" || true
  after="$(settle main)"
  read -r rows1 _ origin1 <<<"$after"
  req1=$(metric "$admin" tollgate_requests_total)
  wrk_line="$(grep '^RESULT' "$wrk_out" || echo "RESULT missing: $(tail -n3 "$wrk_out")")"
  churn_line="$(grep '^CHURN' "$work/churn.txt" || echo "CHURN missing: $(tail -n3 "$work/churn.txt")")"
  tunnels_done=$(sed -nE 's/.*tunnels=([0-9]+).*/\1/p' <<<"$churn_line")
  churn_failed=$(sed -nE 's/.* failed=([0-9]+).*/\1/p' <<<"$churn_line")
  {
    echo "== soak: ${soak_seconds}s, wrk -t1 -c$conns GET /1k + $tunnel_workers CONNECT churners, $rules rules"
    echo "wrk:     $wrk_line"
    echo "tunnels: $churn_line"
    echo "samples (every 10 s):"
    column -t "$samples"
  } | tee -a "$report" >&2
  python3 - "$samples" "$soak_warmup" >"$work/growth.txt" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:] if l.strip()]
rows = [[float(x) for x in r] for r in rows if float(r[0]) >= float(sys.argv[2])]
if len(rows) < 3:
    print("growth n/a too_few_samples")
    sys.exit()
k = max(1, len(rows) // 3)
first, last = rows[:k], rows[-k:]
def med(rs, i): return statistics.median(r[i] for r in rs)
out = []
for name, i in (("rss_kib", 1), ("fds", 2), ("threads", 3)):
    out.append(f"{name} {med(first, i):.0f} {med(last, i):.0f} {max(r[i] for r in rows):.0f}")
print("growth " + " ".join(out) + f" samples={len(rows)}")
PY
  read -r _ _ rss_a rss_b rss_max _ fd_a fd_b fd_max _ th_a th_b _ nsamples <<<"$(cat "$work/growth.txt")"
  lost=$(metric "$admin" tollgate_audit_records_lost_total)
  rows=$((rows1 - rows0)) origin=$((origin1 - origin0)) answered=$((req1 - req0))
  {
    echo "after warm-up ($nsamples samples, medians of the first and last third):"
    echo "  RSS ${rss_a} -> ${rss_b} KiB (max $rss_max); descriptors $fd_a -> $fd_b (max $fd_max); threads $th_a -> $th_b"
    echo "audit: $rows rows; origin served $origin requests; proxy requests metric +$answered (includes tunnels); tunnels completed $tunnels_done (failed $churn_failed); lost $lost"
  } | tee -a "$report" >&2
  if [ "$rss_a" = n/a ]; then
    verdict 0 "soak too short to judge growth (fewer than 3 samples after warm-up)" | tee -a "$report" >&2
  else
    verdict "$(awk -v a="$rss_a" -v b="$rss_b" 'BEGIN { print (b <= a * 1.10 || b - a <= 4096) ? 1 : 0 }')" \
      "RSS does not grow after warm-up (${rss_a} -> ${rss_b} KiB)" | tee -a "$report" >&2
    verdict "$(awk -v a="$fd_a" -v b="$fd_b" 'BEGIN { print (b <= a * 1.10 || b - a <= 20) ? 1 : 0 }')" \
      "descriptors do not grow after warm-up ($fd_a -> $fd_b)" | tee -a "$report" >&2
    verdict "$([ "$th_a" = "$th_b" ] && echo 1 || echo 0)" "thread count is constant ($th_a -> $th_b)" | tee -a "$report" >&2
  fi
  # One row per answered request; a tunnel is one request with two rows (open, close).
  tunnel_rows=$(psql "postgresql://tollgate@127.0.0.1:$p_pg/tollgate" -XAt -c \
    "SELECT count(*) FILTER (WHERE event = 'tunnel_open') || ' ' || count(*) FILTER (WHERE event = 'tunnel_close') FROM audit_log WHERE instance = '${tg_inst[main]}'")
  echo "audit: tunnel_open/tunnel_close rows over the whole run: $tunnel_rows" | tee -a "$report" >&2
  read -r t_open t_close <<<"$tunnel_rows"
  verdict "$([ "$t_open" = "$t_close" ] && echo 1 || echo 0)" "every tunnel_open has its tunnel_close ($t_open, $t_close)" | tee -a "$report" >&2
  verdict "$([ "$rows" -eq $((answered + t_open)) ] 2>/dev/null && echo 1 || echo 0)" \
    "audit rows ($rows) = requests answered ($answered) + tunnel_open rows" | tee -a "$report" >&2
  verdict "$([ "$lost" = 0 ] && echo 1 || echo 0)" "tollgate_audit_records_lost_total = $lost" | tee -a "$report" >&2
fi

# --- 2. idle tunnels ----------------------------------------------------------------
if [ "$skip_idle" -eq 0 ]; then
  [ -n "$idle_tunnels" ] || idle_tunnels=$((max_conns - 100))
  settle main >/dev/null
  rss0=$(rss_kb "$pid"); fd0=$(fd_count "$pid")
  log "idle: opening $idle_tunnels tunnels (max_connections $max_conns, open-files limit $nofile)"
  fifo="$work/idle.stdin"; mkfifo "$fifo"
  python3 "$tunnels_py" idle "$proxy_port" "$p_sink" "$auth" "$idle_tunnels" <"$fifo" >"$work/idle.txt" 2>&1 &
  idle_pid=$!; extra_pids+=("$idle_pid")
  exec 7>"$fifo"  # held open: the tool waits for a line (or a signal) before checking and closing
  for _ in $(seq 600); do grep -q '^IDLE' "$work/idle.txt" && break; kill -0 "$idle_pid" 2>/dev/null || break; sleep 0.5; done
  idle_line="$(grep '^IDLE' "$work/idle.txt" || echo "IDLE missing: $(tail -n3 "$work/idle.txt")")"
  opened=$(sed -nE 's/.*open=([0-9]+).*/\1/p' <<<"$idle_line"); opened=${opened:-0}
  sleep 5  # let allocator and kernel settle
  rss1=$(rss_kb "$pid"); fd1=$(fd_count "$pid")
  active_tunnels=$(curl -s --max-time 5 "http://127.0.0.1:$admin/metrics" | awk '$1 == "tollgate_active_connections{kind=\"tunnel\"}" { print $NF + 0 }')
  served="$(wrk_run tollgate:main /1k 20 10s | grep '^RESULT' || echo "RESULT missing")"
  code=$(curl -s -o /dev/null -w '%{http_code}' -x "http://127.0.0.1:$proxy_port" -U "$bench_user:$bench_pw" "http://127.0.0.1:$p_origin/1k")
  echo >&7; exec 7>&-
  for _ in $(seq 240); do grep -q '^ALIVE' "$work/idle.txt" && break; kill -0 "$idle_pid" 2>/dev/null || break; sleep 0.5; done
  alive_line="$(grep '^ALIVE' "$work/idle.txt" || echo "ALIVE missing")"
  wait "$idle_pid" 2>/dev/null || true
  per_tunnel=$(awk -v a="$rss0" -v b="$rss1" -v n="$opened" 'BEGIN { if (n > 0) printf "%.1f", (b - a) / n; else print "n/a" }')
  {
    echo "== idle tunnels: $idle_tunnels asked (max_connections $max_conns from an open-files limit of $nofile; each tunnel needs 2 descriptors in the proxy)"
    echo "tunnels: $idle_line; active tunnel gauge $active_tunnels; proxy descriptors $fd0 -> $fd1"
    echo "RSS: $rss0 -> $rss1 KiB, $per_tunnel KiB per tunnel"
    echo "while held: wrk -c20 10s: $served; curl: $code"
    echo "after: $alive_line"
  } | tee -a "$report" >&2
  verdict "$([ "$opened" -eq "$idle_tunnels" ] && echo 1 || echo 0)" "all $idle_tunnels tunnels opened ($opened)" | tee -a "$report" >&2
  verdict "$(awk -v p="$per_tunnel" 'BEGIN { print (p != "n/a" && p < 32) ? 1 : 0 }')" "memory per idle tunnel under 32 KiB ($per_tunnel KiB)" | tee -a "$report" >&2
  verdict "$([ "$code" = 200 ] && grep -q 'non2xx=0' <<<"$served" && grep -q 'errors=0' <<<"$served" && echo 1 || echo 0)" \
    "new requests are served while the tunnels are held" | tee -a "$report" >&2
  verdict "$([ "$alive_line" = "ALIVE ok=$opened of $opened" ] && echo 1 || echo 0)" "every held tunnel still echoes" | tee -a "$report" >&2
  verdict "$([ "$(metric "$admin" tollgate_audit_records_lost_total)" = 0 ] && echo 1 || echo 0)" "no audit record lost" | tee -a "$report" >&2
fi

audit_total main
echo
echo "bench/soak.sh: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $("$tollgate" --version 2>&1 | head -n1)"
cat "$report"
grep '^kind=audit_total' "$results" || true
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$failures" -eq 0 ] || { echo "soak.sh: $failures verdict(s) failed"; exit 1; }
echo "soak.sh: every verdict holds"
