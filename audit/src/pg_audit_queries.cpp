#include "tollgate/audit/pg_audit_queries.hpp"

#include "audit_query_sql.hpp"
#include "tollgate/audit/canonical.hpp"
#include "tollgate/pg/pool.hpp"
#include "tollgate/pg/transaction.hpp"

#include <boost/json/parse.hpp>
#include <pqxx/pqxx>

namespace tollgate::audit {

namespace {

constexpr std::size_t export_batch = 1000;

template <class T>
T or_default(const pqxx::field& f) {
  return f.is_null() ? T{} : f.as<T>();
}

template <class T>
std::optional<T> or_null(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<T>();
}

std::vector<std::uint8_t> hex_bytes(const pqxx::field& f) {
  std::vector<std::uint8_t> out;
  if (!f.is_null()) from_hex(f.c_str(), out);  // encode(…, 'hex') is always valid hex
  return out;
}

audit_record read_row(const pqxx::row& row) {
  audit_record r;
  r.ts = from_unix_micros(row["ts_us"].as<std::int64_t>());
  r.instance = row["instance"].as<std::string>();
  r.seq = row["seq"].as<std::int64_t>();
  const auto event = row["event"].as<std::string>();
  r.event = event == "tunnel_open"    ? audit_event::tunnel_open
            : event == "tunnel_close" ? audit_event::tunnel_close
                                      : audit_event::request;
  r.client_ip = or_default<std::string>(row["client_ip"]);
  r.client_port = static_cast<std::uint16_t>(or_default<int>(row["client_port"]));
  r.username = or_default<std::string>(row["username"]);
  // Keep the parsed document alive: iterating a temporary's array dangles.
  const auto groups = boost::json::parse(row["groups"].as<std::string>());
  for (const auto& g : groups.as_array())
    if (g.is_string()) r.groups.emplace_back(g.as_string());
  r.method = or_default<std::string>(row["method"]);
  r.scheme = or_default<std::string>(row["scheme"]);
  r.host = or_default<std::string>(row["host"]);
  r.port = static_cast<std::uint16_t>(or_default<int>(row["port"]));
  r.path = or_default<std::string>(row["path"]);
  r.status = or_default<int>(row["status"]);
  r.decision = row["decision"].as<std::string>();
  r.rule_id = or_null<std::int64_t>(row["rule_id"]);
  r.would_rule_id = or_null<std::int64_t>(row["would_rule_id"]);
  r.policy_version = or_default<std::int64_t>(row["policy_version"]);
  r.bytes_up = or_default<std::uint64_t>(row["bytes_up"]);
  r.bytes_down = or_default<std::uint64_t>(row["bytes_down"]);
  r.duration_us = or_default<std::uint64_t>(row["duration_us"]);
  r.upstream_ip = or_default<std::string>(row["upstream_ip"]);
  r.user_agent = or_default<std::string>(row["user_agent"]);
  r.error = or_default<std::string>(row["error"]);
  r.prev_hash = hex_bytes(row["prev_hash"]);
  r.hash = hex_bytes(row["hash"]);
  return r;
}

pqxx::result exec(pqxx::transaction_base& t, const sql_statement& s) {
  return t.exec_params(s.text, pqxx::prepare::make_dynamic_params(s.params));
}

class pg_audit_queries final : public audit_queries {
 public:
  pg_audit_queries(std::string dsn, std::size_t max) : pool_({.dsn = std::move(dsn), .max_connections = max}) {}

  audit_page search(const audit_filter& f, const std::optional<audit_cursor>& after, std::size_t limit) override {
    const auto rows = read([&](pqxx::read_transaction& t) {
      t.exec("SET LOCAL statement_timeout = '30s'");
      return exec(t, audit_search_sql(f, after, limit));
    });
    audit_page page;
    for (std::size_t i = 0; i < rows.size() && i < limit; ++i) page.items.push_back(read_row(rows[static_cast<int>(i)]));
    if (rows.size() > limit && !page.items.empty()) {
      const auto& last = page.items.back();
      page.next = audit_cursor{to_unix_micros(last.ts), last.instance, last.seq};
    }
    return page;
  }

  void export_rows(const audit_filter& f,
                   const std::function<bool(std::span<const audit_record>)>& sink) override {
    // Never retried: the sink has seen the first attempt's rows.
    pg::in_transaction<pqxx::read_transaction>(pool_, pg::retry::never, [&](pqxx::read_transaction& t) {
      // A server-side cursor: PostgreSQL hands over 1000 rows at a time, so neither
      // side ever holds the whole result.
      const auto query = audit_export_sql(f);
      exec(t, {"DECLARE audit_export NO SCROLL CURSOR FOR " + query.text, query.params});
      std::vector<audit_record> batch;
      batch.reserve(export_batch);
      for (;;) {
        const auto rows = t.exec("FETCH " + std::to_string(export_batch) + " FROM audit_export");
        if (rows.empty()) break;
        batch.clear();
        for (const auto& row : rows) batch.push_back(read_row(row));
        if (!sink(batch)) break;
      }
      t.exec("CLOSE audit_export");
    }).value();
  }

  std::vector<top_entry> top(top_by by, time_point from, time_point to, std::size_t limit) override {
    const auto rows = read([&](pqxx::read_transaction& t) {
      t.exec("SET LOCAL statement_timeout = '30s'");
      return exec(t, audit_top_sql(by, from, to, limit));
    });
    std::vector<top_entry> out;
    for (const auto& row : rows)
      out.push_back({row["key"].as<std::string>(), row["requests"].as<std::uint64_t>(),
                     row["bytes_up"].as<std::uint64_t>(), row["bytes_down"].as<std::uint64_t>()});
    return out;
  }

 private:
  // A read-only query, run again once on a fresh connection when a pooled one had
  // been closed by the server; throws (the API's 503) when it still fails.
  template <class F>
  pqxx::result read(F&& f) {
    return pg::in_transaction<pqxx::read_transaction>(pool_, pg::retry::on_connection_lost, std::forward<F>(f))
        .value();
  }

  pg::pool pool_;
};

}  // namespace

std::unique_ptr<audit_queries> make_pg_audit_queries(std::string dsn, std::size_t max_connections) {
  return std::make_unique<pg_audit_queries>(std::move(dsn), max_connections);
}

}  // namespace tollgate::audit
