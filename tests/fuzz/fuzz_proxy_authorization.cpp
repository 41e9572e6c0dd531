// libFuzzer: Proxy-Authorization decoding. Invariant: a decoded pair has a non-empty
// user without a colon, both halves are valid UTF-8 of bounded size, and decoding is
// deterministic.
#include "tollgate/auth/credentials.hpp"

#include <cstdlib>
#include <string_view>

namespace {
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 4;
    if (extra == 4 || i + extra >= s.size() + (extra == 0 ? 1 : 0)) return extra == 0;
    for (std::size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += extra + 1;
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto parsed = tollgate::auth::parse_proxy_authorization(header);
  const auto again = tollgate::auth::parse_proxy_authorization(header);
  if (parsed.has_value() != again.has_value()) std::abort();
  if (!parsed) return 0;
  const auto& c = *parsed;
  if (c.user.empty() || c.user.find(':') != std::string::npos) std::abort();
  if (c.user.size() + c.password.size() > size) std::abort();
  if (!valid_utf8(c.user)) std::abort();
  if (c.user != again->user || c.password != again->password) std::abort();
  return 0;
}
