// The REST handlers with fakes behind every service: shapes, validation, concurrency,
// accountability. Transport (auth headers, limits) is in server_test.cpp.
#include "api.hpp"

#include "fakes.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace tollgate::admin_api {
namespace {

using boost::beast::http::verb;
using testing::fake_world;

class Api : public ::testing::Test {
 protected:
  fake_world world;
  services svc = world.make_services();
  options opts;
  api handlers{opts, svc};

  api_response call(verb method, std::string target, std::string body = {}, std::string if_match = {},
                    role level = role::admin) {
    api_request req;
    const auto q = target.find('?');
    if (q != std::string::npos) {
      req.query = target.substr(q + 1);
      target.resize(q);
    }
    req.match = match_route(method, target);
    EXPECT_EQ(req.match.status, match_status::found) << target;
    req.body = std::move(body);
    req.content_type = req.body.empty() ? "" : "application/json; charset=utf-8";
    req.if_match = std::move(if_match);
    req.who = principal{level == role::admin ? "carol" : "dave", level};
    req.client_ip = "192.0.2.7";
    return handlers.handle(req);
  }
  static boost::json::value json(const api_response& r) { return boost::json::parse(r.body); }
  static std::string header(const api_response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return {};
  }
  static std::string error_code(const api_response& r) {
    return std::string(json(r).at("error").at("code").as_string());
  }
};

TEST_F(Api, CreateAnswers201WithLocationEtagAndIsRecorded) {
  const auto r = call(verb::post, "/api/v1/rules",
                      R"({"priority": 10, "action": "allow", "groups": ["engineering"], "hosts": ["*.example.com"],
                          "ports": [443, "8000-8999"]})");
  ASSERT_EQ(r.status, 201u) << r.body;
  const auto body = json(r);
  const auto id = body.at("id").as_int64();
  EXPECT_EQ(header(r, "Location"), "/api/v1/rules/" + std::to_string(id));
  EXPECT_EQ(header(r, "ETag"), "\"1\"");
  EXPECT_EQ(body.at("ports").as_array().size(), 2u);
  ASSERT_EQ(world.log.actions.size(), 1u);
  const auto& a = world.log.actions[0];
  EXPECT_EQ(a.actor, "carol");
  EXPECT_EQ(a.role, "admin");
  EXPECT_EQ(a.action, "rule.create");
  EXPECT_EQ(a.target, "rule/" + std::to_string(id));
  EXPECT_FALSE(a.before);
  ASSERT_TRUE(a.after);
  EXPECT_EQ(a.after->at("priority").as_int64(), 10);
  EXPECT_EQ(a.client_ip, "192.0.2.7");
}

TEST_F(Api, ValidationNamesTheField) {
  auto r = call(verb::post, "/api/v1/rules", R"({"action": "allow", "hosts": ["ok.com", "bad host!"]})");
  ASSERT_EQ(r.status, 422u) << r.body;
  EXPECT_EQ(json(r).at("error").at("field").as_string(), "hosts[1]");
  r = call(verb::post, "/api/v1/rules", R"({"action": "allow", "colour": "red"})");
  ASSERT_EQ(r.status, 422u);
  EXPECT_EQ(json(r).at("error").at("field").as_string(), "colour");
  r = call(verb::post, "/api/v1/rules", R"({"action": "allow", "priority": "high"})");
  ASSERT_EQ(r.status, 422u);
  EXPECT_EQ(json(r).at("error").at("field").as_string(), "priority");
  r = call(verb::post, "/api/v1/rules", R"({"action": "allow", "ports": [70000]})");
  ASSERT_EQ(r.status, 422u);
  EXPECT_EQ(std::string(json(r).at("error").at("field").as_string()).substr(0, 5), "ports");
  EXPECT_TRUE(world.log.actions.empty());
  EXPECT_TRUE(world.store.rules.empty());
}

