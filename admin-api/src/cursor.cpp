#include "cursor.hpp"

#include <charconv>

namespace tollgate::admin_api {

namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t max_cursor_chars = 1024;  // instance names are short; refuse work on junk

int sextet(char c) {
  const auto p = alphabet.find(c);
  return p == std::string_view::npos ? -1 : static_cast<int>(p);
}

bool parse_int(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string base64url_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
    out += alphabet[v & 63];
  }
  if (in.size() - i == 1) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
  } else if (in.size() - i == 2) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
    out += alphabet[v >> 18 & 63];
    out += alphabet[v >> 12 & 63];
    out += alphabet[v >> 6 & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() / 4 * 3 + 2);
  unsigned acc = 0;
  int bits = 0;
  for (const char c : in) {
    const int v = sextet(c);
    if (v < 0) return std::nullopt;
    acc = acc << 6 | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>(acc >> bits & 0xff);
    }
  }
  // Leftover bits must be zero, so each byte string has exactly one encoding.
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string encode_cursor(const audit_cursor& c) {
  return base64url_encode("1|" + std::to_string(c.ts_us) + "|" + std::to_string(c.seq) + "|" + c.instance);
}

std::optional<audit_cursor> decode_cursor(std::string_view text) {
  if (text.empty() || text.size() > max_cursor_chars) return std::nullopt;
  const auto raw = base64url_decode(text);
  if (!raw) return std::nullopt;
  std::string_view s = *raw;
  if (!s.starts_with("1|")) return std::nullopt;
  s.remove_prefix(2);
  const auto p1 = s.find('|');
  if (p1 == std::string_view::npos) return std::nullopt;
  const auto p2 = s.find('|', p1 + 1);
  if (p2 == std::string_view::npos) return std::nullopt;
  audit_cursor c;
  if (!parse_int(s.substr(0, p1), c.ts_us) || !parse_int(s.substr(p1 + 1, p2 - p1 - 1), c.seq)) return std::nullopt;
  c.instance = std::string(s.substr(p2 + 1));
  if (c.instance.empty()) return std::nullopt;
  for (const unsigned char ch : c.instance)
    if (ch < 0x20 || ch == 0x7f) return std::nullopt;
  return c;
}

}  // namespace tollgate::admin_api
