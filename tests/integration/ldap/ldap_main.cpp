// main() for the LDAP integration tests: one slapd for the program, no PostgreSQL.
#include "tollgate/testing/services_environment.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new tollgate::testing::services_environment(
      tollgate::testing::services_environment::wants{.postgres = false, .ldap = true}));
  return RUN_ALL_TESTS();
}
