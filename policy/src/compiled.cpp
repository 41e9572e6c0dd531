#include "tollgate/policy/compiled_policy.hpp"

#include "address_index.hpp"
#include "host_pattern.hpp"
#include "name_table.hpp"
#include "schedule.hpp"

#include "tollgate/common/host_name.hpp"
#include "tollgate/common/request_path.hpp"

#include <boost/container/small_vector.hpp>

#include <algorithm>
#include <limits>
#include <span>
#include <string>

namespace tollgate::policy {
namespace {

// Small lists inline: a decision touches a rule's memory once, not once per list.
struct compiled_rule {
  std::int64_t id = 0;
  policy_action action = policy_action::deny;
  rule_mode mode = rule_mode::enforce;
  boost::container::small_vector<std::pair<std::uint16_t, std::uint16_t>, 2> ports;
  boost::container::small_vector<std::string, 1> groups;  // sorted
  std::vector<std::string> methods;
  std::vector<std::string> path_prefixes;  // normalised as request paths are
  bool path_ignores_case = false;
  std::optional<detail::compiled_schedule> schedule;
};

// Rule positions whose host entries name this domain, by kind of entry.
struct name_entry {
  std::vector<std::uint32_t> exact;       // "example.com"
  std::vector<std::uint32_t> below;       // "*.example.com"
  std::vector<std::uint32_t> and_below;   // ".example.com"
};

void push_unique(std::vector<std::uint32_t>& list, std::uint32_t pos) {
  if (list.empty() || list.back() != pos) list.push_back(pos);
}

template <class List>
bool contains(const List& list, std::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

bool has_path_prefix(const compiled_rule& r, std::string_view path) {
  return std::any_of(r.path_prefixes.begin(), r.path_prefixes.end(),
                     [&](const std::string& p) { return tollgate::path_has_prefix(path, p, r.path_ignores_case); });
}

// Origins read some paths differently: a servlet container drops ';' parameters
// ("/admin;x/y" is "/admin/y"), and Windows (where a rule ignores case) drops trailing
// dots and spaces ("/admin./" is "/admin/"). A rule that grants access matches only
// when every reading falls under it; one that refuses, when any does.
bool path_matches(const compiled_rule& r, const tollgate::request_facts& f) {
  const bool grants = r.action == policy_action::allow;
  bool result = has_path_prefix(r, f.path);
  for (const auto& reading : f.other_path_readings) {
    if (reading.windows_only && !r.path_ignores_case) continue;
    const bool m = has_path_prefix(r, reading.path);
    result = grants ? result && m : result || m;
  }
  return result;
}

// Names as the proxy passes them need nothing; anything else goes through the same
// normalisation the proxy uses, so no spelling slips past a rule.
bool is_canonical_name(std::string_view host) {
  if (host.empty() || host.back() == '.') return false;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  // A last label that is a number (decimal, or hex "0x..") spells an address.
  const auto dot = host.rfind('.');
  const auto last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.starts_with("0x")) return false;
  return !std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

struct compiled_policy::impl {
  std::int64_t version = 0;
  policy_action default_action = policy_action::deny;
  std::vector<compiled_rule> rules;  // decision order
  std::vector<std::uint32_t> any_host;  // no hosts, no groups
  // Rules without hosts but with groups, by group: a user meets only their groups' rules.
  detail::name_table<std::vector<std::uint32_t>> any_host_by_group;
  detail::name_table<name_entry> names;
  detail::address_index addresses;

  bool applies(const compiled_rule& r, const tollgate::identity& who, const tollgate::request_facts& f,
               bool is_connect, bool groups_sorted) const;
  decision decide(const tollgate::identity& who, const tollgate::request_facts& f) const;
};

bool compiled_policy::impl::applies(const compiled_rule& r, const tollgate::identity& who,
                                    const tollgate::request_facts& f, bool is_connect,
                                    bool groups_sorted) const {
  bool port_ok = false;
  for (const auto& [lo, hi] : r.ports) port_ok = port_ok || (f.port >= lo && f.port <= hi);
  if (!port_ok) return false;
  if (!r.methods.empty() && !contains(r.methods, f.method)) return false;
  if (!r.path_prefixes.empty()) {
    if (is_connect || !path_matches(r, f)) return false;
  }
  if (!r.groups.empty()) {
    const bool member = std::any_of(r.groups.begin(), r.groups.end(), [&](const std::string& g) {
      return groups_sorted ? std::binary_search(who.groups.begin(), who.groups.end(), g) : contains(who.groups, g);
    });
    if (!member) return false;
  }
  if (r.schedule && !r.schedule->matches(f.when)) return false;
  return true;
}

decision compiled_policy::impl::decide(const tollgate::identity& who, const tollgate::request_facts& f) const {
  struct cursor {
    const std::uint32_t* at;
    const std::uint32_t* end;
    bool by_address;
  };
  boost::container::small_vector<cursor, 16> cursors;
  const auto add = [&](std::span<const std::uint32_t> list, bool by_address) {
    if (!list.empty()) cursors.push_back({list.data(), list.data() + list.size(), by_address});
  };
  add(any_host, false);
  if (!any_host_by_group.empty()) {
    for (const auto& g : who.groups) {
      if (const auto* list = any_host_by_group.find(g)) add(*list, false);
    }
  }

  std::string_view name = f.host;
  std::optional<boost::asio::ip::address> address = f.address;
  std::string normalised_storage;
  if (!is_canonical_name(name)) {
    auto n = tollgate::normalise_host(f.host);
    if (n && n->literal) {
      name = {};
      if (!address) address = n->literal;
    } else if (n) {
      normalised_storage = std::move(n->name);
      name = normalised_storage;
    } else {
      name = {};
    }
  }

  if (!name.empty() && !names.empty()) {
    // One pass from the end: at each label boundary the hash covers that suffix.
    detail::reverse_hash h;
    for (std::size_t i = name.size(); i-- > 0;) {
      h.feed(name[i]);
      if (i != 0 && name[i - 1] != '.') continue;
      const auto suffix = name.substr(i);
      const auto* entry = names.find(h.value(), suffix);
      if (!entry) break;  // every suffix of a key is a key too: no longer suffix can match
      if (i == 0) {
        add(entry->exact, false);  // the name itself
      } else {
        add(entry->below, false);  // a proper suffix: "*." entries apply
      }
      add(entry->and_below, false);
    }
  }
  if (address && !addresses.empty()) {
    addresses.for_each_match(detail::address_key(*address),
                             [&](std::span<const std::uint32_t> list) { add(list, true); });
  }

  decision d;
  d.version = version;
  d.action = default_action;
  const bool is_connect = f.is_connect || f.method == "CONNECT";
  // identity promises sorted groups; an unsorted list still works, just slower.
  const bool groups_sorted = std::is_sorted(who.groups.begin(), who.groups.end());
  while (true) {
    // Next rule in decision order among all candidate lists; a rule named through
    // several entries appears once, matched by address if any of them is an address.
    std::uint32_t next = std::numeric_limits<std::uint32_t>::max();
    for (const auto& c : cursors) {
      if (c.at != c.end && *c.at < next) next = *c.at;
    }
    if (next == std::numeric_limits<std::uint32_t>::max()) return d;
    bool by_address = false;
    for (auto& c : cursors) {
      if (c.at != c.end && *c.at == next) {
        by_address = by_address || c.by_address;
        ++c.at;
      }
    }
    const compiled_rule& r = rules[next];
    if (!applies(r, who, f, is_connect, groups_sorted)) continue;
    if (r.mode == rule_mode::report) {
      if (!d.would_rule_id) d.would_rule_id = r.id;
      continue;
    }
    d.action = r.action;
    d.rule_id = r.id;
    d.matched_by_address = r.action == policy_action::allow && by_address;
    return d;
  }
}

compiled_policy::compiled_policy(std::unique_ptr<const impl> i) : impl_(std::move(i)) {}
compiled_policy::~compiled_policy() = default;

compiled_policy::compile_result compiled_policy::compile(std::vector<rule> rules, std::int64_t version,
                                                         policy_action default_action) {
  std::erase_if(rules, [](const rule& r) { return !r.enabled; });
  sort_rules(rules);
  std::vector<rule_problem> problems;
  auto out = std::make_unique<impl>();
  out->version = version;
  out->default_action = default_action;
  out->rules.reserve(rules.size());
  for (const auto& source : rules) {
    const auto pos = static_cast<std::uint32_t>(out->rules.size());
    const std::string prefix = "rules[id=" + std::to_string(source.id) + "].";
    auto rule_problems = validate_rule(source);
    if (!rule_problems.empty()) {
      for (auto& p : rule_problems) problems.push_back({prefix + p.field, std::move(p.message)});
      continue;
    }
    compiled_rule c;
    c.id = source.id;
    c.action = source.action;
    c.mode = source.mode;
    c.groups.assign(source.groups.begin(), source.groups.end());
    std::sort(c.groups.begin(), c.groups.end());
    c.groups.erase(std::unique(c.groups.begin(), c.groups.end()), c.groups.end());
    if (source.ports.empty()) {
      c.ports = {{80, 80}, {443, 443}};
    } else {
      for (const auto& p : source.ports) {
        c.ports.emplace_back(static_cast<std::uint16_t>(p.lo), static_cast<std::uint16_t>(p.hi));
      }
    }
    c.methods = source.methods;
    // validate_rule above refused prefixes that do not normalise.
    for (const auto& p : source.path_prefixes) c.path_prefixes.push_back(*tollgate::normalise_request_path(p));
    c.path_ignores_case = source.path_case == path_case_mode::insensitive;
    if (source.schedule) c.schedule = detail::compiled_schedule::parse(*source.schedule, problems);

    if (source.hosts.empty() && c.groups.empty()) out->any_host.push_back(pos);
    if (source.hosts.empty()) {
      for (const auto& g : c.groups) out->any_host_by_group[g].push_back(pos);
    }
    for (const auto& entry : source.hosts) {
      auto parsed = std::get<detail::host_pattern>(detail::parse_host_pattern(entry));
      if (parsed.kind != detail::host_pattern_kind::network) {
        // The domain's own suffixes become (mostly empty) keys, as the inner nodes of
        // a reversed-label trie: a lookup stops at the first suffix that is missing.
        for (auto dot = parsed.name.find('.'); dot != std::string::npos; dot = parsed.name.find('.', dot + 1)) {
          out->names[std::string_view(parsed.name).substr(dot + 1)];
        }
      }
      switch (parsed.kind) {
        case detail::host_pattern_kind::exact: push_unique(out->names[parsed.name].exact, pos); break;
        case detail::host_pattern_kind::subdomains: push_unique(out->names[parsed.name].below, pos); break;
        case detail::host_pattern_kind::domain_and_subdomains:
          push_unique(out->names[parsed.name].and_below, pos);
          break;
        case detail::host_pattern_kind::network: out->addresses.add(parsed.network, pos); break;
      }
    }
    out->rules.push_back(std::move(c));
  }
  if (!problems.empty()) return problems;
  out->addresses.build();
  return std::shared_ptr<const compiled_policy>(new compiled_policy(std::move(out)));
}

std::shared_ptr<const compiled_policy> compiled_policy::empty(std::int64_t version, policy_action default_action) {
  return std::get<std::shared_ptr<const compiled_policy>>(compile({}, version, default_action));
}

decision compiled_policy::decide(const tollgate::identity& who, const tollgate::request_facts& facts) const {
  return impl_->decide(who, facts);
}

std::int64_t compiled_policy::version() const noexcept { return impl_->version; }
policy_action compiled_policy::default_action() const noexcept { return impl_->default_action; }
std::size_t compiled_policy::rule_count() const noexcept { return impl_->rules.size(); }

}  // namespace tollgate::policy
