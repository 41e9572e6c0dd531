// Lockout as a client of the proxy meets it: the real LDAP authenticator (cache and
// lockout) over a scripted directory, its time read from the fixture's manual clock.
#include "tollgate/proxy/server.hpp"

#include "tollgate/auth/ldap_authenticator.hpp"
#include "tollgate/testing/fake_directory.hpp"
#include "tollgate/testing/in_process_origin.hpp"
#include "tollgate/testing/in_process_proxy.hpp"
#include "tollgate/testing/raw_client.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace tollgate::testing {
namespace {

using namespace std::chrono_literals;

struct lockout_session_test : ::testing::Test {
  in_process_origin origin;
  in_process_proxy proxy;
  std::shared_ptr<fake_directory_state> directory = std::make_shared<fake_directory_state>();
  prometheus::Registry ldap_registry;
  // After the proxy: destroyed first, so no worker posts into a destroyed io_context.
  std::unique_ptr<auth::ldap_authenticator> ldap;

  void SetUp() override {
    directory->add("alice", "alice-pw", {"engineering"});
    auth::ldap_options o;
    o.workers = 1;
    o.lockout_threshold = 3;
    o.lockout_window = 60s;
    o.lockout_duration = 600s;
    ldap = std::make_unique<auth::ldap_authenticator>(o, ldap_registry, fake_factory(directory),
                                                      proxy.clock.function());
    proxy.start(in_process_proxy::test_options(), ldap.get());
  }
  void TearDown() override {
    proxy.stop();  // the server's io threads end before the authenticator goes
  }

  int status(const std::string& user) const {
    raw_client c(proxy.port());
    EXPECT_TRUE(c.send(proxy_get(origin.port(), "/", user)));
    return status_of(c.read_response());
  }
};

TEST_F(lockout_session_test, failures_past_the_threshold_lock_out_until_the_duration_has_passed) {
  EXPECT_EQ(status("alice:wrong-1"), 407);
  EXPECT_EQ(status("alice:wrong-2"), 407);
  EXPECT_EQ(status("alice:wrong-3"), 407);
  const int checks = directory->checks.load();

  EXPECT_EQ(status("alice:alice-pw"), 407);  // the right password, but locked out
  EXPECT_EQ(directory->checks.load(), checks) << "a locked-out user reached the directory";
  const auto records = proxy.audit.wait_for(4);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[3].decision, "auth_failed");
  EXPECT_EQ(records[3].error, "locked out after repeated failed logins");

  proxy.clock.advance(599s);
  EXPECT_EQ(status("alice:alice-pw"), 407);
  proxy.clock.advance(1s);
  EXPECT_EQ(status("alice:alice-pw"), 200);
}

TEST_F(lockout_session_test, failures_spread_wider_than_the_window_do_not_lock) {
  EXPECT_EQ(status("alice:wrong-1"), 407);
  EXPECT_EQ(status("alice:wrong-2"), 407);
  proxy.clock.advance(61s);
  EXPECT_EQ(status("alice:wrong-3"), 407);
  EXPECT_EQ(status("alice:alice-pw"), 200);
}

TEST_F(lockout_session_test, cached_credentials_expire_with_the_clock) {
  EXPECT_EQ(status("alice:alice-pw"), 200);
  EXPECT_EQ(status("alice:alice-pw"), 200);
  EXPECT_EQ(directory->checks.load(), 1);  // the second answered from the cache
  proxy.clock.advance(301s);              // past ldap.cache_ttl (300 s)
  EXPECT_EQ(status("alice:alice-pw"), 200);
  EXPECT_EQ(directory->checks.load(), 2);
}

}  // namespace
}  // namespace tollgate::testing
