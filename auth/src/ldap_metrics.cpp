#include "tollgate/auth/ldap_metrics.hpp"

namespace tollgate::auth {
namespace {

prometheus::Family<prometheus::Counter>& auth_family(prometheus::Registry& r) {
  return prometheus::BuildCounter().Name("tollgate_auth_total").Help("Authentication outcomes").Register(r);
}
prometheus::Family<prometheus::Counter>& cache_family(prometheus::Registry& r) {
  return prometheus::BuildCounter()
      .Name("tollgate_auth_cache_total")
      .Help("Credential cache lookups by result")
      .Register(r);
}

}  // namespace

ldap_metrics::ldap_metrics(prometheus::Registry& registry)
    : auth_ok(auth_family(registry).Add({{"result", "ok"}})),
      auth_bad_credentials(auth_family(registry).Add({{"result", "bad_credentials"}})),
      auth_locked_out(auth_family(registry).Add({{"result", "locked_out"}})),
      auth_unavailable(auth_family(registry).Add({{"result", "unavailable"}})),
      cache_hit(cache_family(registry).Add({{"result", "hit"}})),
      cache_miss(cache_family(registry).Add({{"result", "miss"}})),
      cache_negative(cache_family(registry).Add({{"result", "negative"}})),
      ldap_request_duration(prometheus::BuildHistogram()
                                .Name("tollgate_ldap_request_duration_seconds")
                                .Help("Duration of one directory check (search, bind, groups)")
                                .Register(registry)
                                .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                                                0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                                                                5, 10})),
      ldap_errors(prometheus::BuildCounter()
                      .Name("tollgate_ldap_errors_total")
                      .Help("LDAP errors other than refused credentials (unreachable, timeouts, protocol)")
                      .Register(registry)
                      .Add({})),
      lockout_full(prometheus::BuildCounter()
                       .Name("tollgate_auth_lockout_full_total")
                       .Help("Logins refused without a directory check, or failures left uncounted, because a "
                             "lockout table was full of active locks")
                       .Register(registry)
                       .Add({})) {}

}  // namespace tollgate::auth
