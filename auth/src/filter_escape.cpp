#include "tollgate/auth/filter_escape.hpp"

namespace tollgate::auth {

std::string escape_filter_value(std::string_view value) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(value.size());
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    // Non-ASCII bytes are escaped too: RFC 4515 allows them raw, but escaping keeps
    // the filter plain ASCII whatever the directory's parser does with odd UTF-8.
    const bool special = c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20 || c >= 0x7f;
    if (special) {
      out += '\\';
      out += hex[c >> 4];
      out += hex[c & 0x0f];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string expand_filter(std::string_view filter_template, std::string_view user, std::string_view dn) {
  static constexpr std::string_view user_token = "{user}";
  static constexpr std::string_view dn_token = "{dn}";
  std::string out;
  out.reserve(filter_template.size() + user.size() + dn.size());
  std::size_t i = 0;
  while (i < filter_template.size()) {
    const auto rest = filter_template.substr(i);
    if (rest.starts_with(user_token)) {
      out += escape_filter_value(user);
      i += user_token.size();
    } else if (rest.starts_with(dn_token)) {
      out += escape_filter_value(dn);
      i += dn_token.size();
    } else {
      out += filter_template[i++];
    }
  }
  return out;
}

}  // namespace tollgate::auth
