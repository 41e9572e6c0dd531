-- wrk script for bench/e2e_wrk.sh: absolute-form requests through a forward proxy.
-- Environment: WRK_PATH (request target; absolute URL when going through the proxy),
-- WRK_HOST (Host header), WRK_PROXY_AUTH (Proxy-Authorization value, optional).
wrk.method = "GET"
wrk.path = os.getenv("WRK_PATH") or "/"
local host = os.getenv("WRK_HOST")
if host then wrk.headers["Host"] = host end
local auth = os.getenv("WRK_PROXY_AUTH")
if auth and auth ~= "" then wrk.headers["Proxy-Authorization"] = auth end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT rps=%.0f p50_ms=%.3f p99_ms=%.3f requests=%d errors=%d non2xx=%d\n",
    summary.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, summary.errors.status))
end
