#include "tollgate/auth/user_name.hpp"

#include <unicase.h>
#include <uninorm.h>
#include <unistr.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <memory>

namespace tollgate::auth {
namespace {

struct free_deleter {
  void operator()(void* p) const noexcept { std::free(p); }
};

bool is_ascii(std::string_view s) {
  for (const char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

// Appends `s` lower-cased (ASCII letters only), without leading or trailing spaces and
// with every inner run of spaces as one.
void append_trimmed(std::string& out, std::string_view s, bool lower_ascii) {
  bool pending_space = false;
  for (char c : s) {
    if (c == ' ') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    if (lower_ascii && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out += c;
  }
}

// Simple lower case, then full case folding under NFKC; empty when libunistring refuses.
std::string fold_unicode(std::string_view typed) {
  // Names are short; the stack buffer covers them, libunistring allocates past it.
  std::array<std::uint32_t, 128> wide_buf{};
  std::size_t wide_len = wide_buf.size();
  std::uint32_t* wide = u8_to_u32(reinterpret_cast<const std::uint8_t*>(typed.data()), typed.size(),
                                  wide_buf.data(), &wide_len);
  if (wide == nullptr) return {};
  std::unique_ptr<std::uint32_t, free_deleter> wide_owner(wide == wide_buf.data() ? nullptr : wide);
  for (std::size_t i = 0; i < wide_len; ++i) wide[i] = uc_tolower(wide[i]);

  std::size_t folded_len = 0;
  std::unique_ptr<std::uint32_t, free_deleter> folded(
      u32_casefold(wide, wide_len, nullptr, UNINORM_NFKC, nullptr, &folded_len));
  if (!folded) return {};
  std::size_t narrow_len = 0;
  std::unique_ptr<std::uint8_t, free_deleter> narrow(u32_to_u8(folded.get(), folded_len, nullptr, &narrow_len));
  if (!narrow) return {};
  return std::string(reinterpret_cast<const char*>(narrow.get()), narrow_len);
}

}  // namespace

std::string fold_user_name(std::string_view typed) {
  std::string out;
  out.reserve(typed.size());
  if (is_ascii(typed) || u8_check(reinterpret_cast<const std::uint8_t*>(typed.data()), typed.size()) != nullptr) {
    append_trimmed(out, typed, true);
    return out;
  }
  const std::string folded = fold_unicode(typed);
  append_trimmed(out, folded.empty() ? typed : std::string_view(folded), folded.empty());
  return out;
}

}  // namespace tollgate::auth
