#include "config_schema.hpp"

#include "config_values.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

namespace tollgate::app::detail {
namespace {

using std::chrono::milliseconds;
using check_fn = std::function<result<void>(std::string_view)>;
using apply_fn = std::function<void(config&, const std::vector<scalar>&, const key_context&)>;

constexpr milliseconds ms(std::int64_t n) { return milliseconds(n); }
constexpr milliseconds sec(std::int64_t n) { return milliseconds(n * 1000); }
constexpr milliseconds minutes(std::int64_t n) { return sec(n * 60); }
constexpr milliseconds hours(std::int64_t n) { return minutes(n * 60); }
constexpr milliseconds days(std::int64_t n) { return hours(n * 24); }

std::string format_duration(milliseconds d) {
  const auto n = d.count();
  if (n == 0) return "0s";
  if (n % 86'400'000 == 0) return std::to_string(n / 86'400'000) + "d";
  if (n % 3'600'000 == 0) return std::to_string(n / 3'600'000) + "h";
  if (n % 60'000 == 0) return std::to_string(n / 60'000) + "m";
  if (n % 1000 == 0) return std::to_string(n / 1000) + "s";
  return std::to_string(n) + "ms";
}

std::string format_size(std::uint64_t n) {
  for (auto [shift, unit] : {std::pair{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}})
    if (n != 0 && n % (1ull << shift) == 0) return std::to_string(n >> shift) + unit;
  return std::to_string(n);
}

result<void> printable(std::string_view text) {
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return failure{error::bad_text, "must not contain control characters"};
  return {};
}

result<void> non_empty_printable(std::string_view text) {
  if (text.empty()) return failure{error::bad_text, "must not be empty"};
  return printable(text);
}

result<void> readable_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return failure{error::unreadable_file, "'" + path + "' is a directory, expected a file"};
  if (::access(path.c_str(), R_OK) != 0)
    return failure{error::unreadable_file, "cannot read '" + path + "': " + std::strerror(errno)};
  return {};
}

// The failure's sentence with the value that caused it, e.g. `expected true or false (got "yes")`.
template <class T>
std::string got(const result<T>& r, const scalar& value) {
  return r.error().message() + " (got \"" + value.text + "\")";
}

// One parenthesised filter whose parentheses pair up (a backslash escapes the next
// character), so libldap is never handed "(a)(b)" or "(a))(".
bool balanced_filter(std::string_view f) {
  int depth = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '\\') {
      ++i;
      continue;
    }
    if (f[i] == '(') ++depth;
    if (f[i] == ')' && --depth < 0) return false;
    if (depth == 0 && i + 1 != f.size()) return false;
  }
  return depth == 0;
}

key_spec make(std::string_view path, std::string_view type, apply_fn apply, bool required = false,
              bool secret = false, bool is_list = false) {
  return key_spec{config_key_info{path, type, required, secret}, is_list, std::move(apply)};
}

template <class Get>
key_spec string_key(std::string_view path, Get get, check_fn check, bool required = false, bool secret = false) {
  return make(path, "string",
              [path, get, check, secret](config& c, const std::vector<scalar>& v, const key_context& ctx) {
                if (auto checked = check ? check(v[0].text) : result<void>(); !checked)
                  return ctx.fail(path, v[0].line, secret ? checked.error().message() : got(checked, v[0]));
                get(c) = v[0].text;
              },
              required, secret);
}

template <class Get>
key_spec bool_key(std::string_view path, Get get) {
  return make(path, "bool", [path, get](config& c, const std::vector<scalar>& v, const key_context& ctx) {
    const auto b = parse_bool(v[0].text);
    if (!b) return ctx.fail(path, v[0].line, got(b, v[0]));
    get(c) = *b;
  });
}

template <class Get>
key_spec integer_key(std::string_view path, Get get, std::uint64_t min, std::uint64_t max) {
  return make(path, "integer", [path, get, min, max](config& c, const std::vector<scalar>& v, const key_context& ctx) {
    const auto n = parse_unsigned(v[0].text);
    if (!n) return ctx.fail(path, v[0].line, got(n, v[0]));
    if (*n < min || *n > max)
      return ctx.fail(path, v[0].line,
                      std::to_string(*n) + " is out of range (" + std::to_string(min) + "-" + std::to_string(max) + ")");
    get(c) = static_cast<std::remove_reference_t<decltype(get(c))>>(*n);
  });
}

