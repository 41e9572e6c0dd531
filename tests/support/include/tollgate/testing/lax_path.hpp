#pragma once
// The laxest reading of a request path that origin servers are known to make, for
// tests that check what a path rule let through (issue 16).
#include <cctype>
#include <string>
#include <vector>

namespace tollgate::testing {

namespace detail {
inline int lax_hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}
}  // namespace detail

/// `path` (with or without a query) as the laxest origin serves it: every escape
/// decoded twice (IIS), overlong UTF-8 taken for the ASCII it spells, '\' as '/', the
/// query or fragment cut off after decoding, ';' parameters dropped after decoding (Tomcat and
/// decode-first servers), dot segments resolved, empty segments dropped; for a
/// `windows` origin also ASCII case folded and trailing dots and spaces trimmed.
inline std::string lax_path_reading(std::string path, bool windows) {
  for (int round = 0; round < 2; ++round) {
    std::string decoded;
    for (std::size_t i = 0; i < path.size(); ++i) {
      if (path[i] == '%' && i + 2 < path.size() && detail::lax_hex(path[i + 1]) >= 0 &&
          detail::lax_hex(path[i + 2]) >= 0) {
        decoded.push_back(static_cast<char>(detail::lax_hex(path[i + 1]) * 16 + detail::lax_hex(path[i + 2])));
        i += 2;
      } else {
        decoded.push_back(path[i]);
      }
    }
    path = decoded;
  }
  std::string text;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto b = static_cast<unsigned char>(path[i]);
    const auto next = i + 1 < path.size() ? static_cast<unsigned char>(path[i + 1]) : 0;
    if ((b == 0xC0 || b == 0xC1) && next >= 0x80) {
      text.push_back(static_cast<char>(((b & 0x1F) << 6) | (next & 0x3F)));
      ++i;
    } else {
      text.push_back(b == '\\' ? '/' : static_cast<char>(b));
    }
  }
  text = text.substr(0, text.find_first_of("?#"));
  std::vector<std::string> segments;
  bool trailing = false;
  std::size_t start = 0;
  for (;;) {
    const auto slash = text.find('/', start);
    std::string seg = text.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    seg = seg.substr(0, seg.find(';'));
    trailing = seg.empty() || seg == "." || seg == "..";
    while (windows && !trailing && !seg.empty() && (seg.back() == ' ' || seg.back() == '.')) seg.pop_back();
    trailing = trailing || seg.empty();
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!trailing) {
      segments.push_back(seg);
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  std::string out;
  for (const auto& s : segments) out += "/" + s;
  if (out.empty() || trailing) out += "/";
  if (windows) {
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace tollgate::testing
