#include "tollgate/audit/canonical.hpp"

#include "test_records.hpp"
#include "tollgate/audit/chain.hpp"

#include <gtest/gtest.h>

namespace tollgate::audit {
namespace {

audit_record sealed(int n, chain_head& head) {
  auto r = test::sample_record(n);
  sanitize(r);
  chain_append(head, "proxy-a", r);
  return r;
}

TEST(canonical, round_trips_every_field) {
  chain_head head;
  auto r = sealed(1, head);
  r.would_rule_id = 9;
  r.error = "upstream reset";
  audit_record back;
  ASSERT_TRUE(decode_canonical(canonical_encoding(r), back));
  EXPECT_EQ(canonical_encoding(back), canonical_encoding(r));
  EXPECT_EQ(back.host, r.host);
  EXPECT_EQ(back.groups, r.groups);
  EXPECT_EQ(back.client_ip, "10.1.2.1");
  EXPECT_EQ(back.would_rule_id, 9);
  EXPECT_EQ(back.ts, r.ts);
}

TEST(canonical, documented_layout_of_the_first_fields) {
  audit_record r = test::sample_record(1);
  r.instance = "i";
  r.seq = 5;
  const auto e = canonical_encoding(r);
  // ts: present, 8 bytes, big-endian microseconds.
  ASSERT_GE(e.size(), 13u + 6 + 13);
  EXPECT_EQ(e.substr(0, 5), std::string("\x01\x00\x00\x00\x08", 5));
  // instance "i": present, length 1.
  EXPECT_EQ(e.substr(13, 6), std::string("\x01\x00\x00\x00\x01i", 6));
  // seq 5.
  EXPECT_EQ(e.substr(19, 13), std::string("\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x05", 13));
}

TEST(canonical, field_boundaries_are_unambiguous) {
  audit_record a = test::sample_record(1);
  audit_record b = a;
  a.username = "ab";
  a.method = "c";
  b.username = "a";
  b.method = "bc";
  EXPECT_NE(canonical_encoding(a), canonical_encoding(b));
}

TEST(canonical, null_differs_from_empty_text) {
  canonical_writer a, b;
  a.null();
  b.text("");
  EXPECT_NE(a.bytes(), b.bytes());
}

TEST(canonical, addresses_are_encoded_as_bytes) {
  canonical_writer a, b;
  a.inet("2001:db8::1");
  b.inet("2001:0db8:0:0::0001");
  EXPECT_EQ(a.bytes(), b.bytes());
  EXPECT_EQ(a.bytes().size(), 5u + 16);
}

TEST(chain, starts_from_zero_hash_and_links) {
  chain_head head;
  const auto r1 = sealed(1, head);
  const auto r2 = sealed(2, head);
  EXPECT_EQ(r1.seq, 1);
  EXPECT_EQ(r2.seq, 2);
  EXPECT_EQ(r1.prev_hash, std::vector<std::uint8_t>(32, 0));
  EXPECT_EQ(r2.prev_hash, r1.hash);
  EXPECT_EQ(r1.hash, chain_hash(r1.prev_hash, canonical_encoding(r1)));
  EXPECT_EQ(head.seq, 2);
  EXPECT_EQ(head.hash, r2.hash);
}

TEST(chain, any_field_change_changes_the_hash) {
  chain_head head;
  auto r = sealed(1, head);
  auto changed = r;
  changed.bytes_down += 1;
  EXPECT_NE(chain_hash(r.prev_hash, canonical_encoding(changed)), r.hash);
}

TEST(chain, a_kept_hasher_gives_every_record_the_same_hash_as_a_fresh_one) {
  chain_head fresh_head, kept_head;
  chain_hasher hasher;
  for (int n = 1; n <= 50; ++n) {
    auto a = test::sample_record(n);
    auto b = a;
    sanitize(a);
    sanitize(b);
    chain_append(fresh_head, "inst", a);
    chain_append(kept_head, "inst", b, hasher);
    ASSERT_EQ(a.hash, b.hash) << n;
    ASSERT_EQ(b.hash, chain_hash(b.prev_hash, canonical_encoding(b))) << n;
  }
  // The context is reset between digests: the known answer still holds after use.
  const std::vector<std::uint8_t> zero(32, 0);
  EXPECT_EQ(to_hex(hasher(zero, "")), "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925");
}

TEST(chain, known_answer_for_an_empty_encoding) {
  // SHA-256 of 32 zero bytes, a fixed point other implementations can check.
  const std::vector<std::uint8_t> zero(32, 0);
  EXPECT_EQ(to_hex(chain_hash(zero, "")), "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925");
}

TEST(sanitize, truncates_time_to_microseconds) {
  auto r = test::sample_record(1);
  r.ts += std::chrono::nanoseconds(999);
  sanitize(r);
  EXPECT_EQ(r.ts.time_since_epoch() % std::chrono::microseconds(1), std::chrono::system_clock::duration::zero());
}

TEST(sanitize, makes_strings_storable) {
  auto r = test::sample_record(1);
  r.user_agent = std::string("bad\xff\xfe ua\0x", 10);
  sanitize(r);
  EXPECT_EQ(r.user_agent, "bad\xEF\xBF\xBD\xEF\xBF\xBD uax");
}

TEST(sanitize, drops_an_unparsable_address_and_says_so) {
  auto r = test::sample_record(1);
  r.client_ip = "not-an-ip";
  sanitize(r);
  EXPECT_TRUE(r.client_ip.empty());
  EXPECT_NE(r.error.find("client_ip unparsable"), std::string::npos);
}

TEST(sanitize, stores_an_ipv4_mapped_address_as_ipv4) {
  auto r = test::sample_record(1);
  r.client_ip = "::ffff:10.1.2.3";  // an IPv4 client of a listener on [::]
  r.upstream_ip = "::FFFF:93.184.216.34";
  sanitize(r);
  EXPECT_EQ(r.client_ip, "10.1.2.3");
  EXPECT_EQ(r.upstream_ip, "93.184.216.34");
  EXPECT_TRUE(r.error.empty()) << r.error;
}

TEST(sanitize, keeps_other_ipv6_addresses) {
  auto r = test::sample_record(1);
  r.client_ip = "::10.1.2.3";  // IPv4-compatible (deprecated), not mapped: a different address
  r.upstream_ip = "2001:db8::ffff:a01:203";
  sanitize(r);
  EXPECT_EQ(r.client_ip, "::10.1.2.3");
  EXPECT_EQ(r.upstream_ip, "2001:db8::ffff:a01:203");
}

TEST(sanitize, unknown_decision_becomes_error) {
  auto r = test::sample_record(1);
  r.decision = "";
  sanitize(r);
  EXPECT_EQ(r.decision, "error");
}

TEST(hex, round_trips) {
  std::vector<std::uint8_t> b{0, 1, 0xab, 0xff}, back;
  ASSERT_TRUE(from_hex(to_hex(b), back));
  EXPECT_EQ(back, b);
  EXPECT_FALSE(from_hex("zz", back));
}

}  // namespace
}  // namespace tollgate::audit