template <class Get>
key_spec size_key(std::string_view path, Get get, std::uint64_t min, std::uint64_t max) {
  return make(path, "size", [path, get, min, max](config& c, const std::vector<scalar>& v, const key_context& ctx) {
    const auto n = parse_size(v[0].text);
    if (!n) return ctx.fail(path, v[0].line, got(n, v[0]));
    if (*n < min || *n > max)
      return ctx.fail(path, v[0].line, "must be between " + format_size(min) + " and " + format_size(max));
    get(c) = static_cast<std::remove_reference_t<decltype(get(c))>>(*n);
  });
}

template <class Get>
key_spec duration_key(std::string_view path, Get get, milliseconds min, milliseconds max) {
  return make(path, "duration", [path, get, min, max](config& c, const std::vector<scalar>& v, const key_context& ctx) {
    const auto d = parse_duration(v[0].text);
    if (!d) return ctx.fail(path, v[0].line, got(d, v[0]));
    if (*d < min || *d > max)
      return ctx.fail(path, v[0].line, "must be between " + format_duration(min) + " and " + format_duration(max));
    get(c) = *d;
  });
}

// A list of strings; `type` names the items for the documentation ("list of host:port").
template <class Get>
key_spec list_key(std::string_view path, std::string_view type, Get get, check_fn check, bool allow_empty) {
  return make(
      path, type,
      [path, get, check, allow_empty](config& c, const std::vector<scalar>& v, const key_context& ctx) {
        if (v.empty() && !allow_empty) return ctx.fail(path, ctx.key_line(), "must list at least one entry");
        std::vector<std::string> out;
        bool ok = true;
        std::set<std::string> seen;
        for (const auto& item : v) {
          if (auto checked = check ? check(item.text) : result<void>(); !checked) {
            ctx.fail(path, item.line, got(checked, item));
            ok = false;
          } else if (!seen.insert(item.text).second) {
            ctx.fail(path, item.line, "\"" + item.text + "\" is listed twice");
            ok = false;
          }
          out.push_back(item.text);
        }
        if (ok) get(c) = std::move(out);
      },
      false, false, true);
}

// A file Tollgate reads later (key, certificate, token list): it must be readable now.
template <class Get>
key_spec input_file_key(std::string_view path, Get get) {
  return make(path, "file path", [path, get](config& c, const std::vector<scalar>& v, const key_context& ctx) {
    const auto resolved = ctx.resolve(v[0].text);
    if (auto readable = resolved.empty() ? result<void>() : readable_file(resolved); !readable)
      return ctx.fail(path, v[0].line, readable.error().message());
    get(c) = resolved;
  });
}

// A file or folder Tollgate writes: only the spelling is checked here.
template <class Get>
key_spec output_path_key(std::string_view path, Get get, bool allow_empty) {
  return make(path, "path", [path, get, allow_empty](config& c, const std::vector<scalar>& v, const key_context& ctx) {
    if (v[0].text.empty() && !allow_empty) return ctx.fail(path, v[0].line, "must not be empty");
    if (auto checked = printable(v[0].text); !checked) return ctx.fail(path, v[0].line, checked.error().message());
    get(c) = ctx.resolve(v[0].text);
  });
}

// Reads a secret from a file; the content is never echoed.
template <class Get>
key_spec secret_file_key(std::string_view path, Get get) {
  return make(
      path, "file path (secret content)",
      [path, get](config& c, const std::vector<scalar>& v, const key_context& ctx) {
        const auto resolved = ctx.resolve(v[0].text);
        if (resolved.empty()) return ctx.fail(path, v[0].line, "must not be empty");
        if (auto readable = readable_file(resolved); !readable)
          return ctx.fail(path, v[0].line, readable.error().message());
        std::ifstream in(resolved, std::ios::binary);
        constexpr std::size_t max_secret = 64 * 1024;
        std::string content(max_secret + 1, '\0');
        in.read(content.data(), static_cast<std::streamsize>(content.size()));
        content.resize(static_cast<std::size_t>(in.gcount()));
        if (content.size() > max_secret) return ctx.fail(path, v[0].line, "'" + resolved + "' is larger than 64KiB");
        content = strip_trailing_newlines(std::move(content));
        if (content.empty()) return ctx.fail(path, v[0].line, "'" + resolved + "' is empty");
        get(c) = std::move(content);
      },
      false, true);
}

