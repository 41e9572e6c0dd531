#include "tollgate/audit/retention_record.hpp"

#include "tollgate/audit/canonical.hpp"
#include "tollgate/audit/checkpoint.hpp"

#include <gtest/gtest.h>

namespace tollgate::audit {
namespace {

retention_record sample() {
  retention_record r;
  r.partition = "audit_log_202401";
  r.retention_months = 12;
  r.cutoff = from_unix_micros(1'706'745'600'000'000LL);
  r.chains.push_back({"proxy-a", 1, 5000, 5000, chain_hash(std::vector<std::uint8_t>(32, 0), "a")});
  r.chains.push_back({"proxy-b", 1, 70, 69, chain_hash(std::vector<std::uint8_t>(32, 0), "b")});
  return r;
}

struct keys {
  std::unique_ptr<checkpoint_signer> signer;
  std::unique_ptr<checkpoint_verifier> verifier;
};

keys make_keys() {
  const auto pem = generate_ed25519_pem();
  keys k{checkpoint_signer::from_pem(pem).value(), checkpoint_verifier::from_pem(pem).value()};
  EXPECT_TRUE(k.signer && k.verifier);
  return k;
}

bool verifies(const checkpoint_verifier& v, const retention_record& r) {
  return v.verify_message(retention_message(r), r.signature);
}

TEST(retention_record, json_round_trip_keeps_every_signed_field) {
  const auto k = make_keys();
  auto r = sample();
  r.signature = k.signer->sign_message(retention_message(r));
  const auto text = to_json_text(r);
  EXPECT_NE(text.find("\"cutoff\":\"2024-02-01T00:00:00.000000Z\""), std::string::npos) << text;
  const auto back = parse_retention_record(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(retention_message(*back), retention_message(r));
  EXPECT_TRUE(verifies(*k.verifier, *back));
}

TEST(retention_record, any_changed_field_fails_the_signature) {
  const auto k = make_keys();
  auto r = sample();
  r.signature = k.signer->sign_message(retention_message(r));
  ASSERT_TRUE(verifies(*k.verifier, r));
  auto wider = r;
  wider.chains[0].max_seq = 6000;  // stretch the drop over rows deleted later
  EXPECT_FALSE(verifies(*k.verifier, wider));
  auto moved = r;
  moved.chains[1].instance = "proxy-c";
  EXPECT_FALSE(verifies(*k.verifier, moved));
  auto later = r;
  later.cutoff += std::chrono::hours(24 * 30);
  EXPECT_FALSE(verifies(*k.verifier, later));
  auto fewer = r;
  fewer.chains.pop_back();
  EXPECT_FALSE(verifies(*k.verifier, fewer));
}

TEST(retention_record, another_key_s_signature_fails) {
  const auto k = make_keys();
  const auto other = make_keys();
  auto r = sample();
  r.signature = other.signer->sign_message(retention_message(r));
  EXPECT_FALSE(verifies(*k.verifier, r));
}

TEST(retention_record, what_older_versions_wrote_does_not_parse) {
  // No cutoff and no signature: a record nobody can vouch for.
  EXPECT_FALSE(parse_retention_record(
      R"({"partition":"audit_log_202401","retention_months":1,"chains":[{"instance":"a","min_seq":1,)"
      R"("max_seq":5,"rows":5,"last_hash":"00"}]})"));
  EXPECT_FALSE(parse_retention_record("not json"));
  EXPECT_FALSE(parse_retention_record("[]"));
}

}  // namespace
}  // namespace tollgate::audit
