#include "pg_pool.hpp"
#include "tollgate/admin_api/postgres.hpp"

#include <boost/json/serialize.hpp>
#include <pqxx/transaction>

namespace tollgate::admin_api {

namespace {

class pg_admin_action_log final : public admin_action_log {
 public:
  pg_admin_action_log(std::string dsn, std::size_t max) : pool_(std::move(dsn), max) {}

  void record(const admin_action& a) override {
    auto conn = pool_.acquire();
    pqxx::work w(*conn);
    const auto text_or_null = [&](const std::string& s) { return s.empty() ? std::string("NULL") : w.quote(s); };
    const auto json_or_null = [&](const std::optional<boost::json::value>& v) {
      return v ? w.quote(boost::json::serialize(*v)) + "::jsonb" : std::string("NULL");
    };
    w.exec("SET LOCAL statement_timeout = '10s'");
    w.exec("INSERT INTO admin_actions (actor, role, action, target, before, after, client_ip) VALUES (" +
           w.quote(a.actor) + ", " + w.quote(a.role) + ", " + w.quote(a.action) + ", " + text_or_null(a.target) +
           ", " + json_or_null(a.before) + ", " + json_or_null(a.after) + ", " +
           (a.client_ip.empty() ? std::string("NULL") : w.quote(a.client_ip) + "::inet") + ")");
    w.commit();
    conn.healthy();
  }

 private:
  pg_pool pool_;
};

}  // namespace

std::unique_ptr<admin_action_log> make_pg_admin_action_log(std::string dsn, std::size_t max_connections) {
  return std::make_unique<pg_admin_action_log>(std::move(dsn), max_connections);
}

}  // namespace tollgate::admin_api
