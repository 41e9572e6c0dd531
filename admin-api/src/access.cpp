#include "access.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace tollgate::admin_api {

namespace {

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view to_string(role r) noexcept { return r == role::admin ? "admin" : "auditor"; }

bool permits(role r, access a) noexcept {
  switch (a) {
    case access::open:
    case access::metrics:
    case access::auditor:
      return true;
    case access::admin:
      return r == role::admin;
  }
  return false;
}

std::optional<role> role_for_groups(const std::vector<std::string>& groups, const options& opts) {
  const auto member_of = [&](const std::vector<std::string>& wanted) {
    return std::any_of(groups.begin(), groups.end(), [&](const std::string& g) {
      return std::find(wanted.begin(), wanted.end(), g) != wanted.end();
    });
  };
  if (member_of(opts.admin_groups)) return role::admin;
  if (member_of(opts.auditor_groups)) return role::auditor;
  return std::nullopt;
}

presented parse_authorization(std::string_view value) {
  value = trim(value);
  if (value.empty()) return no_credentials{};
  const auto space = value.find(' ');
  const auto scheme = value.substr(0, space);
  if (iequals(scheme, "Bearer")) {
    if (space == std::string_view::npos) return malformed_credentials{};
    const auto token = trim(value.substr(space + 1));
    if (token.empty() || token.size() > 4096 || token.find(' ') != std::string_view::npos)
      return malformed_credentials{};
    return bearer_token{std::string(token)};
  }
  if (iequals(scheme, "Basic")) {
    auto creds = auth::parse_proxy_authorization(value);
    if (!creds) return malformed_credentials{};
    return std::move(*creds);
  }
  return malformed_credentials{};
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

boost::system::result<token_table, std::string> token_table::parse(std::string_view text) {
  token_table t;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    auto line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    std::istringstream words{std::string(line)};
    std::string hash, role_word, name;
    words >> hash >> role_word;
    std::getline(words, name);
    name = std::string(trim(name));
    const auto where = "line " + std::to_string(line_no) + ": ";
    if (!is_hex64(hash)) return where + "expected a SHA-256 hex digest (64 hex digits) first";
    entry e;
    if (role_word == "admin")
      e.level = role::admin;
    else if (role_word == "auditor")
      e.level = role::auditor;
    else
      return where + "role must be admin or auditor";
    std::transform(hash.begin(), hash.end(), hash.begin(), [](unsigned char c) { return std::tolower(c); });
    e.name = name.empty() ? hash.substr(0, 8) : name;
    if (!t.entries_.emplace(hash, std::move(e)).second) return where + "the same hash is listed twice";
  }
  return t;
}

boost::system::result<token_table, std::string> token_table::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "cannot read tokens_file " + path;
  std::stringstream ss;
  ss << in.rdbuf();
  auto t = parse(ss.str());
  if (!t) return "tokens_file " + path + ": " + t.error();
  return t;
}

std::optional<token_table::entry> token_table::find(std::string_view token) const {
  const auto hash = sha256_hex(token);
  // A map lookup compares hashes of the secret, not the secret itself; the final
  // comparison is constant-time anyway.
  const auto it = entries_.find(hash);
  if (it == entries_.end() || CRYPTO_memcmp(it->first.data(), hash.data(), hash.size()) != 0) return std::nullopt;
  return it->second;
}

}  // namespace tollgate::admin_api
