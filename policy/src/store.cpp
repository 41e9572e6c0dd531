#include "tollgate/policy/store.hpp"

#include "store_sql.hpp"
#include "tollgate/pg/connect.hpp"

#include <pqxx/pqxx>

#include <mutex>
#include <stdexcept>

namespace tollgate::policy {
namespace {

store_error unavailable(const std::string& what) { return {store_errc::unavailable, what, {}}; }

}  // namespace

void throw_exception_from_error(const store_error& e, const boost::source_location&) {
  throw std::runtime_error("policy store: " + e.message);
}

struct policy_store::impl {
  std::string dsn;
  std::mutex mutex;
  std::unique_ptr<pqxx::connection> conn;  // guarded by mutex; null until first use or after a failure

  // Runs `body(connection)` under the lock, translating libpqxx exceptions into
  // store errors. A broken connection is dropped and opened afresh on the next call.
  template <class T, class Body>
  store_result<T> run(Body&& body) {
    std::lock_guard lock(mutex);
    try {
      if (!conn || !conn->is_open()) {
        auto made = pg::connect(dsn);
        if (!made) return unavailable("PostgreSQL connection lost: " + made.error().message);
        conn = std::move(*made);
      }
      return body(*conn);
    } catch (const pqxx::broken_connection& e) {
      conn.reset();
      return unavailable(std::string("PostgreSQL connection lost: ") + e.what());
    } catch (const pqxx::check_violation& e) {
      return store_error{store_errc::invalid, e.what(), {}};
    } catch (const std::exception& e) {
      return unavailable(e.what());
    }
  }
};

policy_store::policy_store(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
policy_store::~policy_store() = default;

std::unique_ptr<policy_store> policy_store::create(std::string dsn) {
  auto i = std::make_unique<impl>();
  i->dsn = std::move(dsn);
  return std::unique_ptr<policy_store>(new policy_store(std::move(i)));
}

store_result<policy_snapshot> policy_store::load() {
  return impl_->run<policy_snapshot>([](pqxx::connection& c) -> store_result<policy_snapshot> {
    return detail::load_snapshot(c);
  });
}

store_result<std::vector<rule>> policy_store::list() {
  return impl_->run<std::vector<rule>>([](pqxx::connection& c) -> store_result<std::vector<rule>> {
    pqxx::read_transaction tx(c, "list");
    auto rules = detail::select_rules(tx);
    tx.commit();
    return rules;
  });
}

store_result<rule> policy_store::get(std::int64_t id) {
  return impl_->run<rule>([id](pqxx::connection& c) -> store_result<rule> {
    pqxx::read_transaction tx(c, "get");
    auto rules = detail::select_rules(tx, id);
    tx.commit();
    if (rules.empty()) return store_error{store_errc::not_found, "no rule " + std::to_string(id), {}};
    return std::move(rules.front());
  });
}

store_result<rule> policy_store::create(const rule& r, const std::optional<change_actor>& who) {
  if (auto problems = validate_rule(r); !problems.empty()) {
    return store_error{store_errc::invalid, "invalid rule", std::move(problems)};
  }
  return impl_->run<rule>([&](pqxx::connection& c) -> store_result<rule> {
    pqxx::work tx(c, "create");
    auto stored = detail::insert_rule(tx, r);
    if (who) detail::record_change(tx, *who, "rule.create", stored.id, std::nullopt, stored);
    tx.commit();
    return stored;
  });
}

store_result<rule> policy_store::update(std::int64_t id, const rule& r, std::int64_t expected_version,
                                        const std::optional<change_actor>& who) {
  if (auto problems = validate_rule(r); !problems.empty()) {
    return store_error{store_errc::invalid, "invalid rule", std::move(problems)};
  }
  return impl_->run<rule>([&](pqxx::connection& c) -> store_result<rule> {
    pqxx::work tx(c, "update");
    // The UPDATE below re-checks the version under the row lock; this read names
    // the current version in a conflict and is the record's "before".
    auto before = detail::select_rules(tx, id);
    if (before.empty()) return store_error{store_errc::not_found, "no rule " + std::to_string(id), {}};
    auto stored = detail::update_rule(tx, id, r, expected_version);
    if (!stored) {
      return store_error{store_errc::conflict,
                         "rule " + std::to_string(id) + " is at version " + std::to_string(before.front().version) +
                             ", not " + std::to_string(expected_version),
                         {}};
    }
    if (who) detail::record_change(tx, *who, "rule.update", id, before.front(), *stored);
    tx.commit();
    return std::move(*stored);
  });
}

store_result<void> policy_store::remove(std::int64_t id, std::int64_t expected_version,
                                        const std::optional<change_actor>& who) {
  return impl_->run<void>([&](pqxx::connection& c) -> store_result<void> {
    pqxx::work tx(c, "remove");
    auto before = detail::select_rules(tx, id);
    if (before.empty()) return store_error{store_errc::not_found, "no rule " + std::to_string(id), {}};
    if (!detail::delete_rule(tx, id, expected_version)) {
      return store_error{store_errc::conflict,
                         "rule " + std::to_string(id) + " is at version " + std::to_string(before.front().version) +
                             ", not " + std::to_string(expected_version),
                         {}};
    }
    if (who) detail::record_change(tx, *who, "rule.delete", id, before.front(), std::nullopt);
    tx.commit();
    return {};
  });
}

store_result<std::size_t> policy_store::bootstrap(const std::vector<rule>& rules) {
  std::vector<rule_problem> problems;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    for (auto& p : validate_rule(rules[i])) {
      problems.push_back({"rules[" + std::to_string(i) + "]." + p.field, std::move(p.message)});
    }
  }
  if (!problems.empty()) return store_error{store_errc::invalid, "invalid bootstrap rules", std::move(problems)};
  return impl_->run<std::size_t>([&](pqxx::connection& c) -> store_result<std::size_t> {
    pqxx::work tx(c, "bootstrap");
    // Instances starting together: the second waits here, then sees the rules.
    tx.exec("LOCK TABLE rules IN SHARE ROW EXCLUSIVE MODE");
    if (tx.exec1("SELECT EXISTS (SELECT 1 FROM rules)")[0].as<bool>()) return std::size_t{0};
    detail::insert_rules(tx, rules);
    tx.commit();
    return rules.size();
  });
}

}  // namespace tollgate::policy