check_fn ldap_filter_with(std::string placeholder_a, std::string placeholder_b = {}) {
  return [placeholder_a, placeholder_b](std::string_view text) -> result<void> {
    if (text.size() < 2 || text.front() != '(' || text.back() != ')')
      return failure{error::bad_ldap_filter, "an LDAP filter is written in parentheses, e.g. (uid={user})"};
    if (!balanced_filter(text))
      return failure{error::bad_ldap_filter, "is not one LDAP filter: its parentheses do not pair up"};
    if (text.find(placeholder_a) == std::string_view::npos &&
        (placeholder_b.empty() || text.find(placeholder_b) == std::string_view::npos))
      return failure{error::bad_ldap_filter,
                     "must contain " + placeholder_a + (placeholder_b.empty() ? "" : " or " + placeholder_b)};
    return printable(text);
  };
}

result<void> realm_text(std::string_view text) {
  if (auto checked = non_empty_printable(text); !checked) return checked;
  if (text.find_first_of("\"\\") != std::string_view::npos)
    return failure{error::bad_text, "must not contain \" or \\ (it is sent in a quoted header parameter)"};
  return {};
}

result<void> instance_name(std::string_view text) {
  const bool ok = !text.empty() && text.size() <= 128 && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == ':';
  });
  if (!ok) return failure{error::bad_text, "must be 1-128 characters of A-Z a-z 0-9 . - _ :"};
  return {};
}

// Macro kept local: it only spares writing the same accessor lambda 60 times.
#define TG_FIELD(member) [](config& c) -> auto& { return c.member; }

