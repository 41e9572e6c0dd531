#pragma once
// The authenticator over a scripted directory, a hand-driven clock and its own io_context:
// the fixture of the authenticator's unit tests.
#include "tollgate/auth/ldap_authenticator.hpp"

#include "tollgate/testing/fake_directory.hpp"
#include "tollgate/testing/manual_clock.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <thread>

namespace tollgate::auth::testing {

using namespace std::chrono_literals;
using tollgate::testing::fake_directory_state;
using tollgate::testing::fake_factory;
using tollgate::testing::manual_clock;

inline double metric(prometheus::Registry& registry, const std::string& name, const std::string& result = {}) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      const bool match =
          result.empty() || std::any_of(m.label.begin(), m.label.end(), [&](const prometheus::ClientMetric::Label& l) {
            return l.name == "result" && l.value == result;
          });
      if (!match) continue;
      if (family.type == prometheus::MetricType::Histogram) return static_cast<double>(m.histogram.sample_count);
      return m.counter.value;
    }
  }
  return -1;
}

struct authenticator_test : ::testing::Test {
  std::shared_ptr<fake_directory_state> dir = std::make_shared<fake_directory_state>();
  manual_clock clock;
  prometheus::Registry registry;
  ldap_options opts = [] {
    ldap_options o;
    o.workers = 2;
    o.cache_ttl = 300s;
    o.negative_cache_ttl = 30s;
    o.stale_if_error = 3600s;
    o.lockout_threshold = 3;
    o.lockout_window = 60s;
    o.lockout_duration = 600s;
    o.down_retry_interval = 2s;
    return o;
  }();
  boost::asio::ip::address client = boost::asio::ip::make_address("192.0.2.10");
  // Declared before `auth`: the authenticator (and its workers, which post into `io`)
  // goes first, so no worker is still inside post() when `io` is destroyed.
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard = boost::asio::make_work_guard(io);
  std::unique_ptr<ldap_authenticator> auth;

  void SetUp() override {
    dir->add("alice", "alice-pw", {"all-staff", "engineering"});
    dir->add("bob", "bob-pw", {"sales"});
    make();
  }
  void make() {
    auth.reset();
    auth = std::make_unique<ldap_authenticator>(opts, registry, fake_factory(dir), clock.function());
  }

  // verify() and wait for its completion on the fixture's io_context.
  auth_result verify(const std::string& user, const std::string& password,
                     std::optional<boost::asio::ip::address> from = std::nullopt) {
    std::optional<auth_result> out;
    std::thread::id ran_on;
    auth->verify({user, password}, from.value_or(client), io.get_executor(), [&](auth_result r) {
      out = std::move(r);
      ran_on = std::this_thread::get_id();
    });
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!out && std::chrono::steady_clock::now() < deadline) io.run_one_for(100ms);
    EXPECT_TRUE(out.has_value()) << "verify() never completed";
    EXPECT_EQ(ran_on, std::this_thread::get_id()) << "completion did not run on the given executor";
    return out.value_or(auth_result{});
  }
  std::optional<auth_result> lookup(const std::string& user, const std::string& password,
                                    std::optional<boost::asio::ip::address> from = std::nullopt) {
    return auth->lookup({user, password}, from.value_or(client));
  }
};

}  // namespace tollgate::auth::testing
