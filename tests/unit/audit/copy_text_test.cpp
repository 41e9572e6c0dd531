#include "copy_text.hpp"

#include "test_records.hpp"

#include <gtest/gtest.h>

namespace tollgate::audit::test {
namespace {

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields(1);
  for (const char c : line) {
    if (c == '\t') fields.emplace_back();
    else fields.back().push_back(c);
  }
  return fields;
}

TEST(CopyText, OneLinePerRecordWithEveryColumnInOrder) {
  auto r = sample_record(1);
  r.instance = "inst-1";
  r.seq = 42;
  r.would_rule_id = 9;
  r.prev_hash = {0x00, 0xab};
  r.hash = {0xff, 0x01};
  std::string out;
  append_copy_line(out, r);
  ASSERT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1);
  out.pop_back();
  const auto f = split_fields(out);
  ASSERT_EQ(f.size(), audit_copy_columns().size());
  const std::vector<std::string> expected = {
      "2023-11-14 22:13:20.001000+00", "inst-1", "42", "request", "10.1.2.1", "40001", "alice",
      "{\"engineering\",\"engineering-all\"}", "GET", "http", "host1.example.com", "80", "/index.html", "200",
      "allow", "7", "9", "3", "101", "5000", "1234", "93.184.216.34", "curl/7.88.1", "\\N", "\\\\x00ab",
      "\\\\xff01"};
  EXPECT_EQ(f, expected);
}

TEST(CopyText, EmptyOptionalTextsAndAbsentIdsAreNull) {
  auto r = sample_record(3);  // a tunnel: no path
  r.client_ip.clear();
  r.username.clear();
  r.upstream_ip.clear();
  r.user_agent.clear();
  r.rule_id.reset();
  r.groups.clear();
  std::string out;
  append_copy_line(out, r);
  out.pop_back();
  const auto f = split_fields(out);
  ASSERT_EQ(f.size(), audit_copy_columns().size());
  EXPECT_EQ(f[4], "\\N");   // client_ip
  EXPECT_EQ(f[6], "\\N");   // username
  EXPECT_EQ(f[7], "{}");    // groups: an empty array, not NULL
  EXPECT_EQ(f[12], "\\N");  // path
  EXPECT_EQ(f[15], "\\N");  // rule_id
  EXPECT_EQ(f[16], "\\N");  // would_rule_id
  EXPECT_EQ(f[21], "\\N");  // upstream_ip
  EXPECT_EQ(f[22], "\\N");  // user_agent
}

// Whatever a client puts in a header must stay inside its field: a tab or newline
// taken literally would shift columns or start a forged row.
TEST(CopyText, DelimitersLineBreaksAndBackslashesAreEscaped) {
  auto r = sample_record(1);
  r.user_agent = "a\tb\nc\rd\\e \xC3\xA9 \\N \\.";
  r.path = "/p\n2023-01-01\tforged";
  r.groups = {"q\"uote", "back\\slash", "tab\there"};
  std::string out;
  append_copy_line(out, r);
  EXPECT_EQ(out.find('\n'), out.size() - 1);
  out.pop_back();
  const auto f = split_fields(out);
  ASSERT_EQ(f.size(), audit_copy_columns().size());
  EXPECT_EQ(f[22], "a\\tb\\nc\\rd\\\\e \xC3\xA9 \\\\N \\\\.");
  EXPECT_EQ(f[12], "/p\\n2023-01-01\\tforged");
  // Array quoting first (\" and \\), then COPY's backslash doubling.
  EXPECT_EQ(f[7], "{\"q\\\\\"uote\",\"back\\\\\\\\slash\",\"tab\\there\"}");
}

TEST(CopyText, LinesAppendToWhatIsThere) {
  std::string out = "x";
  append_copy_line(out, sample_record(1));
  const auto one = out.size();
  append_copy_line(out, sample_record(2));
  EXPECT_EQ(out[0], 'x');
  EXPECT_EQ(out[one - 1], '\n');
  EXPECT_EQ(out.back(), '\n');
}

TEST(CopyText, TimestampsBeforeTheEpochKeepTheirMicroseconds) {
  EXPECT_EQ(format_timestamptz(-1), "1969-12-31 23:59:59.999999+00");
  EXPECT_EQ(format_timestamptz(1'700'000'000'123'456), "2023-11-14 22:13:20.123456+00");
  EXPECT_EQ(format_timestamptz(0), "1970-01-01 00:00:00.000000+00");
  EXPECT_EQ(format_timestamptz(1'709'164'799'000'001), "2024-02-28 23:59:59.000001+00");
  EXPECT_EQ(format_timestamptz(1'709'251'199'999'999), "2024-02-29 23:59:59.999999+00");  // leap day
  EXPECT_EQ(format_timestamptz(951'868'800'000'000), "2000-03-01 00:00:00.000000+00");
  EXPECT_EQ(format_timestamptz(4'102'444'799'000'000), "2099-12-31 23:59:59.000000+00");
}

}  // namespace
}  // namespace tollgate::audit::test
