#include "query_params.hpp"

#include "cursor.hpp"
#include "time_format.hpp"
#include "tollgate/common/host_name.hpp"

#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

#include <array>
#include <charconv>
#include <map>

namespace tollgate::admin_api {

namespace {

using params_map = std::map<std::string, std::string, std::less<>>;

boost::system::result<params_map, param_error> decode_query(std::string_view query_view,
                                                            std::initializer_list<std::string_view> allowed) {
  params_map out;
  if (query_view.empty()) return out;
  // Boost.URL 1.81's parse_query() reads with strlen() past the view it is given
  // (found by fuzz_admin_input under ASan): hand it a NUL-terminated copy.
  const std::string query(query_view);
  if (query.find('\0') != std::string::npos) return param_error{"", "the query string holds a NUL byte"};
  if (!boost::urls::parse_query(query)) return param_error{"", "the query string is not valid percent-encoding"};
  boost::urls::encoding_opts opt;
  opt.space_as_plus = true;
  const boost::urls::params_view decoded(query, opt);  // checked above: does not throw
  for (const auto p : decoded) {
    const std::string& key = p.key;
    bool known = false;
    for (const auto a : allowed) known = known || a == key;
    if (!known) return param_error{key, "unknown parameter"};
    if (!out.emplace(key, p.has_value ? p.value : std::string()).second)
      return param_error{key, "given more than once"};
  }
  return out;
}

std::optional<std::int64_t> parse_integer(std::string_view s) {
  std::int64_t v = 0;
  if (s.empty() || s.size() > 18) return std::nullopt;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

boost::system::result<time_point, param_error> parse_time(const std::string& field, const std::string& value) {
  const auto t = parse_rfc3339(value);
  if (!t) return param_error{field, "expected an RFC 3339 date-time such as 2024-05-01T12:00:00Z"};
  return *t;
}

boost::system::result<std::size_t, param_error> parse_limit(const std::string& value, std::size_t max) {
  const auto v = parse_integer(value);
  if (!v || *v < 1 || static_cast<std::uint64_t>(*v) > max)
    return param_error{"limit", "expected an integer from 1 to " + std::to_string(max)};
  return static_cast<std::size_t>(*v);
}

std::optional<std::string> canonical_client_net(std::string_view s) {
  boost::system::error_code ec;
  if (s.find('/') == std::string_view::npos) {
    const auto a = boost::asio::ip::make_address(s, ec);
    if (ec) return std::nullopt;
    if (a.is_v6() && a.to_v6().is_v4_mapped())
      return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_string();
    return a.to_string();
  }
  if (s.find(':') == std::string_view::npos) {
    const auto n = boost::asio::ip::make_network_v4(s, ec);
    if (ec) return std::nullopt;
    return n.canonical().to_string();
  }
  const auto n = boost::asio::ip::make_network_v6(s, ec);
  if (ec) return std::nullopt;
  return n.canonical().to_string();
}

}  // namespace

boost::system::result<audit_params, param_error> parse_audit_params(std::string_view query, bool for_export) {
  auto decoded = for_export ? decode_query(query, {"user", "host", "decision", "status", "client_ip", "from", "to",
                                                   "format"})
                            : decode_query(query, {"user", "host", "decision", "status", "client_ip", "from", "to",
                                                   "limit", "cursor"});
  if (!decoded) return decoded.error();
  audit_params out;
  auto& f = out.filter;
  for (const auto& [key, value] : *decoded) {
    if (key == "user") {
      if (value.empty() || value.size() > 256) return param_error{key, "expected a user name"};
      f.user = value;
    } else if (key == "host") {
      const bool suffix = value.starts_with("*.");
      const auto name = normalise_host(suffix ? std::string_view(value).substr(2) : std::string_view(value));
      if (!name || (suffix && name->literal))
        return param_error{key, "expected a host name, \"*.domain\" for its subdomains, or an IP address"};
      if (suffix)
        f.host_suffix = "." + name->name;
      else
        f.host = name->name;
    } else if (key == "decision") {
      static constexpr std::array known{"allow", "deny", "auth_required", "auth_failed", "error"};
      bool ok = false;
      for (const auto* k : known) ok = ok || value == k;
      if (!ok) return param_error{key, "expected one of allow, deny, auth_required, auth_failed, error"};
      f.decision = value;
    } else if (key == "status") {
      const auto v = parse_integer(value);
      if (!v || *v < 100 || *v > 599) return param_error{key, "expected an HTTP status from 100 to 599"};
      f.status = static_cast<int>(*v);
    } else if (key == "client_ip") {
      auto net = canonical_client_net(value);
      if (!net) return param_error{key, "expected an IP address or a CIDR network such as 10.0.0.0/8"};
      f.client_net = std::move(*net);
    } else if (key == "from" || key == "to") {
      auto t = parse_time(key, value);
      if (!t) return t.error();
      (key == "from" ? f.from : f.to) = *t;
    } else if (key == "limit") {
      auto l = parse_limit(value, max_page_limit);
      if (!l) return l.error();
      out.limit = *l;
    } else if (key == "cursor") {
      if (!value.empty()) {
        out.cursor = decode_cursor(value);
        if (!out.cursor) return param_error{key, "not a cursor this server issued", "bad_cursor"};
      }
    } else if (key == "format") {
      if (value == "csv")
        out.format = export_format::csv;
      else if (value == "ndjson")
        out.format = export_format::ndjson;
      else
        return param_error{key, "expected csv or ndjson"};
    }
  }
  if (f.from && f.to && *f.from > *f.to) return param_error{"from", "must not be later than to"};
  return out;
}

boost::system::result<top_params, param_error> parse_top_params(std::string_view query, time_point now) {
  auto decoded = decode_query(query, {"by", "from", "to", "limit"});
  if (!decoded) return decoded.error();
  top_params out;
  const auto& m = *decoded;
  const auto by = m.find("by");
  if (by == m.end()) return param_error{"by", "required: user or host"};
  if (by->second == "user")
    out.by = top_by::user;
  else if (by->second == "host")
    out.by = top_by::host;
  else
    return param_error{"by", "expected user or host"};
  out.to = now;
  if (const auto it = m.find("to"); it != m.end()) {
    auto t = parse_time("to", it->second);
    if (!t) return t.error();
    out.to = *t;
  }
  out.from = out.to - std::chrono::hours(24);
  if (const auto it = m.find("from"); it != m.end()) {
    auto t = parse_time("from", it->second);
    if (!t) return t.error();
    out.from = *t;
  }
  if (out.from > out.to) return param_error{"from", "must not be later than to"};
  if (const auto it = m.find("limit"); it != m.end()) {
    auto l = parse_limit(it->second, max_page_limit);
    if (!l) return l.error();
    out.limit = *l;
  }
  return out;
}

std::optional<param_error> refuse_params(std::string_view query) {
  auto decoded = decode_query(query, {});
  if (!decoded) return decoded.error();
  return std::nullopt;
}

}  // namespace tollgate::admin_api
