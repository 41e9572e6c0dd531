// libFuzzer: Proxy-Authorization decoding. Invariant: a decoded pair has a non-empty
// user without a colon and in valid UTF-8, the pair is no longer than the input, and decoding is
// deterministic.
#include "tollgate/auth/credentials.hpp"

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  const auto parsed = tollgate::auth::parse_proxy_authorization(header);
  const auto again = tollgate::auth::parse_proxy_authorization(header);
  if (parsed.has_value() != again.has_value()) std::abort();
  if (!parsed) return 0;
  const auto& c = *parsed;
  if (c.user.empty() || c.user.find(':') != std::string::npos) std::abort();
  if (c.user.size() + c.password.size() > size) std::abort();
  if (!tollgate::auth::is_valid_utf8(c.user)) std::abort();
  if (c.user != again->user || c.password != again->password) std::abort();
  return 0;
}
