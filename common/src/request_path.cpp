#include "tollgate/common/request_path.hpp"

#include <algorithm>
#include <vector>

namespace tollgate {
namespace {

// boost::system::error_category has a public non-virtual destructor by design (categories
// are static objects, never deleted through a base pointer).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class path_error_category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "tollgate.path"; }
  std::string message(int ev) const override {
    switch (static_cast<path_error>(ev)) {
      case path_error::not_absolute: return "path does not start with '/'";
      case path_error::bad_percent_encoding: return "malformed percent-encoding in the path";
      case path_error::encoded_nul: return "encoded NUL (%00) in the path";
      case path_error::encoded_slash: return "encoded slash (%2F) in the path";
      case path_error::backslash: return "backslash in the path";
      case path_error::encoded_dot_segment: return "encoded dot segment in the path";
      case path_error::dot_segment_parameter: return "parameter on a dot segment (..;) in the path";
      case path_error::dots_only_segment: return "segment of dots other than . and .. in the path";
      case path_error::double_encoding: return "double percent-encoding of a dot, slash or percent in the path";
      case path_error::overlong_utf8: return "overlong UTF-8 in the path";
      case path_error::control_character: return "control character in the path";
      case path_error::query_or_fragment: return "'?' or '#' inside the path";
    }
    return "malformed path";
  }
};
#pragma GCC diagnostic pop

constexpr char hex_digits[] = "0123456789ABCDEF";

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

char lower_ascii(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

void append_escape(std::string& out, unsigned char c) {
  out.push_back('%');
  out.push_back(hex_digits[c >> 4]);
  out.push_back(hex_digits[c & 0xF]);
}

// One segment decoded to its normal spelling, and what the decoding met.
struct decoded_segment {
  std::string text;
  bool encoded_dot = false;
};

// Follows the bytes outside ASCII, raw or escaped, to spot the overlong forms that
// lax UTF-8 decoders (old IIS, some Java) turn into '.', '/' or '\'.
class overlong_detector {
 public:
  bool bad(unsigned char byte) noexcept {
    const unsigned char lead = previous_lead_;
    previous_lead_ = 0;
    if (byte == 0xC0 || byte == 0xC1) return true;  // every two-byte form they start is overlong
    if (lead == 0xE0 && byte < 0xA0) return true;   // three bytes for what fits in two
    if (lead == 0xF0 && byte < 0x90) return true;   // four bytes for what fits in three
    if (byte == 0xE0 || byte == 0xF0) previous_lead_ = byte;
    return false;
  }
  void ascii() noexcept { previous_lead_ = 0; }

 private:
  unsigned char previous_lead_ = 0;
};

boost::system::result<decoded_segment> decode_segment(std::string_view raw, overlong_detector& utf8) {
  decoded_segment seg;
  seg.text.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c == '\\') return path_error::backslash;
    if (c != '%') {
      if (c >= 0x80) {
        if (utf8.bad(c)) return path_error::overlong_utf8;
        append_escape(seg.text, c);
      } else if (c < 0x20 || c == 0x7F) {
        return path_error::control_character;
      } else if (c == '?' || c == '#') {
        return path_error::query_or_fragment;
      } else if (c == ' ') {
        utf8.ascii();
        append_escape(seg.text, c);
      } else {
        utf8.ascii();
        seg.text.push_back(static_cast<char>(c));
      }
      continue;
    }
    const int hi = i + 2 < raw.size() ? hex_value(raw[i + 1]) : -1;
    const int lo = i + 2 < raw.size() ? hex_value(raw[i + 2]) : -1;
    if (hi < 0 || lo < 0) return path_error::bad_percent_encoding;
    i += 2;
    const auto byte = static_cast<unsigned char>(hi * 16 + lo);
    if (byte == 0) return path_error::encoded_nul;
    if (byte == '/') return path_error::encoded_slash;
    if (byte == '\\') return path_error::backslash;
    if (byte >= 0x80) {
      if (utf8.bad(byte)) return path_error::overlong_utf8;
    } else {
      utf8.ascii();
    }
    if (is_unreserved(byte)) {
      seg.text.push_back(static_cast<char>(byte));
      seg.encoded_dot = seg.encoded_dot || byte == '.';
    } else {
      append_escape(seg.text, byte);
    }
  }
  // "%25" is a literal '%' to us; an origin that decodes twice reads on. Refuse what
  // the second decoding would turn into a dot, a separator, NUL or another escape.
  for (auto at = seg.text.find("%25"); at != std::string::npos; at = seg.text.find("%25", at + 3)) {
    if (at + 4 >= seg.text.size()) continue;
    const int hi = hex_value(seg.text[at + 3]);
    const int lo = hex_value(seg.text[at + 4]);
    if (hi < 0 || lo < 0) continue;
    const int second = hi * 16 + lo;
    if (second == '.' || second == '/' || second == '\\' || second == 0 || second == '%' || second == ';' ||
        second == '?' || second == '#')
      return path_error::double_encoding;
  }
  return seg;
}

