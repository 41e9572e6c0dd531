#include "audit_sql.hpp"

#include "time_format.hpp"

#include <algorithm>

namespace tollgate::admin_api {

const char* const audit_select_columns =
    "(extract(epoch FROM ts) * 1000000)::bigint AS ts_us, instance, seq, event, host(client_ip) AS client_ip, "
    "client_port, username, coalesce(array_to_json(groups)::text, '[]') AS groups, method, scheme, host, port, "
    "path, status, decision, rule_id, would_rule_id, policy_version, bytes_up, bytes_down, duration_us, "
    "host(upstream_ip) AS upstream_ip, user_agent, error, encode(prev_hash, 'hex') AS prev_hash, "
    "encode(hash, 'hex') AS hash";

namespace {

std::string ts_literal(std::int64_t us, const sql_quote& q) {
  // Exact to the microsecond, folded to a constant by the planner.
  return "(timestamptz 'epoch' + " + q(std::to_string(us)) + "::bigint * interval '1 microsecond')";
}

}  // namespace

std::string reversed_suffix_pattern(std::string_view suffix) {
  std::string rev(suffix.rbegin(), suffix.rend());
  std::string out;
  for (const char c : rev) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  out += '%';
  return out;
}

std::string audit_where(const audit_filter& f, const std::optional<audit_cursor>& after, const sql_quote& q) {
  std::string w;
  const auto add = [&](const std::string& cond) {
    w += w.empty() ? " WHERE " : " AND ";
    w += cond;
  };
  if (f.user) add("username = " + q(*f.user));
  // The reversed-host index serves exact hosts too (migration 0002).
  if (f.host) add("reverse(host) = reverse(" + q(*f.host) + ")");
  if (f.host_suffix) add("reverse(host) LIKE " + q(reversed_suffix_pattern(*f.host_suffix)));
  if (f.decision) add("decision = " + q(*f.decision));
  if (f.status) add("status = " + std::to_string(*f.status));
  if (f.client_net) {
    if (f.client_net->find('/') != std::string::npos)
      add("client_ip <<= " + q(*f.client_net) + "::inet");
    else
      add("client_ip = " + q(*f.client_net) + "::inet");
  }
  if (f.from) add("ts >= " + ts_literal(to_unix_micros(*f.from), q));
  if (f.to) add("ts < " + ts_literal(to_unix_micros(*f.to), q));
  if (after) {
    const auto ts = ts_literal(after->ts_us, q);
    // Keyset on (ts DESC, instance ASC, seq ASC); `ts <= x` keeps it an index range.
    add("ts <= " + ts + " AND (ts < " + ts + " OR (instance, seq) > (" + q(after->instance) +
        ", " + std::to_string(after->seq) + "::bigint))");
  }
  return w;
}

std::string audit_search_sql(const audit_filter& f, const std::optional<audit_cursor>& after, std::size_t limit,
                             const sql_quote& q) {
  return std::string("SELECT ") + audit_select_columns + " FROM audit_log" + audit_where(f, after, q) +
         " ORDER BY ts DESC, instance, seq LIMIT " + std::to_string(limit + 1);
}

std::string audit_export_sql(const audit_filter& f, const sql_quote& q) {
  return std::string("SELECT ") + audit_select_columns + " FROM audit_log" + audit_where(f, std::nullopt, q) +
         " ORDER BY ts DESC, instance, seq";
}

std::string audit_top_sql(top_by by, time_point from, time_point to, std::size_t limit, const sql_quote& q) {
  const std::string key = by == top_by::user ? "username" : "host";
  return "SELECT " + key + " AS key, count(*) AS requests, coalesce(sum(bytes_up), 0)::bigint AS bytes_up, " +
         "coalesce(sum(bytes_down), 0)::bigint AS bytes_down FROM audit_log WHERE ts >= " +
         ts_literal(to_unix_micros(from), q) + " AND ts < " + ts_literal(to_unix_micros(to), q) + " AND " + key +
         " IS NOT NULL AND " + key + " <> '' GROUP BY " + key + " ORDER BY requests DESC, key LIMIT " +
         std::to_string(limit);
}

}  // namespace tollgate::admin_api
