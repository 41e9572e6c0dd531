#include "tollgate/testing/services_environment.hpp"

#include <cstdlib>
#include <cstring>
#include <iostream>

namespace tollgate::testing {
namespace {

std::unique_ptr<postgres_server> g_postgres;  // test-only: one set of servers per test program
std::unique_ptr<ldap_server> g_ldap;
bool g_available = false;

}  // namespace

bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::strcmp(ci, "true") == 0;
}

void services_environment::SetUp() {
  try {
    if (wants_.postgres) g_postgres = postgres_server::start_new();
    if (wants_.ldap) g_ldap = ldap_server::start_new();
    g_available = true;
  } catch (const std::exception& e) {
    g_available = false;
    if (running_in_ci()) {
      FAIL() << "could not start test services (CI=true, so this fails): " << e.what();
    }
    std::cerr << "[services] not available, tests will be skipped: " << e.what() << "\n";
  }
}

void services_environment::TearDown() {
  g_ldap.reset();
  g_postgres.reset();
}

postgres_server& services_environment::postgres() { return *g_postgres; }
ldap_server& services_environment::ldap() { return *g_ldap; }
bool services_environment::available() { return g_available; }

}  // namespace tollgate::testing
