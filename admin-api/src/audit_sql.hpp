#pragma once
#include "tollgate/admin_api/audit_query.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tollgate::admin_api {

/// Turns a value into a safe SQL string literal (libpqxx's quote() in production).
using sql_quote = std::function<std::string(std::string_view)>;

/// The columns every audit query selects, in the order read_audit_row() expects.
extern const char* const audit_select_columns;

/// `WHERE ...` for the filter (and the keyset position, when given), or "" when empty.
/// Every condition is sargable on one of migration 0001's audit_log indexes.
std::string audit_where(const audit_filter& f, const std::optional<audit_cursor>& after, const sql_quote& q);

/// One search page: newest first, `limit + 1` rows so the caller knows if more follow.
std::string audit_search_sql(const audit_filter& f, const std::optional<audit_cursor>& after, std::size_t limit,
                             const sql_quote& q);

/// Every matching row, newest first (for a server-side cursor).
std::string audit_export_sql(const audit_filter& f, const sql_quote& q);

/// Top users or hosts in [from, to) by requests.
std::string audit_top_sql(top_by by, time_point from, time_point to, std::size_t limit, const sql_quote& q);

/// `reverse(suffix)` with LIKE wildcards escaped, followed by `%`: the pattern for
/// `reverse(host) LIKE ...`, which the reversed-host index answers.
std::string reversed_suffix_pattern(std::string_view suffix);

}  // namespace tollgate::admin_api
