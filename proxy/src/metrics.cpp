#include "metrics.hpp"

namespace tollgate::proxy::detail {
namespace {

prometheus::Family<prometheus::Counter>& requests_family(prometheus::Registry& r) {
  return prometheus::BuildCounter()
      .Name("tollgate_requests_total")
      .Help("Requests by the decision that ended them")
      .Register(r);
}
prometheus::Family<prometheus::Gauge>& active_family(prometheus::Registry& r) {
  return prometheus::BuildGauge()
      .Name("tollgate_active_connections")
      .Help("Open client connections by kind")
      .Register(r);
}
prometheus::Family<prometheus::Counter>& upstream_family(prometheus::Registry& r) {
  return prometheus::BuildCounter()
      .Name("tollgate_upstream_errors_total")
      .Help("Failures reaching or reading from upstream servers, by kind")
      .Register(r);
}
prometheus::Family<prometheus::Counter>& bytes_family(prometheus::Registry& r) {
  return prometheus::BuildCounter()
      .Name("tollgate_bytes_total")
      .Help("Bytes relayed; up = client to upstream, down = upstream to client")
      .Register(r);
}
prometheus::Histogram& duration(prometheus::Registry& r) {
  return prometheus::BuildHistogram()
      .Name("tollgate_request_duration_seconds")
      .Help("Time from request head to the end of the response")
      .Register(r)
      .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                       0.25, 0.5, 1, 2.5, 5, 10, 30, 60});
}

}  // namespace

metrics::metrics(prometheus::Registry& r)
    : requests_allow(requests_family(r).Add({{"decision", "allow"}})),
      requests_deny(requests_family(r).Add({{"decision", "deny"}})),
      requests_auth_required(requests_family(r).Add({{"decision", "auth_required"}})),
      requests_auth_failed(requests_family(r).Add({{"decision", "auth_failed"}})),
      requests_error(requests_family(r).Add({{"decision", "error"}})),
      request_duration(duration(r)),
      active_http(active_family(r).Add({{"kind", "http"}})),
      active_tunnel(active_family(r).Add({{"kind", "tunnel"}})),
      upstream_dns(upstream_family(r).Add({{"kind", "dns"}})),
      upstream_connect_refused(upstream_family(r).Add({{"kind", "connect_refused"}})),
      upstream_connect_timeout(upstream_family(r).Add({{"kind", "connect_timeout"}})),
      upstream_reset(upstream_family(r).Add({{"kind", "reset"}})),
      upstream_timeout(upstream_family(r).Add({{"kind", "timeout"}})),
      upstream_bad_response(upstream_family(r).Add({{"kind", "bad_response"}})),
      client_rejected(prometheus::BuildCounter()
                          .Name("tollgate_connections_rejected_total")
                          .Help("Client connections closed at accept because max_connections was reached")
                          .Register(r)
                          .Add({})),
      bytes_up(bytes_family(r).Add({{"direction", "up"}})),
      bytes_down(bytes_family(r).Add({{"direction", "down"}})) {}

prometheus::Counter& metrics::requests_for(decision d) {
  switch (d) {
    case decision::allow:
      return requests_allow;
    case decision::deny:
      return requests_deny;
    case decision::auth_required:
      return requests_auth_required;
    case decision::auth_failed:
      return requests_auth_failed;
    case decision::error:
      break;
  }
  return requests_error;
}

}  // namespace tollgate::proxy::detail
