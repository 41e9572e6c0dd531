#include "audit_query_sql.hpp"

#include "tollgate/audit/canonical.hpp"

namespace tollgate::audit {

const char* const audit_select_columns =
    "(extract(epoch FROM ts) * 1000000)::bigint AS ts_us, instance, seq, event, host(client_ip) AS client_ip, "
    "client_port, username, coalesce(array_to_json(groups)::text, '[]') AS groups, method, scheme, host, port, "
    "path, status, decision, rule_id, would_rule_id, policy_version, bytes_up, bytes_down, duration_us, "
    "host(upstream_ip) AS upstream_ip, user_agent, error, encode(prev_hash, 'hex') AS prev_hash, "
    "encode(hash, 'hex') AS hash";

namespace {

// Appends `value` to the parameters and names it: "$n".
std::string bind(std::vector<std::string>& params, std::string value) {
  params.push_back(std::move(value));
  return "$" + std::to_string(params.size());
}

std::string ts_param(std::int64_t us, std::vector<std::string>& params) {
  // Exact to the microsecond, folded to a constant by the planner.
  return "(timestamptz 'epoch' + " + bind(params, std::to_string(us)) + "::bigint * interval '1 microsecond')";
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

std::string audit_where(const audit_filter& f, const std::optional<audit_cursor>& after,
                        std::vector<std::string>& params) {
  std::string w;
  const auto add = [&](const std::string& cond) {
    w += w.empty() ? " WHERE " : " AND ";
    w += cond;
  };
  if (f.user) add("username = " + bind(params, *f.user));
  // The reversed-host index serves exact hosts too (migration 0002).
  if (f.host) add("reverse(host) = reverse(" + bind(params, *f.host) + "::text)");
  if (f.host_suffix) add("reverse(host) LIKE " + bind(params, reversed_suffix_pattern(*f.host_suffix)));
  if (f.decision) add("decision = " + bind(params, *f.decision));
  if (f.status) add("status = " + bind(params, std::to_string(*f.status)) + "::int");
  if (f.client_net) {
    if (f.client_net->find('/') != std::string::npos)
      add("client_ip <<= " + bind(params, *f.client_net) + "::inet");
    else
      add("client_ip = " + bind(params, *f.client_net) + "::inet");
  }
  if (f.from) add("ts >= " + ts_param(to_unix_micros(*f.from), params));
  if (f.to) add("ts < " + ts_param(to_unix_micros(*f.to), params));
  if (after) {
    // Bound one by one: the operands of `+` are evaluated in no set order.
    const auto ts = ts_param(after->ts_us, params);
    const auto instance = bind(params, after->instance);
    const auto seq = bind(params, std::to_string(after->seq));
    // Keyset on (ts DESC, instance ASC, seq ASC); `ts <= x` keeps it an index range.
    add("ts <= " + ts + " AND (ts < " + ts + " OR (instance, seq) > (" + instance + "::text, " + seq + "::bigint))");
  }
  return w;
}

sql_statement audit_search_sql(const audit_filter& f, const std::optional<audit_cursor>& after, std::size_t limit) {
  sql_statement s;
  const auto where = audit_where(f, after, s.params);
  const auto rows = bind(s.params, std::to_string(limit + 1));
  s.text = std::string("SELECT ") + audit_select_columns + " FROM audit_log" + where +
           " ORDER BY ts DESC, instance, seq LIMIT " + rows + "::bigint";
  return s;
}

sql_statement audit_export_sql(const audit_filter& f) {
  sql_statement s;
  s.text = std::string("SELECT ") + audit_select_columns + " FROM audit_log" +
           audit_where(f, std::nullopt, s.params) + " ORDER BY ts DESC, instance, seq";
  return s;
}

sql_statement audit_top_sql(top_by by, time_point from, time_point to, std::size_t limit) {
  // The key is one of two fixed column names, never a value.
  const std::string key = by == top_by::user ? "username" : "host";
  sql_statement s;
  const auto from_ts = ts_param(to_unix_micros(from), s.params);
  const auto to_ts = ts_param(to_unix_micros(to), s.params);
  const auto rows = bind(s.params, std::to_string(limit));
  s.text = "SELECT " + key + " AS key, count(*) AS requests, coalesce(sum(bytes_up), 0)::bigint AS bytes_up, " +
           "coalesce(sum(bytes_down), 0)::bigint AS bytes_down FROM audit_log WHERE ts >= " + from_ts +
           " AND ts < " + to_ts + " AND " + key + " IS NOT NULL AND " + key + " <> '' GROUP BY " + key +
           " ORDER BY requests DESC, key LIMIT " + rows + "::bigint";
  return s;
}

}  // namespace tollgate::audit
