#include "tollgate/common/result.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace tollgate {
namespace {

result<std::unique_ptr<int>> make_positive(int n) {
  if (n <= 0) return failure{make_error_code(boost::system::errc::invalid_argument), "n must be positive"};
  return std::make_unique<int>(n);
}

TEST(result, failure_message_is_the_detail_when_there_is_one) {
  const failure f{make_error_code(boost::system::errc::invalid_argument), "proxy.listen: bad port"};
  EXPECT_EQ(f.message(), "proxy.listen: bad port");
}

TEST(result, failure_message_falls_back_to_the_code) {
  const failure f{make_error_code(boost::system::errc::no_such_file_or_directory), ""};
  EXPECT_EQ(f.message(), f.code.message());
}

TEST(result, a_factory_returns_the_object_or_the_failure) {
  auto good = make_positive(3);
  ASSERT_TRUE(good);
  EXPECT_EQ(**good, 3);
  auto bad = make_positive(0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, boost::system::errc::invalid_argument);
}

TEST(result, value_of_a_failure_throws_its_message) {
  auto bad = make_positive(-1);
  try {
    (void)bad.value();
    FAIL() << "value() did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "n must be positive");
  }
}

TEST(result, errno_failure_keeps_the_system_code_and_names_what_failed) {
  errno = ENOENT;
  const auto f = errno_failure("cannot open /nowhere");
  EXPECT_EQ(f.code, boost::system::errc::no_such_file_or_directory);
  EXPECT_EQ(f.message(), std::string("cannot open /nowhere: ") + std::strerror(ENOENT));
}

}  // namespace
}  // namespace tollgate
