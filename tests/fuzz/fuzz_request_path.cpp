// libFuzzer: request path normalisation and path rules (issue 16). The input is a path
// as a client writes it. Invariants, for every path the proxy accepts:
// - the normal form is a fixed point, starts with '/', has no empty or dot segment, no
//   backslash, and only upper-case escapes of bytes that are not unreserved;
// - read by the laxest origin we know of (decode every escape once, '\' as '/', overlong
//   UTF-8 as the character it spells, parameters dropped after decoding, dot segments
//   resolved), the path is still under /public/ whenever the /public/ rule allowed it,
//   and never under /internal/ unless the /internal/ deny rule refused it; likewise for
//   a Windows origin (case folded, trailing dots and spaces trimmed) and
//   case-insensitive rules for /docs/ and /admin/.
#include "tollgate/policy/compiled_policy.hpp"
#include "tollgate/policy/rule.hpp"
#include "tollgate/common/request_path.hpp"
#include "tollgate/testing/lax_path.hpp"

#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace tollgate;

std::shared_ptr<const policy::compiled_policy> make_policy() {
  std::vector<policy::rule> rules;
  policy::rule deny_internal;
  deny_internal.id = 1;
  deny_internal.priority = 1;
  deny_internal.action = policy::policy_action::deny;
  deny_internal.path_prefixes = {"/internal/"};
  deny_internal.hosts = {"example.com"};
  rules.push_back(deny_internal);
  policy::rule allow_public;
  allow_public.id = 2;
  allow_public.priority = 2;
  allow_public.action = policy::policy_action::allow;
  allow_public.path_prefixes = {"/public/"};
  allow_public.hosts = {"example.com"};
  rules.push_back(allow_public);
  // The same pair for a Windows origin: case-insensitive prefixes.
  policy::rule deny_admin = deny_internal;
  deny_admin.id = 3;
  deny_admin.priority = 3;
  deny_admin.path_prefixes = {"/admin/"};
  deny_admin.path_case = policy::path_case_mode::insensitive;
  deny_admin.hosts = {"windows.example"};
  rules.push_back(deny_admin);
  policy::rule allow_docs = allow_public;
  allow_docs.id = 4;
  allow_docs.priority = 4;
  allow_docs.path_prefixes = {"/docs/"};
  allow_docs.path_case = policy::path_case_mode::insensitive;
  allow_docs.hosts = {"windows.example"};
  rules.push_back(allow_docs);
  auto compiled = policy::compiled_policy::compile(std::move(rules), 1, policy::policy_action::deny);
  if (!std::holds_alternative<std::shared_ptr<const policy::compiled_policy>>(compiled)) std::abort();
  return std::get<std::shared_ptr<const policy::compiled_policy>>(compiled);
}

void check_form(const std::string& p) {
  if (p.empty() || p.front() != '/') std::abort();
  if (p.find("//") != std::string::npos || p.find('\\') != std::string::npos) std::abort();
  if (p.find("/./") != std::string::npos || p.find("/../") != std::string::npos) std::abort();
  if (p.ends_with("/.") || p.ends_with("/..")) std::abort();
  for (std::size_t i = 0; i < p.size(); ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c >= 0x80 || c <= 0x20 || c == 0x7F) std::abort();
    if (c != '%') continue;
    if (i + 2 >= p.size()) std::abort();
    const char hi = p[i + 1];
    const char lo = p[i + 2];
    const bool upper_hex = testing::detail::lax_hex(hi) >= 0 && testing::detail::lax_hex(lo) >= 0 && !(hi >= 'a' && hi <= 'f') && !(lo >= 'a' && lo <= 'f');
    if (!upper_hex) std::abort();
    const int byte = testing::detail::lax_hex(hi) * 16 + testing::detail::lax_hex(lo);
    const bool unreserved = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                            (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' || byte == '~';
    if (unreserved || byte == '/' || byte == '\\' || byte == 0) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto policy = make_policy();
  std::string raw = "/";
  raw.append(reinterpret_cast<const char*>(data), size);
  request_facts f;
  f.method = "GET";
  f.host = "example.com";
  f.port = 80;
  if (assign_request_path(f, raw)) return 0;
  check_form(f.path);
  const auto again = normalise_request_path(f.path);
  if (!again || *again != f.path) std::abort();

  const auto d = policy->decide(identity{}, f);
  const std::string lax = testing::lax_path_reading(f.path, false);
  if (d.action == policy::policy_action::allow && !lax.starts_with("/public/")) std::abort();
  if (lax.starts_with("/internal/") && d.rule_id != 1) std::abort();

  f.host = "windows.example";
  const auto w = policy->decide(identity{}, f);
  const std::string windows = testing::lax_path_reading(f.path, true);
  if (w.action == policy::policy_action::allow && !windows.starts_with("/docs/")) std::abort();
  if (windows.starts_with("/admin/") && w.rule_id != 3) std::abort();
  return 0;
}
