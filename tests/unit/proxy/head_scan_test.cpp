#include "head_scan.hpp"

#include <gtest/gtest.h>

namespace tollgate::proxy::detail {
namespace {

head_scan_status scan_all(std::string_view s, std::size_t* end = nullptr) {
  head_scanner h;
  auto st = h.scan(s);
  if (end) *end = h.head_end();
  return st;
}

TEST(HeadScan, CompleteHeadReportsItsEnd) {
  std::size_t end = 0;
  const std::string_view head = "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n";
  EXPECT_EQ(scan_all(std::string(head) + "BODY", &end), head_scan_status::complete);
  EXPECT_EQ(end, head.size());
}

TEST(HeadScan, IncompleteUntilTheBlankLine) {
  EXPECT_EQ(scan_all("GET http://a/ HTTP/1.1\r\nHost: a\r\n"), head_scan_status::incomplete);
  EXPECT_EQ(scan_all("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r"), head_scan_status::incomplete);
}

TEST(HeadScan, ResumesAcrossCallsByteByByte) {
  const std::string head = "GET http://a/ HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n";
  head_scanner h;
  for (std::size_t i = 1; i < head.size(); ++i) EXPECT_EQ(h.scan(std::string_view(head).substr(0, i)), head_scan_status::incomplete) << i;
  EXPECT_EQ(h.scan(head), head_scan_status::complete);
  EXPECT_EQ(h.head_end(), head.size());
}

TEST(HeadScan, NulIsRejected) {
  EXPECT_EQ(scan_all(std::string("GET http://a/ HTTP/1.1\r\nX: a\0b\r\n\r\n", 34)), head_scan_status::bad_byte);
}

TEST(HeadScan, BareCrIsRejected) { EXPECT_EQ(scan_all("GET http://a/ HTTP/1.1\r\nX: a\rb\r\n\r\n"), head_scan_status::bad_byte); }

TEST(HeadScan, BareLfIsRejected) { EXPECT_EQ(scan_all("GET http://a/ HTTP/1.1\nX: a\r\n\r\n"), head_scan_status::bad_byte); }

TEST(HeadScan, ObsFoldIsRejected) {
  EXPECT_EQ(scan_all("GET http://a/ HTTP/1.1\r\nX: a\r\n b\r\n\r\n"), head_scan_status::obs_fold);
  EXPECT_EQ(scan_all("GET http://a/ HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n"), head_scan_status::obs_fold);
}

TEST(HeadScan, BytesAfterTheHeadAreNotJudged) {
  EXPECT_EQ(scan_all(std::string("GET http://a/ HTTP/1.1\r\n\r\n\0\r x", 30)), head_scan_status::complete);
}

}  // namespace
}  // namespace tollgate::proxy::detail