TEST_F(Api, MalformedBodiesAre4xx) {
  EXPECT_EQ(call(verb::post, "/api/v1/rules", "{\"action\": ").status, 400u);
  EXPECT_EQ(error_code(call(verb::post, "/api/v1/rules", "{\"action\": ")), "malformed_json");
  EXPECT_EQ(call(verb::post, "/api/v1/rules", "[1,2]").status, 422u);
  EXPECT_EQ(call(verb::post, "/api/v1/rules", "").status, 400u);
  EXPECT_EQ(call(verb::post, "/api/v1/rules", std::string(100, '[') + std::string(100, ']')).status, 400u);
  api_request req;
  req.match = match_route(verb::post, "/api/v1/rules");
  req.body = R"({"action": "allow"})";
  req.content_type = "text/plain";
  EXPECT_EQ(handlers.handle(req).status, 415u);
}

TEST_F(Api, StaleIfMatchIs412AndChangesNothing) {
  const auto created = json(call(verb::post, "/api/v1/rules", R"({"action": "deny", "comment": "v1"})"));
  const auto path = "/api/v1/rules/" + std::to_string(created.at("id").as_int64());
  auto r = call(verb::put, path, R"({"action": "deny", "comment": "v2"})", "\"1\"");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(header(r, "ETag"), "\"2\"");
  EXPECT_EQ(json(r).at("comment").as_string(), "v2");
  r = call(verb::put, path, R"({"action": "deny", "comment": "lost update"})", "\"1\"");
  ASSERT_EQ(r.status, 412u);
  EXPECT_EQ(json(r).at("error").at("current_version").as_int64(), 2);
  EXPECT_EQ(call(verb::get, path).body.find("lost update"), std::string::npos);
  EXPECT_EQ(call(verb::delete_, path, {}, "\"1\"").status, 412u);
  EXPECT_EQ(call(verb::delete_, path, {}, "W/\"2\"").status, 400u);
  EXPECT_EQ(call(verb::delete_, path, {}, "\"2\"").status, 204u);
  EXPECT_EQ(call(verb::get, path).status, 404u);
  // create, update, delete: each recorded with before and after.
  ASSERT_EQ(world.log.actions.size(), 3u);
  EXPECT_EQ(world.log.actions[1].action, "rule.update");
  EXPECT_EQ(world.log.actions[1].before->at("comment").as_string(), "v1");
  EXPECT_EQ(world.log.actions[1].after->at("comment").as_string(), "v2");
  EXPECT_EQ(world.log.actions[2].action, "rule.delete");
  EXPECT_EQ(world.log.actions[2].before->at("comment").as_string(), "v2");
}

TEST_F(Api, StoresThatRecordChangesAreNotRecordedTwice) {
  svc.rules.records_changes = true;
  const auto r = call(verb::post, "/api/v1/rules", R"({"action": "deny"})");
  ASSERT_EQ(r.status, 201u);
  EXPECT_TRUE(world.log.actions.empty());
  ASSERT_EQ(world.store.actors.size(), 1u);
  EXPECT_EQ(world.store.actors[0].name, "carol");
  EXPECT_EQ(world.store.actors[0].role, "admin");
  EXPECT_EQ(world.store.actors[0].client_ip, "192.0.2.7");
}

TEST_F(Api, StoreRefusalsAre422) {
  svc.rules.create = [](const policy::rule&, const actor&) {
    return rule_write_result{rule_write_status::invalid, std::nullopt, {{"hosts[0]", "not allowed here"}}};
  };
  const auto r = call(verb::post, "/api/v1/rules", R"({"action": "deny"})");
  ASSERT_EQ(r.status, 422u);
  EXPECT_EQ(json(r).at("error").at("field").as_string(), "hosts[0]");
}

TEST_F(Api, MissingRulesAre404) {
  EXPECT_EQ(call(verb::get, "/api/v1/rules/99").status, 404u);
  EXPECT_EQ(call(verb::put, "/api/v1/rules/99", R"({"action": "deny"})").status, 404u);
  EXPECT_EQ(call(verb::delete_, "/api/v1/rules/99").status, 404u);
  EXPECT_EQ(error_code(call(verb::get, "/api/v1/rules/99")), "not_found");
}

