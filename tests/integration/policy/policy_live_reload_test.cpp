// Two independent instances (own engine, own watcher connection, own store connection)
// on one database: a change made through one is enforced by the other within a second;
// a lost PostgreSQL keeps the last good policy deciding and is recovered from.
#include "tollgate/policy/watcher.hpp"

#include "tollgate/policy/store.hpp"
#include "tollgate/testing/services_environment.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace tollgate::policy {
namespace {

using namespace std::chrono_literals;
using tollgate::testing::services_environment;

struct instance {
  std::shared_ptr<policy_engine> engine = std::make_shared<policy_engine>();
  std::unique_ptr<policy_store> store;
  std::unique_ptr<policy_watcher> watcher;
  std::atomic<int> errors{0};

  explicit instance(const std::string& dsn, std::chrono::milliseconds resync = 5s) {
    store = policy_store::create(dsn);
    policy_watcher_options o;
    o.dsn = dsn;
    o.resync_interval = resync;
    o.reconnect_min = 50ms;
    o.reconnect_max = 400ms;
    o.on_error = [this](std::string_view) { ++errors; };
    watcher = policy_watcher::start(std::move(o), engine);
  }
};

identity engineer() { return {"alice", {"engineering"}}; }

request_facts get(const std::string& host) {
  request_facts f;
  f.method = "GET";
  f.host = host;
  f.port = 443;
  f.path = "/";
  f.when = std::chrono::system_clock::now();
  return f;
}

rule allow_host(const std::string& host) {
  rule r;
  r.action = policy_action::allow;
  r.hosts = {host};
  return r;
}

// Polls until `pred` holds; returns how long that took, or nullopt at the deadline.
template <class Pred>
std::optional<std::chrono::milliseconds> time_until(Pred pred, std::chrono::milliseconds deadline) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < deadline) {
    if (pred()) return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    std::this_thread::sleep_for(2ms);
  }
  return std::nullopt;
}

class policy_live_reload_test : public ::testing::Test {
 protected:
  void SetUp() override {
    TOLLGATE_REQUIRE_SERVICES();
    services_environment::postgres().psql("TRUNCATE rules");
  }
};

TEST_F(policy_live_reload_test, a_rule_created_on_one_instance_is_enforced_by_the_other_within_a_second) {
  const auto dsn = services_environment::postgres().owner_dsn();
  // A long resync interval: only LISTEN/NOTIFY can make the second deadline.
  instance a(dsn, 60s);
  instance b(dsn, 60s);
  ASSERT_TRUE(a.watcher->wait_until_loaded(10s));
  ASSERT_TRUE(b.watcher->wait_until_loaded(10s));
  EXPECT_EQ(b.engine->decide(engineer(), get("news.example")).action, policy_action::deny);

  const auto created = a.store->create(allow_host("news.example"));
  ASSERT_TRUE(created.has_value()) << created.error().message;
  const auto took = time_until(
      [&] {
        const auto d = b.engine->decide(engineer(), get("news.example"));
        return d.action == policy_action::allow && d.rule_id == created->id;
      },
      1s);
  ASSERT_TRUE(took.has_value()) << "instance b did not enforce the new rule within 1 s";
  std::cout << "[ measure  ] rule created on a enforced by b after " << took->count() << " ms\n";
  EXPECT_EQ(b.engine->decide(engineer(), get("news.example")).version, a.store->load().value().version);

  // And the other way round: a deletion through b reaches a.
  ASSERT_TRUE(b.store->remove(created->id, created->version).has_value());
  EXPECT_TRUE(time_until([&] { return a.engine->decide(engineer(), get("news.example")).action == policy_action::deny; },
                         1s)
                  .has_value());
}

