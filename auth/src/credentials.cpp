#include "tollgate/auth/credentials.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>

namespace tollgate::auth {
namespace {

// Generous for real users, small enough that a hostile header costs nothing.
constexpr std::size_t max_header_value = 4096;

// boost::system::error_category has a protected non-virtual destructor by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class credentials_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "tollgate.credentials"; }
  std::string message(int ev) const override {
    switch (static_cast<credentials_error>(ev)) {
      case credentials_error::missing: return "no Proxy-Authorization header";
      case credentials_error::not_basic: return "Proxy-Authorization is not Basic";
      case credentials_error::bad_base64: return "Proxy-Authorization is not valid base64";
      case credentials_error::no_colon: return "Proxy-Authorization has no user:password separator";
      case credentials_error::bad_utf8_user: return "user name is not valid UTF-8";
      case credentials_error::too_long: return "Proxy-Authorization is too long";
      case credentials_error::empty_user: return "empty user name";
      case credentials_error::empty_password: return "empty password";
      case credentials_error::nul_in_password: return "password contains a NUL byte";
    }
    return "unknown credentials error";
  }
};
#pragma GCC diagnostic pop

bool iequals_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}


// Strict RFC 4648 decoding: OpenSSL does the work, we reject what it would tolerate.
bool decode_base64(std::string_view in, std::string& out) {
  if (in.empty() || in.size() % 4 != 0) return false;
  const auto pad = static_cast<std::size_t>(std::count(in.end() - 2, in.end(), '='));
  if (in.find('=') < in.size() - pad) return false;
  out.resize(in.size() / 4 * 3);
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return false;
  out.resize(static_cast<std::size_t>(n) - pad);
  return true;
}

}  // namespace

const boost::system::error_category& credentials_category() noexcept {
  static const credentials_category_impl category;
  return category;
}

bool is_valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { extra = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { extra = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { extra = 3; cp = c & 0x07; }
    else return false;
    if (i + extra >= s.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past Unicode are not text.
    static constexpr std::array<std::uint32_t, 4> min_for_len{0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

boost::system::result<credentials> parse_proxy_authorization(std::string_view value) {
  if (value.empty()) return credentials_error::missing;
  if (value.size() > max_header_value) return credentials_error::too_long;
  const auto space = value.find(' ');
  if (space == std::string_view::npos || !iequals_ascii(value.substr(0, space), "basic"))
    return credentials_error::not_basic;
  auto token = value.substr(space + 1);
  while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);

  std::string decoded;
  if (!decode_base64(token, decoded)) return credentials_error::bad_base64;
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return credentials_error::no_colon;

  credentials creds{decoded.substr(0, colon), decoded.substr(colon + 1)};
  OPENSSL_cleanse(decoded.data(), decoded.size());
  if (creds.user.empty()) return credentials_error::empty_user;
  if (!is_valid_utf8(creds.user) || creds.user.find('\0') != std::string::npos)
    return credentials_error::bad_utf8_user;
  if (creds.password.empty()) return credentials_error::empty_password;
  if (creds.password.find('\0') != std::string::npos) {
    OPENSSL_cleanse(creds.password.data(), creds.password.size());
    return credentials_error::nul_in_password;
  }
  return creds;
}

}  // namespace tollgate::auth
