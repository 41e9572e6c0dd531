#pragma once
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "decision.hpp"

namespace tollgate::proxy::detail {

/// Every metric the proxy exports, registered once in the injected registry.
/// Label values are fixed words: never user names or hosts.
struct metrics {
  explicit metrics(prometheus::Registry& r);

  /// tollgate_requests_total{decision}
  prometheus::Counter& requests_allow;
  prometheus::Counter& requests_deny;
  prometheus::Counter& requests_auth_required;
  prometheus::Counter& requests_auth_failed;
  prometheus::Counter& requests_error;
  prometheus::Counter& requests_for(decision d);

  prometheus::Histogram& request_duration;  ///< tollgate_request_duration_seconds

  prometheus::Gauge& active_http;    ///< tollgate_active_connections{kind="http"}
  prometheus::Gauge& active_tunnel;  ///< tollgate_active_connections{kind="tunnel"}

  /// tollgate_upstream_errors_total{kind}
  prometheus::Counter& upstream_dns;
  prometheus::Counter& upstream_connect_refused;
  prometheus::Counter& upstream_connect_timeout;
  prometheus::Counter& upstream_reset;
  prometheus::Counter& upstream_timeout;
  prometheus::Counter& upstream_bad_response;
  /// Connections closed at accept because max_connections was reached.
  prometheus::Counter& client_rejected;

  prometheus::Counter& bytes_up;    ///< tollgate_bytes_total{direction="up"} (client to upstream)
  prometheus::Counter& bytes_down;  ///< tollgate_bytes_total{direction="down"}
};

}  // namespace tollgate::proxy::detail
