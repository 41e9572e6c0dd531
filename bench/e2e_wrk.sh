#!/usr/bin/env bash
# End-to-end proxy benchmark (issue 3): wrk against the origin directly and through the
# proxy, for 1 KiB and 100 KiB bodies, in the same run; prints requests/s, p50, p99
# and the ratio to direct.
#   bench/e2e_wrk.sh [BUILD_DIR] [DURATION]        (defaults: build-proxy, 10s)
# The origin is the test origin (tests/integration/proxy/test_origin); the proxy is
# the proxy testbed (the real proxy core with in-memory authenticator/policy/audit).
# Targets on a 2-core machine: ratio >= 0.55 (1 KiB), >= 0.45 (100 KiB), p99 < 5 ms (1 KiB).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build-proxy}"
duration="${2:-10s}"
threads="${WRK_THREADS:-2}"
conns="${WRK_CONNECTIONS:-50}"
origin_bin="$build/tests/integration/proxy/test_origin"
proxy_bin="$build/tests/integration/proxy/proxy_testbed"
lua="$root/bench/proxy_wrk.lua"
for b in "$origin_bin" "$proxy_bin"; do
  [ -x "$b" ] || { echo "missing $b (ninja -C $build test_origin proxy_testbed)" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "wrk not installed (scripts/install-deps.sh)" >&2; exit 2; }

work="$(mktemp -d /tmp/tollgate-bench.XXXXXX)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_file() { for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; echo "timeout waiting for $1" >&2; exit 1; }

"$origin_bin" "$work/origin.ports" >"$work/origin.log" 2>&1 &
origin_pid=$!
pids+=($origin_pid)
wait_file "$work/origin.ports"
origin_port="$(sed -E 's/.*http=([0-9]+).*/\1/' "$work/origin.ports")"

cat >"$work/proxy.conf" <<CONF
listen=127.0.0.1:0
io_threads=${PROXY_IO_THREADS:-0}
user=bench:bench-pw:staff
allow_cidr=127.0.0.1/32
audit_file=
port_file=$work/proxy.port
CONF
"$proxy_bin" "$work/proxy.conf" >"$work/proxy.log" 2>&1 &
proxy_pid=$!
pids+=($proxy_pid)
wait_file "$work/proxy.port"
proxy_port="$(cat "$work/proxy.port")"
auth="Basic $(printf 'bench:bench-pw' | base64)"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() {  # name url path host auth
  local out p0 o0 p1 o1
  p0="$(cpu_ticks "$proxy_pid")"; o0="$(cpu_ticks "$origin_pid")"
  out="$(WRK_PATH="$3" WRK_HOST="$4" WRK_PROXY_AUTH="$5" wrk -t"$threads" -c"$conns" -d"$duration" -s "$lua" "$2" 2>&1)"
  p1="$(cpu_ticks "$proxy_pid")"; o1="$(cpu_ticks "$origin_pid")"
  local line
  line="$(grep '^RESULT' <<<"$out" || true)"
  [ -n "$line" ] || { echo "wrk failed: $out" >&2; exit 1; }
  # CPU time per request of each server process: a figure that other load on the
  # machine disturbs far less than requests/s.
  local n tck
  n="$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")"
  tck="$(getconf CLK_TCK)"
  echo "$1 $line proxy_cpu_us=$(awk -v d=$((p1 - p0)) -v n="$n" -v t="$tck" 'BEGIN { printf "%.1f", d * 1e6 / t / n }') origin_cpu_us=$(awk -v d=$((o1 - o0)) -v n="$n" -v t="$tck" 'BEGIN { printf "%.1f", d * 1e6 / t / n }')"
}

declare -A rps p50 p99 pcpu
summary=()
for size in 1024 102400; do
  path="/bytes/$size"
  # Warm-up (pools, caches), not reported.
  WRK_PATH="http://127.0.0.1:$origin_port$path" WRK_HOST="127.0.0.1:$origin_port" WRK_PROXY_AUTH="$auth" \
    wrk -t"$threads" -c"$conns" -d2s -s "$lua" "http://127.0.0.1:$proxy_port" >/dev/null 2>&1
  d="$(run "direct-$size" "http://127.0.0.1:$origin_port" "$path" "127.0.0.1:$origin_port" "")"
  p="$(run "proxy-$size" "http://127.0.0.1:$proxy_port" "http://127.0.0.1:$origin_port$path" "127.0.0.1:$origin_port" "$auth")"
  echo "$d"
  echo "$p"
  for line in "$d" "$p"; do
    name="${line%% *}"
    rps[$name]="$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$line")"
    pcpu[$name]="$(sed -E 's/.*proxy_cpu_us=([0-9.]+).*/\1/' <<<"$line")"
    p50[$name]="$(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$line")"
    p99[$name]="$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$line")"
    if grep -qE 'errors=[1-9]|non2xx=[1-9]' <<<"$line"; then echo "WARNING: $name had errors: $line" >&2; fi
  done
done

echo
printf '%-14s %12s %10s %10s %8s %18s\n' "run" "req/s" "p50 ms" "p99 ms" "ratio" "cpu us/req (proxy)"
for size in 1024 102400; do
  for kind in direct proxy; do
    name="$kind-$size"
    ratio="$(awk -v a="${rps[$name]}" -v b="${rps[direct-$size]}" 'BEGIN { printf "%.2f", a / b }')"
    printf '%-14s %12s %10s %10s %8s %18s\n' "$name" "${rps[$name]}" "${p50[$name]}" "${p99[$name]}" "$ratio" "${pcpu[$name]}"
  done
done
echo "proxy peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$proxy_pid/status)"
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine lowers the proxy's ratio most)"