TEST_F(Api, ListHasTheListShape) {
  call(verb::post, "/api/v1/rules", R"({"action": "deny", "priority": 20})");
  call(verb::post, "/api/v1/rules", R"({"action": "allow", "priority": 10})");
  const auto body = json(call(verb::get, "/api/v1/rules"));
  ASSERT_EQ(body.at("items").as_array().size(), 2u);
  EXPECT_EQ(body.at("items").as_array()[0].at("priority").as_int64(), 10);
  EXPECT_TRUE(body.at("next_cursor").is_null());
}

TEST_F(Api, StoreDownIs503NotACrash) {
  world.store.down = true;
  const auto r = call(verb::get, "/api/v1/rules");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(error_code(r), "unavailable");
}

TEST_F(Api, WritesWithoutAnActionLogAreRefused) {
  svc.actions = nullptr;
  EXPECT_EQ(call(verb::post, "/api/v1/rules", R"({"action": "deny"})").status, 503u);
  EXPECT_TRUE(world.store.rules.empty());
}

TEST_F(Api, AnUnrecordableWriteIsCounted) {
  world.log.fail = true;
  EXPECT_EQ(call(verb::post, "/api/v1/auth/cache/flush", "").status, 200u);
  const auto text = call(verb::get, "/metrics").body;
  EXPECT_NE(text.find("tollgate_admin_actions_unrecorded_total 1"), std::string::npos) << text;
}

