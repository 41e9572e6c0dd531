#include "tollgate/audit/checkpoint.hpp"

#include "tollgate/audit/canonical.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace tollgate::audit {
namespace {

checkpoint sample() {
  checkpoint c;
  c.instance = "proxy-a";
  c.seq = 1000;
  c.hash = chain_hash(std::vector<std::uint8_t>(32, 0), "x");
  c.time = from_unix_micros(1'700'000'000'123'456LL);
  return c;
}

TEST(checkpoint, signature_verifies_with_the_derived_public_key) {
  const auto signer = checkpoint_signer::from_pem(generate_ed25519_pem()).value();
  ASSERT_TRUE(signer);
  auto c = sample();
  signer->sign(c);
  EXPECT_EQ(c.signature.size(), 64u);
  const auto verifier = checkpoint_verifier::from_pem(signer->public_key_pem()).value();
  ASSERT_TRUE(verifier);
  EXPECT_TRUE(verifier->verify(c));
}

TEST(checkpoint, a_changed_field_fails_verification) {
  const auto pem = generate_ed25519_pem();
  const auto signer = checkpoint_signer::from_pem(pem).value();
  const auto verifier = checkpoint_verifier::from_pem(pem).value();  // private PEM works too
  ASSERT_TRUE(signer && verifier);
  auto c = sample();
  signer->sign(c);
  auto seq = c;
  seq.seq = 999;
  auto inst = c;
  inst.instance = "proxy-b";
  auto hash = c;
  hash.hash[0] ^= 1;
  EXPECT_FALSE(verifier->verify(seq));
  EXPECT_FALSE(verifier->verify(inst));
  EXPECT_FALSE(verifier->verify(hash));
}

TEST(checkpoint, another_key_fails_verification) {
  const auto signer = checkpoint_signer::from_pem(generate_ed25519_pem()).value();
  const auto other = checkpoint_verifier::from_pem(generate_ed25519_pem()).value();
  auto c = sample();
  signer->sign(c);
  EXPECT_FALSE(other->verify(c));
}

TEST(checkpoint, line_round_trips) {
  const auto signer = checkpoint_signer::from_pem(generate_ed25519_pem()).value();
  auto c = sample();
  signer->sign(c);
  const auto line = to_line(c);
  EXPECT_NE(line.find("\"time\":\"2023-11-14T22:13:20.123456Z\""), std::string::npos) << line;
  const auto back = parse_line(line);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->instance, c.instance);
  EXPECT_EQ(back->seq, c.seq);
  EXPECT_EQ(back->hash, c.hash);
  EXPECT_EQ(back->time, c.time);
  EXPECT_EQ(back->signature, c.signature);
  EXPECT_FALSE(parse_line("{\"seq\":1}"));
  EXPECT_FALSE(parse_line("not json"));
}

TEST(checkpoint, file_appends_and_reads_back) {
  const auto file = std::filesystem::temp_directory_path() / ("tollgate-cp-" + std::to_string(::getpid()));
  std::filesystem::remove(file);
  const auto signer = checkpoint_signer::from_pem(generate_ed25519_pem()).value();
  auto c = sample();
  signer->sign(c);
  const auto first = append_checkpoint(file.string(), c);
  ASSERT_TRUE(first) << first.error().message();
  c.seq = 2000;
  signer->sign(c);
  const auto second = append_checkpoint(file.string(), c);
  ASSERT_TRUE(second) << second.error().message();
  {
    std::ofstream out(file, std::ios::app);
    out << "garbage\n";
  }
  const auto content = read_checkpoints(file.string());
  ASSERT_EQ(content.checkpoints.size(), 2u);
  EXPECT_EQ(content.checkpoints[1].seq, 2000);
  EXPECT_EQ(content.bad_lines, std::vector<int>{3});
  std::filesystem::remove(file);
  EXPECT_TRUE(read_checkpoints(file.string()).missing);
}

TEST(checkpoint, rejects_a_key_that_is_not_ed25519) {
  const auto made = checkpoint_signer::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, error::bad_key);
  EXPECT_FALSE(made.error().message().empty());
}

TEST(checkpoint, loading_a_missing_key_file_names_the_file_and_keeps_the_system_error) {
  const auto made = checkpoint_verifier::load("/nonexistent/tollgate-key.pem");
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, boost::system::errc::no_such_file_or_directory);
  EXPECT_NE(made.error().message().find("/nonexistent/tollgate-key.pem"), std::string::npos);
}

}  // namespace
}  // namespace tollgate::audit