// pchar (RFC 3986) without '%' and ';': bytes a normal form keeps as they are and
// that need no second look.
bool is_plain(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~' || c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*' ||
         c == '+' || c == ',' || c == '=' || c == ':' || c == '@';
}

// Most paths are normal already: plain bytes, no doubled slash, no segment of dots.
// They are copied as they are, without the segment-by-segment decoding.
bool is_already_normal(std::string_view path) noexcept {
  bool only_dots = true;
  std::size_t segment_length = 0;
  for (std::size_t i = 1; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '/') {
      if (segment_length == 0 || only_dots) return false;  // "//", or "/./", "/../", "/.../"
      only_dots = true;
      segment_length = 0;
      continue;
    }
    if (!is_plain(c)) return false;
    only_dots = only_dots && c == '.';
    ++segment_length;
  }
  return segment_length == 0 || !only_dots;
}

bool has_name_ending_in_dot_or_space(std::string_view path) noexcept {
  return path.ends_with('.') || path.ends_with("%20") || path.find("./") != std::string_view::npos ||
         path.find("%20/") != std::string_view::npos;
}

enum class segment_kind { name, empty, dot, dot_dot };

boost::system::result<segment_kind> classify(const decoded_segment& seg) {
  if (seg.text.empty()) return segment_kind::empty;
  // Servers that decode before they split take "%3B" for ';', and "%3F" and "%23" for
  // the end of the path: "..%3F" is ".." to them.
  const std::string_view text = seg.text;
  const std::string_view name =
      text.substr(0, std::min({text.find(';'), text.find("%3B"), text.find("%3F"), text.find("%23")}));
  // Windows drops trailing dots and spaces from a name, so ".%20" and "..." are
  // dot segments there and names elsewhere.
  std::string squeezed;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name.substr(i, 3) == "%20") {
      i += 2;
      continue;
    }
    squeezed.push_back(name[i]);
  }
  const bool only_dots = !squeezed.empty() && std::all_of(squeezed.begin(), squeezed.end(), [](char c) { return c == '.'; });
  if (!only_dots) return segment_kind::name;
  if (squeezed.size() > 2 || squeezed.size() != name.size()) return path_error::dots_only_segment;
  if (seg.encoded_dot) return path_error::encoded_dot_segment;
  if (name.size() != seg.text.size()) return path_error::dot_segment_parameter;
  return name.size() == 1 ? segment_kind::dot : segment_kind::dot_dot;
}

}  // namespace

const boost::system::error_category& path_error_category() noexcept {
  static const path_error_category_impl category;
  return category;
}

boost::system::error_code make_error_code(path_error e) noexcept {
  return {static_cast<int>(e), path_error_category()};
}