TEST_F(Api, PolicyTestWithUserOrGroups) {
  auto r = call(verb::post, "/api/v1/policy/test", R"({"user": "alice", "url": "https://example.com/x"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto body = json(r);
  EXPECT_EQ(body.at("decision").as_string(), "allow");
  EXPECT_EQ(body.at("rule_id").as_int64(), 1);
  EXPECT_EQ(body.at("request").at("method").as_string(), "CONNECT");
  EXPECT_EQ(body.at("request").at("port").as_int64(), 443);
  EXPECT_EQ(body.at("identity").at("groups").as_array()[0].as_string(), "engineering");
  r = call(verb::post, "/api/v1/policy/test", R"({"groups": ["sales"], "method": "GET", "url": "http://EXAMPLE.com./a?b"})");
  body = json(r);
  EXPECT_EQ(body.at("decision").as_string(), "deny");
  EXPECT_TRUE(body.at("rule_id").is_null());
  EXPECT_EQ(body.at("request").at("host").as_string(), "example.com");
  EXPECT_EQ(body.at("request").at("path").as_string(), "/a");
  EXPECT_NE(body.at("reason").as_string().find("default"), std::string::npos);
  r = call(verb::post, "/api/v1/policy/test", R"({"groups": [], "method": "CONNECT", "url": "10.0.0.1:22"})");
  EXPECT_EQ(json(r).at("request").at("address").as_string(), "10.0.0.1");
}

TEST_F(Api, PolicyTestRefusesBadInput) {
  const auto field = [&](const char* body) {
    const auto r = call(verb::post, "/api/v1/policy/test", body);
    EXPECT_EQ(r.status, 422u) << body << r.body;
    return std::string(json(r).at("error").at("field").as_string());
  };
  EXPECT_EQ(field(R"({"url": "http://a.com/"})"), "user");
  EXPECT_EQ(field(R"({"user": "alice", "groups": [], "url": "http://a.com/"})"), "user");
  EXPECT_EQ(field(R"({"user": "alice"})"), "url");
  EXPECT_EQ(field(R"({"user": "alice", "url": "ftp://a.com/"})"), "url");
  EXPECT_EQ(field(R"({"user": "alice", "url": 5})"), "url");
  EXPECT_EQ(field(R"({"user": "alice", "url": "http://a.com/", "method": "get"})"), "method");
  EXPECT_EQ(field(R"({"user": "alice", "url": "http://a.com/", "time": "noon"})"), "time");
  EXPECT_EQ(field(R"({"user": "alice", "url": "http://a.com/", "address": "x"})"), "address");
  EXPECT_EQ(field(R"({"groups": ["a", 1], "url": "http://a.com/"})"), "groups[1]");
  EXPECT_EQ(field(R"({"user": "alice", "url": "http://a.com/", "verbose": true})"), "verbose");
  EXPECT_EQ(field(R"({"groups": [], "method": "CONNECT", "url": "a.com"})"), "url");
  EXPECT_EQ(call(verb::post, "/api/v1/policy/test", R"({"user": "nobody", "url": "http://a.com/"})").status, 404u);
}

TEST_F(Api, AuditSearchPassesFiltersAndEncodesTheCursor) {
  for (int i = 1; i <= 5; ++i) world.audit.rows.push_back(testing::make_record(i));
  auto r = call(verb::get, "/api/v1/audit?user=alice&host=*.example.com&limit=2", {}, {}, role::auditor);
  ASSERT_EQ(r.status, 200u) << r.body;
  auto body = json(r);
  EXPECT_EQ(world.audit.last_filter.user, "alice");
  EXPECT_EQ(world.audit.last_filter.host_suffix, ".example.com");
  EXPECT_EQ(world.audit.last_limit, 2u);
  ASSERT_EQ(body.at("items").as_array().size(), 2u);
  const auto& item = body.at("items").as_array()[0];
  EXPECT_EQ(item.at("ts").as_string(), "2023-11-14T22:13:19.000000Z");
  EXPECT_EQ(item.at("hash").as_string(), "abcd");
  EXPECT_TRUE(item.at("rule_id").is_null());
  const std::string cursor(body.at("next_cursor").as_string());
  r = call(verb::get, "/api/v1/audit?limit=2&cursor=" + cursor, {}, {}, role::auditor);
  ASSERT_EQ(r.status, 200u);
  ASSERT_TRUE(world.audit.last_after);
  EXPECT_EQ(world.audit.last_after->seq, 2);
  EXPECT_EQ(json(r).at("items").as_array()[0].at("seq").as_int64(), 3);
}

TEST_F(Api, BadQueriesAre400NamingTheParameter) {
  auto r = call(verb::get, "/api/v1/audit?cursor=bm9wZQ", {}, {}, role::auditor);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(error_code(r), "bad_cursor");
  r = call(verb::get, "/api/v1/audit?from=2024-13-01T00:00:00Z", {}, {}, role::auditor);
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(json(r).at("error").at("field").as_string(), "from");
  r = call(verb::get, "/api/v1/rules?page=2");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(json(r).at("error").at("field").as_string(), "page");
}

TEST_F(Api, ExportPlanIsCheckedBeforeStreaming) {
  api_request req;
  req.match = match_route(verb::get, "/api/v1/audit/export");
  req.query = "format=csv&decision=deny";
  auto plan = handlers.prepare_export(req);
  ASSERT_TRUE(std::holds_alternative<export_plan>(plan));
  EXPECT_EQ(std::get<export_plan>(plan).format, export_format::csv);
  EXPECT_EQ(std::get<export_plan>(plan).filter.decision, "deny");
  req.query = "format=pdf";
  plan = handlers.prepare_export(req);
  ASSERT_TRUE(std::holds_alternative<api_response>(plan));
  EXPECT_EQ(std::get<api_response>(plan).status, 400u);
}

TEST_F(Api, VerifyConnectionsAndTop) {
  auto body = json(call(verb::get, "/api/v1/audit/verify", {}, {}, role::auditor));
  EXPECT_FALSE(body.at("intact").as_bool());
  EXPECT_TRUE(body.at("instances").as_array()[0].at("break").is_null());
  EXPECT_EQ(body.at("instances").as_array()[1].at("break").at("seq").as_int64(), 3);
  world.verify_error = "connection refused";
  EXPECT_EQ(call(verb::get, "/api/v1/audit/verify", {}, {}, role::auditor).status, 503u);
  body = json(call(verb::get, "/api/v1/connections", {}, {}, role::auditor));
  const auto& c = body.at("items").as_array()[0];
  EXPECT_EQ(c.at("destination").as_string(), "example.com:443");
  EXPECT_DOUBLE_EQ(c.at("age_seconds").as_double(), 1.5);
  EXPECT_TRUE(body.at("next_cursor").is_null());
  body = json(call(verb::get, "/api/v1/stats/top?by=host&limit=5", {}, {}, role::auditor));
  EXPECT_EQ(body.at("by").as_string(), "host");
  EXPECT_EQ(body.at("items").as_array()[0].at("key").as_string(), "example.com");
  EXPECT_EQ(call(verb::get, "/api/v1/stats/top", {}, {}, role::auditor).status, 400u);
}

TEST_F(Api, FlushOneUserOrEveryone) {
  EXPECT_EQ(json(call(verb::post, "/api/v1/auth/cache/flush", R"({"user": "alice"})")).at("flushed").as_string(),
            "alice");
  EXPECT_EQ(json(call(verb::post, "/api/v1/auth/cache/flush", "")).at("flushed").as_string(), "all");
  EXPECT_EQ(world.authn.flushed(), (std::vector<std::string>{"alice", "*"}));
  EXPECT_EQ(call(verb::post, "/api/v1/auth/cache/flush", R"({"user": 5})").status, 422u);
  EXPECT_EQ(call(verb::post, "/api/v1/auth/cache/flush", R"({"users": "x"})").status, 422u);
  ASSERT_EQ(world.log.actions.size(), 2u);
  EXPECT_EQ(world.log.actions[0].action, "auth.cache.flush");
  EXPECT_EQ(world.log.actions[0].target, "auth/cache/alice");
}

TEST_F(Api, ReloadReportsRefusedConfigs) {
  EXPECT_EQ(call(verb::post, "/api/v1/reload").status, 200u);
  world.reload_result = {true, {"proxy.listen cannot change while running"}};
  auto warned = call(verb::post, "/api/v1/reload");
  EXPECT_EQ(warned.status, 200u);
  EXPECT_EQ(json(warned).at("warnings").as_array().size(), 1u);
  world.reload_result = {false, {"cfg.yaml:3: proxy.limits: bad"}};
  const auto r = call(verb::post, "/api/v1/reload");
  EXPECT_EQ(r.status, 422u);
  EXPECT_EQ(error_code(r), "invalid_config");
  EXPECT_EQ(world.reloads, 3);
  ASSERT_EQ(world.log.actions.size(), 3u);
  EXPECT_FALSE(world.log.actions[2].after->at("ok").as_bool());
  EXPECT_EQ(call(verb::post, "/api/v1/reload", R"({"force": true})").status, 422u);
}

TEST_F(Api, ReadyzReportsEachDependency) {
  auto r = call(verb::get, "/readyz");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(json(r).at("postgres").as_string(), "ok");
  world.ready_state.audit = dependency_state::degraded;
  world.ready_state.postgres = dependency_state::down;
  EXPECT_EQ(call(verb::get, "/readyz").status, 200u);  // spooling within capacity still records
  world.ready_state.audit = dependency_state::down;
  r = call(verb::get, "/readyz");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(json(r).at("audit").as_string(), "down");
  world.ready_state = {false, dependency_state::ok, dependency_state::ok, dependency_state::ok};
  EXPECT_EQ(call(verb::get, "/readyz").status, 503u);
}

TEST_F(Api, MetricsAreTheRegistryInTextFormat) {
  const auto r = call(verb::get, "/metrics");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type.rfind("text/plain", 0), 0u);
  EXPECT_NE(r.body.find("# TYPE tollgate_admin_actions_unrecorded_total counter"), std::string::npos) << r.body;
}

TEST_F(Api, UnwiredServicesAre503) {
  svc.connections = nullptr;
  svc.verify_audit = nullptr;
  svc.audit = nullptr;
  EXPECT_EQ(error_code(call(verb::get, "/api/v1/connections", {}, {}, role::auditor)), "not_available");
  EXPECT_EQ(call(verb::get, "/api/v1/audit/verify", {}, {}, role::auditor).status, 503u);
  EXPECT_EQ(call(verb::get, "/api/v1/audit", {}, {}, role::auditor).status, 503u);
}

}  // namespace
}  // namespace tollgate::admin_api
