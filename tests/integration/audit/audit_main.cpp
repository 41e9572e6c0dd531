// The audit tests need PostgreSQL only.
#include "tollgate/testing/services_environment.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new tollgate::testing::services_environment(
      tollgate::testing::services_environment::wants{.postgres = true, .ldap = false}));
  return RUN_ALL_TESTS();
}
