#include "routes.hpp"

#include <array>
#include <charconv>

namespace tollgate::admin_api {

namespace {

using boost::beast::http::verb;

constexpr std::array routes{
    route_def{verb::get, "/healthz", route_id::healthz, access::open, false},
    route_def{verb::get, "/readyz", route_id::readyz, access::open, false},
    route_def{verb::get, "/metrics", route_id::metrics, access::metrics, false},
    route_def{verb::get, "/api/v1/rules", route_id::rules_list, access::admin, false},
    route_def{verb::post, "/api/v1/rules", route_id::rules_create, access::admin, true},
    route_def{verb::get, "/api/v1/rules/{id}", route_id::rule_get, access::admin, false},
    route_def{verb::put, "/api/v1/rules/{id}", route_id::rule_replace, access::admin, true},
    route_def{verb::delete_, "/api/v1/rules/{id}", route_id::rule_delete, access::admin, true},
    route_def{verb::post, "/api/v1/policy/test", route_id::policy_test, access::admin, false},
    route_def{verb::get, "/api/v1/audit", route_id::audit_search, access::auditor, false},
    route_def{verb::get, "/api/v1/audit/export", route_id::audit_export, access::auditor, false},
    route_def{verb::get, "/api/v1/audit/verify", route_id::audit_verify, access::auditor, false},
    route_def{verb::get, "/api/v1/connections", route_id::connections, access::auditor, false},
    route_def{verb::get, "/api/v1/stats/top", route_id::stats_top, access::auditor, false},
    route_def{verb::post, "/api/v1/auth/cache/flush", route_id::auth_cache_flush, access::admin, true},
    route_def{verb::post, "/api/v1/reload", route_id::reload, access::admin, true},
};

// Matches `path` against a template; fills `id` from a "{id}" segment.
bool matches(std::string_view tmpl, std::string_view path, std::optional<std::int64_t>& id) {
  const auto brace = tmpl.find("{id}");
  if (brace == std::string_view::npos) return tmpl == path;
  const auto prefix = tmpl.substr(0, brace);
  const auto suffix = tmpl.substr(brace + 4);
  if (!path.starts_with(prefix) || !path.ends_with(suffix) || path.size() <= prefix.size() + suffix.size())
    return false;
  const auto digits = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (digits.size() > 18) return false;
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || p != digits.data() + digits.size() || digits.front() == '-' || digits.front() == '+')
    return false;
  id = v;
  return true;
}

}  // namespace

std::span<const route_def> all_routes() noexcept { return routes; }

route_match match_route(verb method, std::string_view path) {
  route_match m;
  for (const auto& r : routes) {
    std::optional<std::int64_t> id;
    if (!matches(r.path, path, id)) continue;
    if (r.method == method) {
      m.status = match_status::found;
      m.route = &r;
      m.id = id;
      m.allow.clear();
      return m;
    }
    m.status = match_status::method_not_allowed;
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += std::string(boost::beast::http::to_string(r.method));
  }
  return m;
}

}  // namespace tollgate::admin_api
