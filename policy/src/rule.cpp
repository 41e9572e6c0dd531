#include "tollgate/policy/rule.hpp"

#include "host_pattern.hpp"
#include "schedule.hpp"
#include "tollgate/common/request_path.hpp"

#include <algorithm>
#include <charconv>

namespace tollgate::policy {
namespace {

constexpr std::size_t max_list = 10000;
constexpr std::size_t max_text = 1024;
constexpr std::size_t max_comment = 4096;

std::string indexed(std::string_view field, std::size_t i) {
  return std::string(field) + "[" + std::to_string(i) + "]";
}

// RFC 9110 token characters, upper-case letters only (methods are case-sensitive
// and the proxy passes them upper-case).
bool is_method_token(std::string_view m) {
  if (m.empty() || m.size() > 32) return false;
  return std::all_of(m.begin(), m.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '!' ||
           c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' || c == '+' || c == '^' ||
           c == '`' || c == '|' || c == '~';
  });
}

bool is_printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7F; });
}

void check_list_size(std::string_view field, std::size_t n, std::vector<rule_problem>& out) {
  if (n > max_list) out.push_back({std::string(field), "more than " + std::to_string(max_list) + " entries"});
}

}  // namespace

std::vector<rule_problem> validate_rule(const rule& r) {
  std::vector<rule_problem> out;
  for (std::size_t i = 0; i < r.groups.size(); ++i) {
    const auto& g = r.groups[i];
    if (g.empty() || g.size() > max_text || !is_printable(g)) {
      out.push_back({indexed("groups", i), "must be a non-empty group name"});
    }
  }
  check_list_size("groups", r.groups.size(), out);
  for (std::size_t i = 0; i < r.hosts.size(); ++i) {
    auto parsed = detail::parse_host_pattern(r.hosts[i]);
    if (auto* why = std::get_if<std::string>(&parsed)) out.push_back({indexed("hosts", i), *why});
  }
  check_list_size("hosts", r.hosts.size(), out);
  for (std::size_t i = 0; i < r.ports.size(); ++i) {
    const auto& p = r.ports[i];
    if (p.lo < 1 || p.lo > 65535 || p.hi < 1 || p.hi > 65535) {
      out.push_back({indexed("ports", i), "ports are 1 to 65535"});
    } else if (p.lo > p.hi) {
      out.push_back({indexed("ports", i), "range starts after it ends"});
    }
  }
  check_list_size("ports", r.ports.size(), out);
  for (std::size_t i = 0; i < r.methods.size(); ++i) {
    if (!is_method_token(r.methods[i])) {
      out.push_back({indexed("methods", i), "must be an upper-case HTTP method token such as GET"});
    }
  }
  check_list_size("methods", r.methods.size(), out);
  for (std::size_t i = 0; i < r.path_prefixes.size(); ++i) {
    const auto& p = r.path_prefixes[i];
    if (p.empty() || p.front() != '/' || p.size() > max_text || !is_printable(p) ||
        p.find(' ') != std::string::npos) {
      out.push_back({indexed("path_prefixes", i), "must start with '/' and hold no spaces or control characters"});
    } else if (auto n = tollgate::normalise_request_path(p); !n) {
      // Requests with such a path are refused before any rule is asked, so a rule
      // naming one could never match: say so instead of keeping a dead rule.
      out.push_back({indexed("path_prefixes", i), "is not a path a request can have: " + n.error().message()});
    }
  }
  check_list_size("path_prefixes", r.path_prefixes.size(), out);
  if (r.schedule) detail::compiled_schedule::parse(*r.schedule, out);
  if (r.comment.size() > max_comment) out.push_back({"comment", "longer than " + std::to_string(max_comment) + " bytes"});
  return out;
}

std::string_view to_string(policy_action a) noexcept { return a == policy_action::allow ? "allow" : "deny"; }
std::string_view to_string(rule_mode m) noexcept { return m == rule_mode::enforce ? "enforce" : "report"; }

std::optional<policy_action> parse_policy_action(std::string_view s) noexcept {
  if (s == "allow") return policy_action::allow;
  if (s == "deny") return policy_action::deny;
  return std::nullopt;
}

std::optional<rule_mode> parse_rule_mode(std::string_view s) noexcept {
  if (s == "enforce") return rule_mode::enforce;
  if (s == "report") return rule_mode::report;
  return std::nullopt;
}

std::string_view to_string(path_case_mode m) noexcept { return m == path_case_mode::exact ? "exact" : "insensitive"; }

std::optional<path_case_mode> parse_path_case(std::string_view s) noexcept {
  if (s == "exact") return path_case_mode::exact;
  if (s == "insensitive") return path_case_mode::insensitive;
  return std::nullopt;
}

std::optional<port_range> parse_port_range(std::string_view s) noexcept {
  const auto number = [](std::string_view t) -> std::optional<std::int64_t> {
    std::int64_t v = 0;
    if (t.empty() || t.size() > 10) return std::nullopt;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (ec != std::errc{} || end != t.data() + t.size()) return std::nullopt;
    return v;
  };
  const auto dash = s.find('-');
  if (dash == std::string_view::npos) {
    auto v = number(s);
    if (!v) return std::nullopt;
    return port_range{*v, *v};
  }
  auto lo = number(s.substr(0, dash));
  auto hi = number(s.substr(dash + 1));
  if (!lo || !hi) return std::nullopt;
  return port_range{*lo, *hi};
}

std::string to_string(const port_range& p) {
  if (p.lo == p.hi) return std::to_string(p.lo);
  return std::to_string(p.lo) + "-" + std::to_string(p.hi);
}

void sort_rules(std::vector<rule>& rules) {
  std::stable_sort(rules.begin(), rules.end(), [](const rule& a, const rule& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.id < b.id;
  });
}

}  // namespace tollgate::policy
