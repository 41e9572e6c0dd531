#include "tollgate/auth/credential_cache_hmac.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace tollgate::auth {

bool digest_equal(const password_digest& a, const password_digest& b) noexcept {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// HMAC (RFC 2104) by hand over two pre-keyed SHA-256 contexts: each digest then costs
// two context copies and two short hashes, instead of a provider fetch and key setup
// per call, which is what keeps a cached check well under two microseconds.
struct password_hmac::state {
  EVP_MD* md = nullptr;
  EVP_MD_CTX* inner = nullptr;  // SHA-256 after absorbing key ^ ipad
  EVP_MD_CTX* outer = nullptr;  // SHA-256 after absorbing key ^ opad

  ~state() {
    EVP_MD_CTX_free(inner);
    EVP_MD_CTX_free(outer);
    EVP_MD_free(md);
  }
};

password_hmac::password_hmac() : state_(std::make_unique<state>()) {
  constexpr std::size_t block = 64;  // SHA-256 block size
  std::array<unsigned char, block> key{};
  if (RAND_bytes(key.data(), 32) != 1) throw std::runtime_error("cannot draw a random HMAC key");
  std::array<unsigned char, block> ipad{};
  std::array<unsigned char, block> opad{};
  for (std::size_t i = 0; i < block; ++i) {
    ipad[i] = static_cast<unsigned char>(key[i] ^ 0x36);
    opad[i] = static_cast<unsigned char>(key[i] ^ 0x5c);
  }
  OPENSSL_cleanse(key.data(), key.size());
  state_->md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  state_->inner = EVP_MD_CTX_new();
  state_->outer = EVP_MD_CTX_new();
  const bool ok = state_->md && state_->inner && state_->outer &&
                  EVP_DigestInit_ex(state_->inner, state_->md, nullptr) == 1 &&
                  EVP_DigestUpdate(state_->inner, ipad.data(), ipad.size()) == 1 &&
                  EVP_DigestInit_ex(state_->outer, state_->md, nullptr) == 1 &&
                  EVP_DigestUpdate(state_->outer, opad.data(), opad.size()) == 1;
  OPENSSL_cleanse(ipad.data(), ipad.size());
  OPENSSL_cleanse(opad.data(), opad.size());
  if (!ok) throw std::runtime_error("cannot set up HMAC-SHA-256");
}

password_hmac::~password_hmac() = default;

password_digest password_hmac::digest(std::string_view password) const {
  password_digest inner_hash{};
  password_digest out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned len = 0;
  const bool ok = ctx && EVP_MD_CTX_copy_ex(ctx, state_->inner) == 1 &&
                  EVP_DigestUpdate(ctx, password.data(), password.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, inner_hash.data(), &len) == 1 &&
                  EVP_MD_CTX_copy_ex(ctx, state_->outer) == 1 &&
                  EVP_DigestUpdate(ctx, inner_hash.data(), inner_hash.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, out.data(), &len) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_cleanse(inner_hash.data(), inner_hash.size());
  // A failure here would only come from memory exhaustion. Fail closed with a digest drawn
  // at random: it matches no cache entry, so the check simply goes to the directory.
  if (!ok) RAND_bytes(out.data(), static_cast<int>(out.size()));
  return out;
}

}  // namespace tollgate::auth