std::vector<key_spec> build_table() {
  constexpr std::uint64_t unbounded = std::numeric_limits<std::uint64_t>::max();
  std::vector<key_spec> t;

  // proxy
  t.push_back(list_key("proxy.listen", "list of host:port", TG_FIELD(proxy.listen), check_listen_address, false));
  t.push_back(string_key("proxy.realm", TG_FIELD(proxy.realm), realm_text));
  t.push_back(integer_key("proxy.io_threads", TG_FIELD(proxy.io_threads), 0, 1024));
  t.push_back(size_key("proxy.limits.max_header_bytes", TG_FIELD(proxy.max_header_bytes), 1024, 1u << 20));
  t.push_back(integer_key("proxy.limits.max_connections", TG_FIELD(proxy.max_connections), 0, 10'000'000));
  t.push_back(size_key("proxy.limits.max_body_bytes", TG_FIELD(proxy.max_body_bytes), 0, unbounded));
  t.push_back(duration_key("proxy.timeouts.head", TG_FIELD(proxy.head_timeout), ms(100), hours(1)));
  t.push_back(duration_key("proxy.timeouts.idle", TG_FIELD(proxy.idle_timeout), sec(1), days(1)));
  t.push_back(duration_key("proxy.timeouts.connect", TG_FIELD(proxy.connect_timeout), ms(100), minutes(10)));
  t.push_back(duration_key("proxy.timeouts.tunnel_idle", TG_FIELD(proxy.tunnel_idle_timeout), sec(1), days(7)));
  t.push_back(duration_key("proxy.timeouts.shutdown_grace", TG_FIELD(proxy.shutdown_grace), ms(0), hours(1)));
  t.push_back(bool_key("proxy.block_private_destinations", TG_FIELD(proxy.block_private_destinations)));
  t.push_back(string_key("proxy.via", TG_FIELD(proxy.via), printable));
  t.push_back(bool_key("proxy.x_forwarded_for", TG_FIELD(proxy.x_forwarded_for)));
  t.push_back(integer_key("proxy.upstream_idle_per_host", TG_FIELD(proxy.upstream_idle_per_host), 0, 10'000));
  t.push_back(string_key("proxy.support_contact", TG_FIELD(proxy.support_contact), printable));
  t.push_back(integer_key("proxy.flood.tracked_clients", TG_FIELD(proxy.flood.tracked_clients), 1, 10'000'000));
  t.push_back(
      integer_key("proxy.flood.challenges_per_second", TG_FIELD(proxy.flood.challenges_per_second), 0, 1'000'000));
  t.push_back(integer_key("proxy.flood.challenge_burst", TG_FIELD(proxy.flood.challenge_burst), 1, 1'000'000));

  // admin
  t.push_back(string_key("admin.listen", TG_FIELD(admin.listen), check_listen_address));
  t.push_back(list_key("admin.admin_groups", "list of strings", TG_FIELD(admin.admin_groups), non_empty_printable, true));
  t.push_back(
      list_key("admin.auditor_groups", "list of strings", TG_FIELD(admin.auditor_groups), non_empty_printable, true));
  t.push_back(input_file_key("admin.tokens_file", TG_FIELD(admin.tokens_file)));
  t.push_back(input_file_key("admin.tls.cert_file", TG_FIELD(admin.tls_cert_file)));
  t.push_back(input_file_key("admin.tls.key_file", TG_FIELD(admin.tls_key_file)));
  t.push_back(bool_key("admin.metrics_require_token", TG_FIELD(admin.metrics_require_token)));
  t.push_back(integer_key("admin.io_threads", TG_FIELD(admin.io_threads), 1, 64));
  t.push_back(integer_key("admin.worker_threads", TG_FIELD(admin.worker_threads), 1, 256));
  t.push_back(integer_key("admin.limits.max_connections", TG_FIELD(admin.max_connections), 1, 100'000));
  t.push_back(size_key("admin.limits.max_header_bytes", TG_FIELD(admin.max_header_bytes), 1024, 1u << 20));
  t.push_back(size_key("admin.limits.max_body_bytes", TG_FIELD(admin.max_body_bytes), 1024, 1u << 30));
  t.push_back(duration_key("admin.timeouts.read", TG_FIELD(admin.read_timeout), ms(100), hours(1)));
  t.push_back(duration_key("admin.timeouts.idle", TG_FIELD(admin.idle_timeout), sec(1), days(1)));
  t.push_back(duration_key("admin.timeouts.write", TG_FIELD(admin.write_timeout), sec(1), days(1)));

  // ldap
  t.push_back(list_key("ldap.uris", "list of LDAP URIs", TG_FIELD(ldap.uris), check_ldap_uri, false));
  t.push_back(bool_key("ldap.start_tls", TG_FIELD(ldap.start_tls)));
  t.push_back(input_file_key("ldap.ca_file", TG_FIELD(ldap.ca_file)));
  t.push_back(string_key("ldap.bind_dn", TG_FIELD(ldap.bind_dn), non_empty_printable, true));
  t.push_back(string_key("ldap.bind_password", TG_FIELD(ldap.bind_password), non_empty_printable, false, true));
  t.push_back(secret_file_key("ldap.bind_password_file", TG_FIELD(ldap.bind_password)));
  t.push_back(string_key("ldap.user_base", TG_FIELD(ldap.user_base), non_empty_printable, true));
  t.push_back(string_key("ldap.user_filter", TG_FIELD(ldap.user_filter), ldap_filter_with("{user}")));
  t.push_back(string_key("ldap.user_attr", TG_FIELD(ldap.user_attr), non_empty_printable));
  t.push_back(string_key("ldap.group_base", TG_FIELD(ldap.group_base), non_empty_printable, true));
  t.push_back(string_key("ldap.group_filter", TG_FIELD(ldap.group_filter), ldap_filter_with("{dn}", "{user}")));
  t.push_back(string_key("ldap.group_attr", TG_FIELD(ldap.group_attr), non_empty_printable));
  t.push_back(integer_key("ldap.nested_group_depth", TG_FIELD(ldap.nested_group_depth), 0, 10));
  t.push_back(integer_key("ldap.workers", TG_FIELD(ldap.workers), 1, 64));
  t.push_back(duration_key("ldap.network_timeout", TG_FIELD(ldap.network_timeout), ms(100), minutes(5)));
  t.push_back(duration_key("ldap.operation_timeout", TG_FIELD(ldap.operation_timeout), ms(100), minutes(5)));
  t.push_back(duration_key("ldap.cache_ttl", TG_FIELD(ldap.cache_ttl), ms(0), days(1)));
  t.push_back(duration_key("ldap.negative_cache_ttl", TG_FIELD(ldap.negative_cache_ttl), ms(0), hours(1)));
  t.push_back(duration_key("ldap.stale_if_error", TG_FIELD(ldap.stale_if_error), ms(0), days(7)));
  t.push_back(integer_key("ldap.cache_max_entries", TG_FIELD(ldap.cache_max_entries), 1, 100'000'000));
  t.push_back(integer_key("ldap.max_pending_checks", TG_FIELD(ldap.max_pending_checks), 1, 10'000'000));
  t.push_back(duration_key("ldap.down_retry_interval", TG_FIELD(ldap.down_retry_interval), ms(0), minutes(10)));
  t.push_back(integer_key("ldap.lockout.threshold", TG_FIELD(ldap.lockout_threshold), 0, 1000));
  t.push_back(integer_key("ldap.lockout.user_threshold", TG_FIELD(ldap.lockout_user_threshold), 0, 1000));
  t.push_back(integer_key("ldap.lockout.max_entries", TG_FIELD(ldap.lockout_max_entries), 1, 100'000'000));
  t.push_back(duration_key("ldap.lockout.window", TG_FIELD(ldap.lockout_window), sec(1), days(1)));
  t.push_back(duration_key("ldap.lockout.duration", TG_FIELD(ldap.lockout_duration), sec(1), days(1)));

  // postgres: DSNs may carry a password, so they are secret
  t.push_back(string_key("postgres.dsn", TG_FIELD(postgres.dsn), non_empty_printable, true, true));
  t.push_back(string_key("postgres.admin_dsn", TG_FIELD(postgres.admin_dsn), non_empty_printable, false, true));

  // audit
  t.push_back(string_key("audit.instance", TG_FIELD(audit.instance), instance_name));
  t.push_back(output_path_key("audit.spool_dir", TG_FIELD(audit.spool_dir), false));
  t.push_back(size_key("audit.spool_max_bytes", TG_FIELD(audit.spool_max_bytes), 1u << 20, unbounded));
  t.push_back(integer_key("audit.queue_capacity", TG_FIELD(audit.queue_capacity), 1, 10'000'000));
  t.push_back(size_key("audit.queue_max_bytes", TG_FIELD(audit.queue_max_bytes), 1u << 20, 1ull << 40));
  // Kept by the proxy (it sees the client), named under audit (they shape the trail).
  t.push_back(integer_key("audit.unauthenticated.records_per_second",
                          TG_FIELD(proxy.flood.records_per_second), 1, 1'000'000));
  t.push_back(integer_key("audit.unauthenticated.records_burst", TG_FIELD(proxy.flood.records_burst), 1, 1'000'000));
  t.push_back(duration_key("audit.unauthenticated.aggregate_interval", TG_FIELD(proxy.flood.aggregate_interval),
                           ms(100), hours(1)));
  t.push_back(integer_key("audit.batch_max", TG_FIELD(audit.batch_max), 1, 100'000));
  t.push_back(integer_key("audit.writer_connections", TG_FIELD(audit.writer_connections), 1, 16));
  t.push_back(duration_key("audit.flush_interval", TG_FIELD(audit.flush_interval), ms(1), minutes(1)));
  t.push_back(make("audit.on_spool_full", "block | reject",
                   [](config& c, const std::vector<scalar>& v, const key_context& ctx) {
                     if (v[0].text == "block") c.audit.on_spool_full = audit::spool_full_mode::block;
                     else if (v[0].text == "reject") c.audit.on_spool_full = audit::spool_full_mode::reject;
                     else ctx.fail("audit.on_spool_full", v[0].line, "expected block or reject (got \"" + v[0].text + "\")");
                   }));
  t.push_back(integer_key("audit.checkpoint_every", TG_FIELD(audit.checkpoint_every), 1, 10'000'000));
  t.push_back(input_file_key("audit.signing_key_file", TG_FIELD(audit.signing_key_file)));
  t.push_back(output_path_key("audit.checkpoint_file", TG_FIELD(audit.checkpoint_file), true));
  t.push_back(integer_key("audit.retention_months", TG_FIELD(audit.retention_months), 0, 1200));
  t.push_back(bool_key("audit.store_query", TG_FIELD(audit.store_query)));

  // policy
  t.push_back(make("policy.default", "allow | deny", [](config& c, const std::vector<scalar>& v, const key_context& ctx) {
    if (v[0].text == "allow") c.policy.default_action = policy::policy_action::allow;
    else if (v[0].text == "deny") c.policy.default_action = policy::policy_action::deny;
    else ctx.fail("policy.default", v[0].line, "expected allow or deny (got \"" + v[0].text + "\")");
  }));
  t.push_back(input_file_key("policy.bootstrap_rules_file", TG_FIELD(policy.bootstrap_rules_file)));
  return t;
}

#undef TG_FIELD

}  // namespace

const std::vector<key_spec>& key_specs() {
  static const std::vector<key_spec> table = build_table();
  return table;
}

}  // namespace tollgate::app::detail

namespace tollgate::app {

std::vector<config_key_info> config_keys() {
  std::vector<config_key_info> out;
  for (const auto& spec : detail::key_specs()) out.push_back(spec.info);
  return out;
}

}  // namespace tollgate::app
