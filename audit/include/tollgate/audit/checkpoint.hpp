#pragma once
#include "tollgate/audit/error.hpp"
#include "tollgate/common/result.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::audit {

/// A signed chain head: "instance had written seq records, the last with this hash,
/// at this time". Kept outside the database (a file and the log) so that rows cut
/// from the end of a chain can be proven missing.
struct checkpoint {
  std::string instance;
  std::int64_t seq = 0;
  std::vector<std::uint8_t> hash;
  std::chrono::system_clock::time_point time{};  ///< microsecond precision
  std::vector<std::uint8_t> signature;            ///< Ed25519 over checkpoint_message()
};

/// The signed bytes: "tollgate-checkpoint-v1\n", u32 big-endian length of instance,
/// instance, seq as 8 bytes big-endian, u32 length of hash, hash, time as 8 bytes
/// big-endian microseconds since the Unix epoch.
std::string checkpoint_message(const checkpoint& c);

/// One line of the checkpoint file (JSON, no newline):
/// {"instance":"…","seq":N,"hash":"<hex>","time":"<RFC 3339>","time_us":N,"sig":"<base64>"}
std::string to_line(const checkpoint& c);
/// Parses to_line() output; nullopt when malformed.
std::optional<checkpoint> parse_line(std::string_view line);

/// Signs checkpoints (and retention records) with an Ed25519 private key (OpenSSL).
/// Signing is const and keeps no state between calls: threads may share one signer.
class checkpoint_signer {
 public:
  /// Loads a PEM private key ("-----BEGIN PRIVATE KEY-----", Ed25519); fails with the
  /// OS error when unreadable, error::bad_key when not Ed25519 (detail names the file).
  static result<std::unique_ptr<checkpoint_signer>> load(const std::string& pem_file);
  static result<std::unique_ptr<checkpoint_signer>> from_pem(std::string_view pem);
  ~checkpoint_signer();

  /// Fills c.signature.
  void sign(checkpoint& c) const;
  /// The Ed25519 signature of any message the audit key vouches for (see
  /// retention_message()). Throws std::runtime_error when OpenSSL fails.
  std::vector<std::uint8_t> sign_message(std::string_view message) const;
  /// The matching public key as PEM ("-----BEGIN PUBLIC KEY-----").
  std::string public_key_pem() const;

 private:
  explicit checkpoint_signer(void* key) : key_(key) {}
  void* key_;  // EVP_PKEY*
};

/// Checks checkpoint signatures against an Ed25519 public key.
class checkpoint_verifier {
 public:
  /// Accepts a PEM public key, or a private key (whose public half is used), so
  /// `audit verify` can run from the same `signing_key_file` as the writer.
  static result<std::unique_ptr<checkpoint_verifier>> load(const std::string& pem_file);
  static result<std::unique_ptr<checkpoint_verifier>> from_pem(std::string_view pem);
  ~checkpoint_verifier();

  bool verify(const checkpoint& c) const;
  bool verify_message(std::string_view message, const std::vector<std::uint8_t>& signature) const;

 private:
  explicit checkpoint_verifier(void* key) : key_(key) {}
  void* key_;  // EVP_PKEY*
};

/// Appends one line to the checkpoint file (O_APPEND, fsync); the OS error when it cannot.
result<void> append_checkpoint(const std::string& file, const checkpoint& c);

/// Every line of a checkpoint file; lines that do not parse are reported by number.
struct checkpoint_file_content {
  std::vector<checkpoint> checkpoints;
  std::vector<int> bad_lines;  ///< 1-based
  bool missing = false;        ///< the file does not exist
};
checkpoint_file_content read_checkpoints(const std::string& file);

/// Generates a fresh Ed25519 key as PEM (PKCS#8), for tests and `tollgate` tooling.
std::string generate_ed25519_pem();

/// Makes sure `pem_file` holds a key: leaves an existing file alone (never
/// overwrites, even one that is not a key: loading it then says so), else writes a
/// fresh Ed25519 key readable by its owner only (0600), creating its folder.
/// Safe against a second process doing the same at once (the first key wins).
/// The file exists afterwards: true when this call made it, false when it was there.
result<bool> ensure_signing_key(const std::string& pem_file);

}  // namespace tollgate::audit
