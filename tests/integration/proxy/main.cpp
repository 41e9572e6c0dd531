#include "proxy_harness.hpp"

#include <gtest/gtest.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new tollgate::testing::proxy::origin_environment);
  return RUN_ALL_TESTS();
}
