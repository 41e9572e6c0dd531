// main() for integration test programs: starts PostgreSQL and slapd once.
#include "tollgate/testing/services_environment.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(
      new tollgate::testing::services_environment(tollgate::testing::services_environment::wants{}));
  return RUN_ALL_TESTS();
}
