#pragma once
#include "tollgate/admin_api/audit_query.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tollgate::admin_api {

/// A query parameter that cannot be used: answered 400 naming it.
struct param_error {
  std::string field;
  std::string message;
  std::string code = "bad_parameter";  ///< "bad_cursor" for cursors
};

enum class export_format { csv, ndjson };

struct audit_params {
  audit_filter filter;
  std::optional<audit_cursor> cursor;  ///< search only
  std::size_t limit = 100;             ///< search only: 1..1000
  export_format format = export_format::ndjson;  ///< export only
};

constexpr std::size_t max_page_limit = 1000;

/// Parses the (still percent-encoded) query of `GET /api/v1/audit` or, with
/// `for_export`, of `/api/v1/audit/export` (which takes `format` instead of
/// `limit`/`cursor`). Unknown or repeated parameters are errors, so a typo never
/// silently widens a search.
boost::system::result<audit_params, param_error> parse_audit_params(std::string_view query, bool for_export);

struct top_params {
  top_by by = top_by::user;
  time_point from;
  time_point to;
  std::size_t limit = 10;
};

/// `GET /api/v1/stats/top?by=user|host&from=&to=&limit=`: `by` is required; `to`
/// defaults to `now`, `from` to 24 hours before `to`.
boost::system::result<top_params, param_error> parse_top_params(std::string_view query, time_point now);

/// Only for routes that take no parameters: any parameter is an error.
std::optional<param_error> refuse_params(std::string_view query);

}  // namespace tollgate::admin_api
