#pragma once
#include <array>
#include <memory>
#include <string_view>

namespace tollgate::auth {

/// HMAC-SHA-256 of a password under a key drawn at random when the object is made, so
/// the cache holds nothing that would help anyone outside this process.
using password_digest = std::array<unsigned char, 32>;

/// Compares two digests in constant time (CRYPTO_memcmp).
bool digest_equal(const password_digest& a, const password_digest& b) noexcept;

class password_hmac {
 public:
  /// Draws a fresh random key; throws std::runtime_error if OpenSSL cannot.
  password_hmac();
  ~password_hmac();
  password_hmac(const password_hmac&) = delete;
  password_hmac& operator=(const password_hmac&) = delete;

  /// Thread-safe; no allocation beyond one digest context.
  password_digest digest(std::string_view password) const;

 private:
  struct state;
  std::unique_ptr<state> state_;
};

}  // namespace tollgate::auth