boost::system::result<std::string> normalise_request_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return path_error::not_absolute;
  if (is_already_normal(path)) return std::string(path);
  // Output segments as [begin, end) offsets into `joined`, so ".." can drop one.
  std::string joined;
  joined.reserve(path.size());
  std::vector<std::size_t> starts;
  bool trailing_slash = false;
  overlong_detector utf8;
  std::string_view rest = path.substr(1);
  for (;;) {
    const auto slash = rest.find('/');
    const bool last = slash == std::string_view::npos;
    const std::string_view raw = rest.substr(0, slash);
    auto seg = decode_segment(raw, utf8);
    if (!seg) return seg.error();
    auto kind = classify(*seg);
    if (!kind) return kind.error();
    switch (*kind) {
      case segment_kind::name:
        starts.push_back(joined.size());
        joined.push_back('/');
        joined.append(seg->text);
        trailing_slash = false;
        break;
      case segment_kind::empty:  // "//" collapses; a final empty segment is a trailing slash
      case segment_kind::dot:
        trailing_slash = true;
        break;
      case segment_kind::dot_dot:
        if (!starts.empty()) {
          joined.resize(starts.back());
          starts.pop_back();
        }
        trailing_slash = true;
        break;
    }
    if (last) break;
    rest.remove_prefix(slash + 1);
  }
  if (joined.empty() || trailing_slash) joined.push_back('/');
  return joined;
}

namespace {

// Rebuilds a normalised path from what `name_of` keeps of each segment; a segment left
// empty disappears (the final one leaves a trailing slash).
template <class NameOf>
std::string rebuild_path(std::string_view normalised, NameOf name_of) {
  std::string out;
  out.reserve(normalised.size());
  std::string_view rest = normalised.substr(normalised.empty() ? 0 : 1);
  for (;;) {
    const auto slash = rest.find('/');
    const bool last = slash == std::string_view::npos;
    const std::string_view name = name_of(rest.substr(0, slash));
    if (!name.empty()) {
      out.push_back('/');
      out.append(name);
    }
    if (last) {
      if (name.empty() || out.empty()) out.push_back('/');
      break;
    }
    rest.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

std::string strip_path_parameters(std::string_view normalised) {
  return rebuild_path(normalised, [](std::string_view seg) {
    return seg.substr(0, std::min(seg.find(';'), seg.find("%3B")));
  });
}

std::string strip_trailing_dots_and_spaces(std::string_view normalised) {
  return rebuild_path(normalised, [](std::string_view name) {
    for (;;) {
      if (name.ends_with('.')) {
        name.remove_suffix(1);
      } else if (name.ends_with("%20")) {
        name.remove_suffix(3);
      } else {
        return name;
      }
    }
  });
}

boost::system::error_code assign_request_path(request_facts& facts, std::string_view raw_path) {
  auto normal = normalise_request_path(raw_path);
  if (!normal) return normal.error();
  facts.path = std::move(*normal);
  auto& readings = facts.other_path_readings;
  readings.clear();
  const auto add = [&](std::string reading, bool windows_only) {
    if (reading == facts.path) return;
    for (const auto& r : readings) {
      if (r.path == reading) return;
    }
    readings.push_back({std::move(reading), windows_only});
  };
  const std::string_view p = facts.path;
  std::string servlet;
  if (p.find(';') != std::string_view::npos || p.find("%3B") != std::string_view::npos) {
    servlet = strip_path_parameters(p);
    add(servlet, false);
  }
  if (has_name_ending_in_dot_or_space(p)) add(strip_trailing_dots_and_spaces(p), true);
  if (!servlet.empty() && has_name_ending_in_dot_or_space(servlet)) add(strip_trailing_dots_and_spaces(servlet), true);
  return {};
}

bool path_has_prefix(std::string_view path, std::string_view prefix, bool ignore_case) noexcept {
  if (path.size() < prefix.size()) return false;
  if (!ignore_case) return path.starts_with(prefix);
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower_ascii(path[i]) != lower_ascii(prefix[i])) return false;
  }
  return true;
}

}  // namespace tollgate
