#include "api.hpp"

#include "time_format.hpp"

#include <boost/json/parse.hpp>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <charconv>

namespace tollgate::admin_api {

namespace {

std::string_view state_name(dependency_state s) {
  switch (s) {
    case dependency_state::ok:
      return "ok";
    case dependency_state::degraded:
      return "degraded";
    case dependency_state::down:
      return "down";
  }
  return "down";
}

api_response not_available(std::string_view what) {
  return error_response(503, "not_available", std::string(what) + " is not available in this process");
}

bool is_json_content_type(std::string_view ct) {
  const auto semi = ct.find(';');
  auto type = ct.substr(0, semi);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  std::string lower(type);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "application/json";
}

}  // namespace

std::string etag_for(std::int64_t version) { return "\"" + std::to_string(version) + "\""; }

api::api(const options& opts, services& svc) : opts_(opts), svc_(svc) {
  unrecorded_ = &prometheus::BuildCounter()
                     .Name("tollgate_admin_actions_unrecorded_total")
                     .Help("Admin writes that were made but could not be recorded in admin_actions")
                     .Register(svc_.registry)
                     .Add({});
}

std::variant<boost::json::object, api_response> parse_json_body(const api_request& req, bool empty_ok) {
  if (req.body.empty()) {
    if (empty_ok) return boost::json::object{};
    return error_response(400, "bad_request", "a JSON request body is required");
  }
  if (!is_json_content_type(req.content_type))
    return error_response(415, "unsupported_media_type", "the request body must be application/json");
  boost::json::parse_options po;
  po.max_depth = 32;
  boost::system::error_code ec;
  auto v = boost::json::parse(req.body, ec, {}, po);
  if (ec) return error_response(400, "malformed_json", "the request body is not valid JSON: " + ec.message());
  if (!v.is_object())
    return error_response(422, "validation_failed", "the request body must be a JSON object",
                          {{"field", ""}});
  return std::move(v.as_object());
}

std::variant<std::optional<std::int64_t>, api_response> parse_if_match(const std::string& header) {
  std::string_view h = header;
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
  if (h.empty() || h == "*") return std::optional<std::int64_t>{};
  if (h.size() < 3 || h.front() != '"' || h.back() != '"')
    return error_response(400, "bad_request", "If-Match must be one ETag as returned by this API, e.g. \"3\"");
  const auto digits = h.substr(1, h.size() - 2);
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  // A well-formed ETag that is not one of ours can never match: 412, as RFC 9110 says.
  if (ec != std::errc() || p != digits.data() + digits.size() || v < 0)
    return error_response(412, "precondition_failed", "the rule has changed since it was read (ETag mismatch)");
  return std::optional<std::int64_t>{v};
}

api_response api::handle(const api_request& req) {
  try {
    return dispatch(req);
  } catch (const std::exception& e) {
    spdlog::error("admin api: {} {} failed: {}", req.match.route ? req.match.route->path : "?",
                  to_string(req.who.level), e.what());
    return error_response(503, "unavailable", "a service this request needs is unavailable; try again");
  }
}

api_response api::dispatch(const api_request& req) {
  const auto id = req.match.route->id;
  const bool takes_query =
      id == route_id::audit_search || id == route_id::audit_export || id == route_id::stats_top;
  if (!takes_query) {
    if (auto bad = refuse_params(req.query))
      return error_response(400, bad->code, bad->field + ": " + bad->message, {{"field", bad->field}});
  }
  if (req.match.route->writes && svc_.actions == nullptr) return not_available("the admin action log");
  switch (id) {
    case route_id::healthz:
      return json_response(200, {{"status", "ok"}});
    case route_id::readyz:
      return readyz();
    case route_id::metrics:
      return metrics();
    case route_id::rules_list:
      return rules_list();
    case route_id::rules_create:
      return rules_create(req);
    case route_id::rule_get:
      return rule_get(*req.match.id);
    case route_id::rule_replace:
      return rule_replace(req, *req.match.id);
    case route_id::rule_delete:
      return rule_delete(req, *req.match.id);
    case route_id::policy_test:
      return policy_test(req);
    case route_id::audit_search:
      return audit_search(req);
    case route_id::audit_export:
      return error_response(500, "internal", "export is streamed by the session");
    case route_id::audit_verify:
      return audit_verify();
    case route_id::connections:
      return connections();
    case route_id::stats_top:
      return stats_top(req);
    case route_id::auth_cache_flush:
      return auth_cache_flush(req);
    case route_id::reload:
      return reload(req);
  }
  return error_response(404, "not_found", "no such resource");
}

void api::record_action(const api_request& req, std::string action, std::string target,
                        std::optional<boost::json::value> before, std::optional<boost::json::value> after) {
  admin_action a{.actor = req.who.name,
                 .role = std::string(to_string(req.who.level)),
                 .action = std::move(action),
                 .target = std::move(target),
                 .before = std::move(before),
                 .after = std::move(after),
                 .client_ip = req.client_ip};
  try {
    svc_.actions->record(a);
  } catch (const std::exception& e) {
    unrecorded_->Increment();
    spdlog::error("admin api: {} by {} ({}) on {} was made but could not be recorded: {}", a.action, a.actor,
                  a.role, a.target, e.what());
  }
}

api_response api::readyz() {
  if (!svc_.ready) return not_available("the readiness probe");
  const auto r = svc_.ready();
  const bool ready = r.policy_loaded && r.audit != dependency_state::down;
  return json_response(ready ? 200 : 503, {{"ready", ready},
                                           {"policy", r.policy_loaded ? "loaded" : "not_loaded"},
                                           {"postgres", state_name(r.postgres)},
                                           {"ldap", state_name(r.ldap)},
                                           {"audit", state_name(r.audit)}});
}

api_response api::metrics() {
  api_response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = prometheus::TextSerializer().Serialize(svc_.registry.Collect());
  return r;
}

api_response api::connections() {
  if (!svc_.connections) return not_available("the connection list");
  const auto now = std::chrono::system_clock::now();
  boost::json::array items;
  for (const auto& c : svc_.connections()) {
    items.push_back({{"kind", c.kind},
                     {"user", c.user.empty() ? boost::json::value(nullptr) : boost::json::value(c.user)},
                     {"client", c.client},
                     {"destination",
                      c.destination.empty() ? boost::json::value(nullptr) : boost::json::value(c.destination)},
                     {"bytes_up", c.bytes_up},
                     {"bytes_down", c.bytes_down},
                     {"age_seconds", static_cast<double>(c.age.count()) / 1000.0},
                     {"since", format_rfc3339(now - c.age)}});
  }
  return json_response(200, list_body(std::move(items)));
}

api_response api::auth_cache_flush(const api_request& req) {
  auto body = parse_json_body(req, true);
  if (auto* err = std::get_if<api_response>(&body)) return std::move(*err);
  const auto& o = std::get<boost::json::object>(body);
  std::string user;
  for (const auto& [key, value] : o) {
    if (key != "user")
      return error_response(422, "validation_failed", std::string(key) + ": unknown field", {{"field", key}});
    if (!value.is_string() || value.as_string().empty() || value.as_string().size() > 256)
      return error_response(422, "validation_failed", "user: expected a non-empty string", {{"field", "user"}});
    user = value.as_string().c_str();
  }
  svc_.authenticator.flush(user);
  boost::json::object after{{"user", user.empty() ? boost::json::value(nullptr) : boost::json::value(user)}};
  record_action(req, "auth.cache.flush", user.empty() ? "auth/cache" : "auth/cache/" + user, std::nullopt, after);
  return json_response(200, {{"flushed", user.empty() ? boost::json::value("all") : boost::json::value(user)}});
}

api_response api::reload(const api_request& req) {
  if (!req.body.empty()) {
    auto body = parse_json_body(req, true);
    if (auto* err = std::get_if<api_response>(&body)) return std::move(*err);
    if (!std::get<boost::json::object>(body).empty())
      return error_response(422, "validation_failed", "reload takes no fields", {{"field", ""}});
  }
  if (!svc_.reload) return not_available("config reload");
  const auto outcome = svc_.reload();
  boost::json::array problems;
  for (const auto& p : outcome.problems) problems.emplace_back(p);
  record_action(req, "config.reload", "config", std::nullopt,
                boost::json::object{{"ok", outcome.ok}, {"problems", problems}});
  if (!outcome.ok)
    return error_response(422, "invalid_config",
                          outcome.problems.empty() ? "the config file was refused" : outcome.problems.front(),
                          {{"problems", problems}});
  boost::json::object ok{{"reloaded", true}};
  // Accepted, but some settings only apply after a restart: say which.
  if (!problems.empty()) ok["warnings"] = problems;
  return json_response(200, ok);
}

}  // namespace tollgate::admin_api