TEST_F(policy_live_reload_test, decisions_in_flight_never_see_a_half_built_policy) {
  const auto dsn = services_environment::postgres().owner_dsn();
  instance a(dsn);
  instance b(dsn);
  ASSERT_TRUE(b.watcher->wait_until_loaded(10s));
  std::atomic<bool> stop{false};
  std::atomic<long> decisions{0};
  std::thread reader([&] {
    while (!stop) {
      const auto d = b.engine->decide(engineer(), get("busy.example"));
      if (d.action == policy_action::allow && !d.rule_id) ADD_FAILURE() << "allowed without a rule";
      ++decisions;
    }
  });
  std::int64_t version = 0;
  std::int64_t id = a.store->create(allow_host("busy.example")).value().id;
  for (int i = 0; i < 20; ++i) {
    rule r = allow_host("busy.example");
    r.comment = std::to_string(i);
    version = a.store->update(id, r, i + 1).value().version;
  }
  EXPECT_EQ(version, 21);
  const auto target = a.store->load().value().version;
  EXPECT_TRUE(time_until([&] { return b.watcher->loaded_version() == target; }, 2s).has_value());
  stop = true;
  reader.join();
  EXPECT_GT(decisions.load(), 0);
}

TEST_F(policy_live_reload_test, an_invalid_rule_set_keeps_the_last_good_policy) {
  const auto dsn = services_environment::postgres().owner_dsn();
  instance a(dsn);
  const auto good = a.store->create(allow_host("good.example")).value();
  ASSERT_TRUE(time_until([&] { return a.engine->decide(engineer(), get("good.example")).rule_id == good.id; }, 2s));
  const auto good_version = a.watcher->loaded_version();
  // Written behind the store's back: the store would have refused it.
  services_environment::postgres().psql("INSERT INTO rules (action, hosts) VALUES ('deny', '{\"not a host\"}')");
  ASSERT_TRUE(time_until([&] { return a.errors.load() > 0; }, 2s).has_value());
  EXPECT_EQ(a.watcher->loaded_version(), good_version);
  EXPECT_EQ(a.engine->decide(engineer(), get("good.example")).rule_id, good.id);
}

TEST_F(policy_live_reload_test, bootstrap_and_watcher_start_on_the_bootstrapped_rules) {
  const auto dsn = services_environment::postgres().owner_dsn();
  auto store = policy_store::create(dsn);
  ASSERT_EQ(store->bootstrap({allow_host("boot.example")}).value(), 1u);
  instance a(dsn);
  ASSERT_TRUE(a.watcher->wait_until_loaded(10s));
  EXPECT_EQ(a.engine->decide(engineer(), get("boot.example")).action, policy_action::allow);
  EXPECT_EQ(a.engine->current()->rule_count(), 1u);
}

// Last: it stops and restarts the shared PostgreSQL.
TEST_F(policy_live_reload_test, z_lost_connection_keeps_deciding_then_reconnects_and_reloads) {
  auto& pg = services_environment::postgres();
  const auto dsn = pg.owner_dsn();
  instance a(dsn);
  const auto kept = a.store->create(allow_host("kept.example")).value();
  ASSERT_TRUE(time_until([&] { return a.engine->decide(engineer(), get("kept.example")).rule_id == kept.id; }, 2s));
  ASSERT_TRUE(a.watcher->connected());

  pg.stop();
  EXPECT_TRUE(time_until([&] { return !a.watcher->connected(); }, 5s).has_value());
  // PostgreSQL is gone: the last good policy still decides.
  EXPECT_EQ(a.engine->decide(engineer(), get("kept.example")).rule_id, kept.id);
  EXPECT_EQ(a.store->list().error().code, store_errc::unavailable);

  pg.start();
  ASSERT_TRUE(time_until([&] { return a.watcher->connected(); }, 15s).has_value());
  // A change made while the watcher was away is picked up on reconnect; one made
  // afterwards arrives by NOTIFY on the new connection.
  auto other = policy_store::create(dsn);
  const auto added = other->create(allow_host("after.example"));
  ASSERT_TRUE(added.has_value()) << added.error().message;
  EXPECT_TRUE(time_until([&] { return a.engine->decide(engineer(), get("after.example")).rule_id == added->id; }, 2s)
                  .has_value());
  // The store's own connection recovers too.
  EXPECT_TRUE(a.store->list().has_value());
}

}  // namespace
}  // namespace tollgate::policy
