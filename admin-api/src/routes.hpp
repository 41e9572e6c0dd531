#pragma once
#include "access.hpp"

#include <boost/beast/http/verb.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::admin_api {

enum class route_id {
  healthz,
  readyz,
  metrics,
  rules_list,
  rules_create,
  rule_get,
  rule_replace,
  rule_delete,
  policy_test,
  audit_search,
  audit_export,
  audit_verify,
  connections,
  stats_top,
  auth_cache_flush,
  reload,
};

/// One row of the route table: the single place that says what the server answers.
struct route_def {
  boost::beast::http::verb method;
  std::string_view path;  ///< OpenAPI form: "/api/v1/rules/{id}"
  route_id id;
  access needs;
  bool writes;  ///< recorded in admin_actions
};

std::span<const route_def> all_routes() noexcept;

enum class match_status { found, not_found, method_not_allowed };

struct route_match {
  match_status status = match_status::not_found;
  const route_def* route = nullptr;  ///< when found
  std::optional<std::int64_t> id;    ///< the {id} segment, when the path has one
  std::string allow;                 ///< "GET, PUT, DELETE" when method_not_allowed
};

/// Matches a decoded path (no query). `{id}` accepts 1..18 decimal digits only, so a
/// path with anything else there is simply not found.
route_match match_route(boost::beast::http::verb method, std::string_view path);

}  // namespace tollgate::admin_api
