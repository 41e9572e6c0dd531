#include "tollgate/admin_api/postgres.hpp"

#include "tollgate/audit/admin_actions.hpp"
#include "tollgate/pg/pool.hpp"
#include "tollgate/pg/transaction.hpp"

#include <boost/json/serialize.hpp>

namespace tollgate::admin_api {

namespace {

class pg_admin_action_log final : public admin_action_log {
 public:
  pg_admin_action_log(std::string dsn, std::size_t max) : pool_({.dsn = std::move(dsn), .max_connections = max}) {}

  void record(const admin_action& a) override {
    const auto json_or_empty = [](const std::optional<boost::json::value>& v) {
      return v ? boost::json::serialize(*v) : std::string();
    };
    const audit::admin_action_row row{.actor = a.actor,
                                      .role = a.role,
                                      .action = a.action,
                                      .target = a.target,
                                      .before = json_or_empty(a.before),
                                      .after = json_or_empty(a.after),
                                      .client_ip = a.client_ip};
    // Retried once on a lost connection: nothing outside the transaction happens twice.
    pg::in_transaction(pool_, pg::retry::on_connection_lost, [&](pqxx::work& w) {
      w.exec("SET LOCAL statement_timeout = '10s'");
      audit::record_admin_action(w, row);
    }).value();
  }

 private:
  pg::pool pool_;
};

}  // namespace

std::unique_ptr<admin_action_log> make_pg_admin_action_log(std::string dsn, std::size_t max_connections) {
  return std::make_unique<pg_admin_action_log>(std::move(dsn), max_connections);
}

}  // namespace tollgate::admin_api
