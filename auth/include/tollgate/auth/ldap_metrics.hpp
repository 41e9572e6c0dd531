#pragma once
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace tollgate::auth {

/// The authenticator's metrics, registered once on the process's registry.
/// The registry must outlive this object.
struct ldap_metrics {
  explicit ldap_metrics(prometheus::Registry& registry);

  prometheus::Counter& auth_ok;                ///< tollgate_auth_total{result="ok"}
  prometheus::Counter& auth_bad_credentials;   ///< tollgate_auth_total{result="bad_credentials"}
  prometheus::Counter& auth_locked_out;        ///< tollgate_auth_total{result="locked_out"}
  prometheus::Counter& auth_unavailable;       ///< tollgate_auth_total{result="unavailable"}
  prometheus::Counter& cache_hit;              ///< tollgate_auth_cache_total{result="hit"}
  prometheus::Counter& cache_miss;             ///< tollgate_auth_cache_total{result="miss"}
  prometheus::Counter& cache_negative;         ///< tollgate_auth_cache_total{result="negative"}
  prometheus::Histogram& ldap_request_duration;  ///< tollgate_ldap_request_duration_seconds, one directory check
  prometheus::Counter& ldap_errors;            ///< tollgate_ldap_errors_total
  prometheus::Counter& lockout_full;           ///< tollgate_auth_lockout_full_total
};

}  // namespace tollgate::auth
