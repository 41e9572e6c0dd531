// POST /api/v1/policy/test: which rule would decide a request, and why.
#include "api.hpp"
#include "time_format.hpp"
#include "tollgate/policy/rule_json.hpp"
#include "tollgate/common/host_name.hpp"
#include "tollgate/common/request_path.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>

namespace tollgate::admin_api {

namespace {

api_response field_error(std::string_view field, std::string_view message) {
  return error_response(422, "validation_failed", std::string(field) + ": " + std::string(message),
                        {{"field", field}});
}

bool is_token(std::string_view s) {
  return !s.empty() && s.size() <= 32 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

struct test_input {
  std::optional<std::string> user;
  std::optional<std::vector<std::string>> groups;
  std::string method = "GET";
  std::string url;
  std::optional<boost::asio::ip::address> address;
  std::optional<time_point> when;
};

std::variant<test_input, api_response> read_input(const boost::json::object& o) {
  test_input in;
  bool have_url = false;
  for (const auto& [key, value] : o) {
    if (key == "user") {
      if (!value.is_string() || value.as_string().empty()) return field_error(key, "expected a user name");
      in.user = std::string(value.as_string());
    } else if (key == "groups") {
      if (!value.is_array()) return field_error(key, "expected a list of group names");
      std::vector<std::string> groups;
      for (std::size_t i = 0; i < value.as_array().size(); ++i) {
        const auto& g = value.as_array()[i];
        if (!g.is_string()) return field_error("groups[" + std::to_string(i) + "]", "expected a string");
        groups.emplace_back(g.as_string());
      }
      std::sort(groups.begin(), groups.end());
      in.groups = std::move(groups);
    } else if (key == "method") {
      if (!value.is_string() || !is_token(value.as_string()))
        return field_error(key, "expected an upper-case HTTP method such as GET or CONNECT");
      in.method = std::string(value.as_string());
    } else if (key == "url") {
      if (!value.is_string()) return field_error(key, "expected a URL string");
      in.url = std::string(value.as_string());
      have_url = true;
    } else if (key == "address") {
      boost::system::error_code ec;
      const auto a = value.is_string() ? boost::asio::ip::make_address(std::string(value.as_string()), ec)
                                       : boost::asio::ip::address{};
      if (!value.is_string() || ec) return field_error(key, "expected an IP address");
      in.address = a;
    } else if (key == "time") {
      const auto t = value.is_string() ? parse_rfc3339(value.as_string()) : std::nullopt;
      if (!t) return field_error(key, "expected an RFC 3339 date-time such as 2024-05-01T12:00:00Z");
      in.when = *t;
    } else {
      return field_error(key, "unknown field");
    }
  }
  if (in.user.has_value() == in.groups.has_value()) return field_error("user", "give exactly one of user or groups");
  if (!have_url) return field_error("url", "required");
  return in;
}

// Fills host, port, path and is_connect from the URL the way the proxy would see them.
std::optional<api_response> fill_target(const test_input& in, request_facts& f) {
  f.method = in.method;
  std::string host;
  if (in.method == "CONNECT") {
    auto a = boost::urls::parse_authority(in.url);
    if (!a || !a->has_port() || a->port_number() == 0 || a->has_userinfo())
      return field_error("url", "a CONNECT target is host:port");
    host = a->host_address();
    f.port = a->port_number();
    f.is_connect = true;
  } else {
    auto u = boost::urls::parse_absolute_uri(in.url);
    if (!u || (u->scheme() != "http" && u->scheme() != "https") || u->host().empty())
      return field_error("url", "expected an absolute http:// or https:// URL");
    host = u->host_address();
    if (u->has_port() && u->port_number() == 0) return field_error("url", "bad port");
    if (u->scheme() == "https") {
      // The proxy only ever sees an https URL as a CONNECT tunnel.
      f.method = "CONNECT";
      f.is_connect = true;
      f.port = u->has_port() ? u->port_number() : 443;
    } else {
      f.port = u->has_port() ? u->port_number() : 80;
      // The path the proxy would decide on and forward, or the proxy's own 400.
      const auto raw_path = u->encoded_path().empty() ? std::string_view("/") : std::string_view(u->encoded_path());
      if (const auto ec = assign_request_path(f, raw_path))
        return field_error("url", "the proxy answers 400 to this path: " + ec.message());
    }
  }
  const auto norm = normalise_host(host);
  if (!norm) return field_error("url", "the host is not a valid name or address");
  f.host = norm->name;
  f.address = norm->literal;
  if (in.address) {
    if (norm->literal && *norm->literal != *in.address)
      return field_error("address", "differs from the address in the URL");
    f.address = in.address;
  }
  f.when = in.when.value_or(std::chrono::system_clock::now());
  return std::nullopt;
}

boost::json::value optional_id(const std::optional<std::int64_t>& v) {
  if (!v) return nullptr;
  return *v;
}

}  // namespace

api_response api::policy_test(const api_request& req) {
  if (!svc_.decide) return error_response(503, "not_available", "the policy engine is not available");
  auto body = parse_json_body(req, false);
  if (auto* err = std::get_if<api_response>(&body)) return std::move(*err);
  auto read = read_input(std::get<boost::json::object>(body));
  if (auto* err = std::get_if<api_response>(&read)) return std::move(*err);
  const auto& in = std::get<test_input>(read);

  identity who;
  if (in.user) {
    if (!svc_.user_groups) return error_response(503, "not_available", "the directory lookup is not available");
    auto groups = svc_.user_groups(*in.user);
    if (!groups) return error_response(404, "unknown_user", "the directory does not know user " + *in.user);
    who.user = *in.user;
    who.groups = std::move(*groups);
    std::sort(who.groups.begin(), who.groups.end());
  } else {
    who.groups = *in.groups;
  }
  request_facts facts;
  if (auto err = fill_target(in, facts)) return std::move(*err);

  const auto d = svc_.decide(who, facts);
  boost::json::value rule = nullptr;
  if (d.rule_id && svc_.rules.get)
    if (const auto r = svc_.rules.get(*d.rule_id)) rule = policy::rule_to_json(*r);

  std::string reason;
  if (d.rule_id)
    reason = "rule " + std::to_string(*d.rule_id) + " is the first enabled rule that matches";
  else
    reason = "no rule matches: the policy default decides";
  if (d.would_rule_id) reason += "; report-mode rule " + std::to_string(*d.would_rule_id) + " would have matched first";

  boost::json::array groups;
  for (const auto& g : who.groups) groups.emplace_back(g);
  boost::json::object request{{"method", facts.method},
                              {"host", facts.host},
                              {"port", facts.port},
                              {"path", facts.path},
                              {"time", format_rfc3339(facts.when)}};
  request["address"] = facts.address ? boost::json::value(facts.address->to_string()) : boost::json::value(nullptr);
  return json_response(200, {{"decision", policy::to_string(d.action)},
                             {"rule_id", optional_id(d.rule_id)},
                             {"would_rule_id", optional_id(d.would_rule_id)},
                             {"policy_version", d.version},
                             {"matched_by_address", d.matched_by_address},
                             {"reason", reason},
                             {"rule", rule},
                             {"identity", {{"user", who.user.empty() ? boost::json::value(nullptr)
                                                                     : boost::json::value(who.user)},
                                           {"groups", std::move(groups)}}},
                             {"request", std::move(request)}});
}

}  // namespace tollgate::admin_api
