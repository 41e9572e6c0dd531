#pragma once
#include "tollgate/testing/ldap_server.hpp"
#include "tollgate/testing/postgres_server.hpp"

#include <gtest/gtest.h>

namespace tollgate::testing {

/// A GoogleTest environment that starts one PostgreSQL and one slapd for the
/// whole test program and stops them at the end. Register it in main() with
/// ::testing::AddGlobalTestEnvironment(new services_environment(...)), or link
/// `tollgate_test_services_main` which does that.
///
/// A missing server binary skips the tests on a developer machine but fails them
/// when CI=true.
class services_environment : public ::testing::Environment {
 public:
  struct wants { bool postgres = true; bool ldap = true; };
  explicit services_environment(wants w) : wants_(w) {}
  void SetUp() override;
  void TearDown() override;

  static postgres_server& postgres();
  static ldap_server& ldap();
  static bool available();  ///< false when the servers could not be started (tests should GTEST_SKIP)

 private:
  wants wants_;
};

/// Use at the top of a test that needs the services.
#define TOLLGATE_REQUIRE_SERVICES()                                              \
  do {                                                                           \
    if (!::tollgate::testing::services_environment::available())                 \
      GTEST_SKIP() << "PostgreSQL/slapd not available on this machine";           \
  } while (0)

/// For a server a test program starts itself: when `started` is false, the test
/// fails with `why` under CI=true (a missing server there is a broken machine) and
/// is skipped elsewhere, like TOLLGATE_REQUIRE_SERVICES.
#define TOLLGATE_REQUIRE_OWN_SERVER(started, why)                                \
  do {                                                                           \
    if (!(started)) {                                                            \
      if (::tollgate::testing::running_in_ci()) FAIL() << (why);                 \
      GTEST_SKIP() << (why);                                                     \
    }                                                                            \
  } while (0)

/// True when the environment says CI=true.
bool running_in_ci();

}  // namespace tollgate::testing
