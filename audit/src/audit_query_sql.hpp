#pragma once
#include "tollgate/audit/audit_query.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::audit {

/// A statement and its parameters ($1, $2, ... in order), all sent as text: values
/// never become part of the SQL text.
struct sql_statement {
  std::string text;
  std::vector<std::string> params;
};

/// The columns every audit query selects, in the order read_audit_row() expects.
extern const char* const audit_select_columns;

/// `WHERE ...` for the filter (and the keyset position, when given), or "" when empty;
/// its values are appended to `params`. Every condition is sargable on one of
/// migration 0001's audit_log indexes.
std::string audit_where(const audit_filter& f, const std::optional<audit_cursor>& after,
                        std::vector<std::string>& params);

/// One search page: newest first, `limit + 1` rows so the caller knows if more follow.
sql_statement audit_search_sql(const audit_filter& f, const std::optional<audit_cursor>& after, std::size_t limit);

/// Every matching row, newest first (for a server-side cursor).
sql_statement audit_export_sql(const audit_filter& f);

/// Top users or hosts in [from, to) by requests.
sql_statement audit_top_sql(top_by by, time_point from, time_point to, std::size_t limit);

/// `reverse(suffix)` with LIKE wildcards escaped, followed by `%`: the pattern for
/// `reverse(host) LIKE ...`, which the reversed-host index answers.
std::string reversed_suffix_pattern(std::string_view suffix);

}  // namespace tollgate::audit
