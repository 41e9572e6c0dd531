// The route table, access rules, token file, and the route table against openapi.yaml.
#include "routes.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

namespace tollgate::admin_api {
namespace {

using boost::beast::http::verb;

TEST(Routes, MatchesTemplatesWithIds) {
  const auto m = match_route(verb::put, "/api/v1/rules/42");
  ASSERT_EQ(m.status, match_status::found);
  EXPECT_EQ(m.route->id, route_id::rule_replace);
  EXPECT_EQ(m.id, 42);
  EXPECT_EQ(match_route(verb::get, "/api/v1/rules").route->id, route_id::rules_list);
  EXPECT_EQ(match_route(verb::get, "/api/v1/audit/export").route->id, route_id::audit_export);
}

TEST(Routes, UnknownPathsAndBadIdsAreNotFound) {
  for (const char* p : {"/", "/api/v1/rules/", "/api/v1/rules/abc", "/api/v1/rules/-1", "/api/v1/rules/+1",
                        "/api/v1/rules/1/x", "/api/v1/rules/9999999999999999999", "/api/v1/rules/1%32",
                        "/healthz/", "/API/v1/rules"})
    EXPECT_EQ(match_route(verb::get, p).status, match_status::not_found) << p;
}

TEST(Routes, WrongMethodListsTheAllowedOnes) {
  const auto m = match_route(verb::patch, "/api/v1/rules/1");
  EXPECT_EQ(m.status, match_status::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, PUT, DELETE");
  EXPECT_EQ(match_route(verb::post, "/healthz").allow, "GET");
}

TEST(Access, AuditorReadsAuditButChangesNothing) {
  for (const auto& r : all_routes()) {
    if (r.needs == access::open || r.needs == access::metrics) continue;
    EXPECT_TRUE(permits(role::admin, r.needs)) << r.path;
    const bool auditor_ok = r.id == route_id::audit_search || r.id == route_id::audit_export ||
                            r.id == route_id::audit_verify || r.id == route_id::connections ||
                            r.id == route_id::stats_top;
    EXPECT_EQ(permits(role::auditor, r.needs), auditor_ok) << r.path;
    if (r.writes) {
      EXPECT_EQ(r.needs, access::admin) << r.path;
    }
  }
}

TEST(Access, RoleFromGroups) {
  options o;
  EXPECT_EQ(role_for_groups({"auditors", "proxy-admins"}, o), role::admin);
  EXPECT_EQ(role_for_groups({"auditors"}, o), role::auditor);
  EXPECT_FALSE(role_for_groups({"engineering"}, o));
  EXPECT_FALSE(role_for_groups({}, o));
}

TEST(Access, ParsesAuthorization) {
  EXPECT_TRUE(std::holds_alternative<no_credentials>(parse_authorization("")));
  const auto basic = parse_authorization("Basic Y2Fyb2w6Y2Fyb2wtcHc=");  // carol:carol-pw
  ASSERT_TRUE(std::holds_alternative<auth::credentials>(basic));
  EXPECT_EQ(std::get<auth::credentials>(basic).user, "carol");
  const auto bearer = parse_authorization("bearer abc.def");
  ASSERT_TRUE(std::holds_alternative<bearer_token>(bearer));
  EXPECT_EQ(std::get<bearer_token>(bearer).token, "abc.def");
  for (const char* bad : {"Basic !!!", "Bearer", "Bearer a b", "Digest x=y", "Basic Y2Fyb2w="})
    EXPECT_TRUE(std::holds_alternative<malformed_credentials>(parse_authorization(bad))) << bad;
}

TEST(Tokens, ParsesTheFileAndFindsByHash) {
  const auto admin_hash = sha256_hex("s3cret-admin");
  const auto text = "# tokens\n\n" + admin_hash + " admin ci deploy\n" + sha256_hex("s3cret-audit") +
                    " auditor\n";
  const auto t = token_table::parse(text);
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->size(), 2u);
  const auto e = t->find("s3cret-admin");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->level, role::admin);
  EXPECT_EQ(e->name, "ci deploy");
  EXPECT_EQ(t->find("s3cret-audit")->level, role::auditor);
  EXPECT_FALSE(t->find("guess"));
  EXPECT_FALSE(t->find(admin_hash));  // the hash itself is not a token
}

TEST(Tokens, ErrorsNameTheLine) {
  EXPECT_EQ(token_table::parse("\nabc admin\n").error(), "line 2: expected a SHA-256 hex digest (64 hex digits) first");
  EXPECT_EQ(token_table::parse(sha256_hex("x") + " root\n").error(), "line 1: role must be admin or auditor");
  EXPECT_EQ(token_table::parse(sha256_hex("x") + " admin\n" + sha256_hex("x") + " auditor\n").error(),
            "line 2: the same hash is listed twice");
  EXPECT_FALSE(token_table::load("/nonexistent/tokens"));
}

TEST(OpenApi, EveryRouteIsDescribedAndNothingElse) {
  const auto doc = YAML::LoadFile(TOLLGATE_OPENAPI_FILE);
  ASSERT_EQ(doc["openapi"].as<std::string>().substr(0, 3), "3.1");
  std::set<std::string> in_spec;
  for (const auto& path : doc["paths"]) {
    for (const auto& op : path.second) {
      const auto method = op.first.as<std::string>();
      if (method == "parameters") continue;
      std::string upper = method;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      in_spec.insert(upper + " " + path.first.as<std::string>());
      // Every operation documents its errors in the shared shape.
      bool has_4xx = false;
      for (const auto& resp : op.second["responses"]) has_4xx = has_4xx || resp.first.as<std::string>()[0] == '4';
      EXPECT_TRUE(has_4xx) << upper << " " << path.first.as<std::string>();
    }
  }
  std::set<std::string> served;
  for (const auto& r : all_routes())
    served.insert(std::string(boost::beast::http::to_string(r.method)) + " " + std::string(r.path));
  EXPECT_EQ(in_spec, served);
}

TEST(OpenApi, EveryReferenceResolves) {
  const auto doc = YAML::LoadFile(TOLLGATE_OPENAPI_FILE);
  std::vector<std::string> refs;
  std::function<void(const YAML::Node&)> walk = [&](const YAML::Node& n) {
    if (n.IsMap()) {
      for (const auto& kv : n) {
        if (kv.first.as<std::string>() == "$ref") refs.push_back(kv.second.as<std::string>());
        walk(kv.second);
      }
    } else if (n.IsSequence()) {
      for (const auto& e : n) walk(e);
    }
  };
  walk(doc);
  ASSERT_FALSE(refs.empty());
  for (const auto& ref : refs) {
    ASSERT_TRUE(ref.starts_with("#/components/")) << ref;
    const auto rest = ref.substr(13);
    const auto slash = rest.find('/');
    EXPECT_TRUE(doc["components"][rest.substr(0, slash)][rest.substr(slash + 1)].IsDefined()) << ref;
  }
}

}  // namespace
}  // namespace tollgate::admin_api
