// The admin listener over real loopback HTTP with fakes behind it: authentication,
// roles, limits, deadlines, streaming export, connection limit, TLS.
#include "tollgate/admin_api/server.hpp"

#include "access.hpp"
#include "fakes.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <unistd.h>

#include <ctime>

#include <cstdio>
#include <fstream>
#include <thread>

namespace tollgate::admin_api {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::ip::tcp;
using testing::fake_world;

struct reply {
  unsigned status = 0;
  http::response<http::string_body> raw;
  std::string body;
  boost::json::value json() const { return boost::json::parse(body); }
};

std::string basic(const std::string& user, const std::string& pw) {
  static constexpr char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto in = user + ":" + pw;
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += tbl[v >> 18 & 63];
    out += tbl[v >> 12 & 63];
    out += i + 1 < in.size() ? tbl[v >> 6 & 63] : '=';
    out += i + 2 < in.size() ? tbl[v & 63] : '=';
  }
  return "Basic " + out;
}

class Server : public ::testing::Test {
 protected:
  void start(options o = {}) {
    o.listen = "127.0.0.1:0";
    if (o.tokens_file.empty()) {
      // One file per process: ctest runs these tests as parallel processes, and one
      // rewriting a shared file while another read it gave an empty token list.
      o.tokens_file = ::testing::TempDir() + "admin-tokens." + std::to_string(::getpid());
      std::ofstream(o.tokens_file) << "# test tokens\n"
                                   << sha256_hex("admin-token") << " admin deploy-bot\n"
                                   << sha256_hex("auditor-token") << " auditor siem\n";
    }
    auto s = server::create(o, world.make_services());
    ASSERT_TRUE(s) << s.error().message;
    srv = std::move(*s);
    srv->start();
    port = srv->local_endpoint().port();
  }
  void TearDown() override {
    if (srv) srv->stop();
  }

  reply call(http::verb method, const std::string& target, const std::string& authorization = {},
             const std::string& body = {}, std::vector<std::pair<std::string, std::string>> extra = {}) {
    net::io_context ioc;
    beast::tcp_stream s(ioc);
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!authorization.empty()) req.set(http::field::authorization, authorization);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    for (auto& [k, v] : extra) req.set(k, v);
    req.body() = body;
    req.prepare_payload();
    http::write(s, req);
    beast::flat_buffer buf;
    http::response_parser<http::string_body> p;
    p.body_limit(1ull << 30);
    http::read(s, buf, p);
    reply r;
    r.raw = p.release();
    r.status = r.raw.result_int();
    r.body = r.raw.body();
    return r;
  }
  // Sends raw bytes and returns whatever comes back until the server closes.
  std::string raw(const std::string& bytes, std::chrono::seconds limit = std::chrono::seconds(5)) {
    net::io_context ioc;
    beast::tcp_stream s(ioc);
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    s.expires_after(limit);
    if (!bytes.empty()) net::write(s.socket(), net::buffer(bytes));
    std::string out;
    char chunk[4096];
    for (;;) {
      boost::system::error_code ec;
      const auto n = s.socket().read_some(net::buffer(chunk), ec);
      out.append(chunk, n);
      if (ec) break;
    }
    return out;
  }

  fake_world world;
  std::unique_ptr<server> srv;
  unsigned short port = 0;
};

TEST_F(Server, HealthzIsOpen) {
  start();
  const auto r = call(http::verb::get, "/healthz");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.json().at("status").as_string(), "ok");
  EXPECT_EQ(r.raw[http::field::content_type], "application/json");
}

TEST_F(Server, NoCredentialsIs401WithAChallenge) {
  start();
  const auto r = call(http::verb::get, "/api/v1/rules");
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(r.json().at("error").at("code").as_string(), "unauthorized");
  bool basic_challenge = false;
  for (const auto& f : r.raw)
    if (f.name() == http::field::www_authenticate && f.value().starts_with("Basic realm=")) basic_challenge = true;
  EXPECT_TRUE(basic_challenge);
}

TEST_F(Server, WrongPasswordAndJunkAre401) {
  start();
  EXPECT_EQ(call(http::verb::get, "/api/v1/rules", basic("carol", "nope")).status, 401u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/rules", "Basic ***").status, 401u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/rules", "Bearer wrong-token").status, 401u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/rules", "Negotiate abc").status, 401u);
}

TEST_F(Server, AdminMayDoEverythingAuditorOnlyRead) {
  start();
  EXPECT_EQ(call(http::verb::get, "/api/v1/rules", basic("carol", "carol-pw")).status, 200u);
  const auto r = call(http::verb::get, "/api/v1/rules", basic("dave", "dave-pw"));
  EXPECT_EQ(r.status, 403u);
  EXPECT_EQ(r.json().at("error").at("code").as_string(), "forbidden");
  EXPECT_EQ(call(http::verb::post, "/api/v1/reload", basic("dave", "dave-pw")).status, 403u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/audit", basic("dave", "dave-pw")).status, 200u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/connections", basic("dave", "dave-pw")).status, 200u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/stats/top?by=user", basic("dave", "dave-pw")).status, 200u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/audit", basic("alice", "alice-pw")).status, 403u);
  EXPECT_EQ(world.reloads, 0);
}

TEST_F(Server, DirectoryCheckedAsynchronouslyWhenNotCached) {
  start();
  EXPECT_EQ(call(http::verb::get, "/api/v1/rules", basic("slow-carol", "pw")).status, 200u);
  EXPECT_EQ(world.authn.verifies(), 1);
  world.authn.set_unavailable(true);
  const auto r = call(http::verb::get, "/api/v1/rules", basic("slow-carol", "pw"));
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(r.json().at("error").at("code").as_string(), "directory_unavailable");
}

TEST_F(Server, BearerTokensCarryTheirRole) {
  start();
  EXPECT_EQ(call(http::verb::get, "/api/v1/rules", "Bearer admin-token").status, 200u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/rules", "Bearer auditor-token").status, 403u);
  EXPECT_EQ(call(http::verb::get, "/api/v1/audit/verify", "Bearer auditor-token").status, 200u);
  EXPECT_EQ(call(http::verb::post, "/api/v1/auth/cache/flush", "Bearer admin-token").status, 200u);
  ASSERT_EQ(world.log.actions.size(), 1u);
  EXPECT_EQ(world.log.actions[0].actor, "token:deploy-bot");
  EXPECT_EQ(world.log.actions[0].client_ip, "127.0.0.1");
}

TEST_F(Server, MetricsOpenOrTokenProtected) {
  start();
  auto r = call(http::verb::get, "/metrics");
  EXPECT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("# TYPE tollgate_admin_actions_unrecorded_total counter"), std::string::npos) << r.body;
  srv->stop();
  srv.reset();
  options o;
  o.metrics_require_token = true;
  start(o);
  EXPECT_EQ(call(http::verb::get, "/metrics").status, 401u);
  EXPECT_EQ(call(http::verb::get, "/metrics", basic("carol", "carol-pw")).status, 401u);
  EXPECT_EQ(call(http::verb::get, "/metrics", "Bearer auditor-token").status, 200u);
}

TEST_F(Server, UnknownPathsAnd405) {
  start();
  EXPECT_EQ(call(http::verb::get, "/nope").status, 404u);
  const auto r = call(http::verb::patch, "/api/v1/rules/1", basic("carol", "carol-pw"));
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(r.raw[http::field::allow], "GET, PUT, DELETE");
}

TEST_F(Server, OversizedBodyIs413BeforeItIsRead) {
  options o;
  o.max_body_bytes = 1024;
  start(o);
  const auto r = call(http::verb::post, "/api/v1/rules", basic("carol", "carol-pw"), std::string(4096, ' '));
  EXPECT_EQ(r.status, 413u);
  EXPECT_EQ(r.json().at("error").at("code").as_string(), "payload_too_large");
  // Chunked bodies have no length up front: the limit applies while reading.
  const auto chunked = raw("POST /api/v1/rules HTTP/1.1\r\nHost: x\r\nAuthorization: " + basic("carol", "carol-pw") +
                           "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
                           std::string(2048, ' ') + "\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.substr(0, 12), "HTTP/1.1 413") << chunked;
  EXPECT_TRUE(world.store.rules.empty());
}

TEST_F(Server, OversizedHeadIs431) {
  options o;
  o.max_header_bytes = 2048;
  start(o);
  const auto out = raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
  EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 431") << out;
}

TEST_F(Server, GarbageIs400) {
  start();
  const auto out = raw("HELLO THERE\r\n\r\n");
  EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 400") << out;
}

TEST_F(Server, SilentClientsAreCutOffByTheReadDeadline) {
  options o;
  o.read_timeout = std::chrono::milliseconds(200);
  start(o);
  const auto t0 = std::chrono::steady_clock::now();
  const auto out = raw("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // never finishes the head
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  EXPECT_EQ(out, "");
}

TEST_F(Server, KeepAliveServesSeveralRequests) {
  start();
  const auto out = raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(std::count(out.begin(), out.end(), '{'), 2) << out;
}

TEST_F(Server, ConnectionsOverTheLimitGet503) {
  options o;
  o.max_connections = 2;
  o.read_timeout = std::chrono::seconds(5);
  start(o);
  net::io_context ioc;
  tcp::socket a(ioc), b(ioc);
  a.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  b.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto out = raw("");
  EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 503") << out;
  a.close();
  b.close();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(call(http::verb::get, "/healthz").status, 200u);
}

TEST_F(Server, ExportStreamsChunkedCsv) {
  for (int i = 1; i <= 2500; ++i) world.audit.rows.push_back(testing::make_record(i));
  start();
  const auto r = call(http::verb::get, "/api/v1/audit/export?format=csv&user=alice", basic("dave", "dave-pw"));
  ASSERT_EQ(r.status, 200u);
  EXPECT_TRUE(r.raw.chunked());
  EXPECT_EQ(r.raw[http::field::content_type], "text/csv; charset=utf-8");
  EXPECT_EQ(std::count(r.body.begin(), r.body.end(), '\n'), 2501);
  EXPECT_EQ(r.body.substr(0, 12), "ts,instance,");
  EXPECT_NE(r.body.find(",\"/p,\"\"q\"\"\","), std::string::npos);  // RFC 4180 quoting
  EXPECT_EQ(world.audit.batches, 3u);
  EXPECT_EQ(world.audit.last_filter.user, "alice");
}

TEST_F(Server, ExportNdjsonAndBadFormat) {
  for (int i = 1; i <= 3; ++i) world.audit.rows.push_back(testing::make_record(i));
  start();
  auto r = call(http::verb::get, "/api/v1/audit/export", "Bearer auditor-token");
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(std::count(r.body.begin(), r.body.end(), '\n'), 3);
  EXPECT_EQ(boost::json::parse(r.body.substr(0, r.body.find('\n'))).at("seq").as_int64(), 1);
  r = call(http::verb::get, "/api/v1/audit/export?format=xls", "Bearer auditor-token");
  EXPECT_EQ(r.status, 400u);
}

TEST_F(Server, ExportFailingMidwayEndsWithoutTheLastChunk) {
  for (int i = 1; i <= 2500; ++i) world.audit.rows.push_back(testing::make_record(i));
  world.audit.fail_midway = true;
  start();
  EXPECT_THROW(call(http::verb::get, "/api/v1/audit/export", "Bearer auditor-token"), boost::system::system_error);
}

TEST_F(Server, StopEndsAnExportInFlight) {
  // Many rows and a client that never reads: the export blocks on backpressure.
  for (int i = 1; i <= 50'000; ++i) world.audit.rows.push_back(testing::make_record(i));
  start();
  net::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  const std::string req = "GET /api/v1/audit/export HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer auditor-token\r\n\r\n";
  net::write(s, net::buffer(req));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_LT(world.audit.batches, 50u);  // backpressure: not everything was formatted
  const auto t0 = std::chrono::steady_clock::now();
  srv->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(8));
}

TEST_F(Server, CreateFailsReadablyOnBadFiles) {
  options o;
  o.listen = "127.0.0.1:0";
  o.tokens_file = "/nonexistent/tokens";
  auto s = server::create(o, world.make_services());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("/nonexistent/tokens"), std::string::npos);
  o.tokens_file.clear();
  o.tls_cert_file = "/nonexistent/cert.pem";
  s = server::create(o, world.make_services());
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("tls_key_file"), std::string::npos);
  o.tls_key_file = "/nonexistent/key.pem";
  EXPECT_FALSE(server::create(o, world.make_services()));
  o = {};
  o.listen = "localhost:80";
  EXPECT_FALSE(server::create(o, world.make_services()));
}

TEST_F(Server, SpeaksTlsWhenConfigured) {
  const auto dir = ::testing::TempDir();
  const auto cert = dir + "admin-cert.pem", key = dir + "admin-key.pem";
  const auto cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 "
                   "-keyout " + key + " -out " + cert + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  options o;
  o.tls_cert_file = cert;
  o.tls_key_file = key;
  start(o);
  net::io_context ioc;
  net::ssl::context ctx(net::ssl::context::tls_client);
  ctx.load_verify_file(cert);
  beast::ssl_stream<beast::tcp_stream> s(ioc, ctx);
  beast::get_lowest_layer(s).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  s.set_verify_mode(net::ssl::verify_peer);
  s.handshake(net::ssl::stream_base::client);
  http::request<http::string_body> req{http::verb::get, "/api/v1/rules", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::authorization, basic("carol", "carol-pw"));
  http::write(s, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  EXPECT_EQ(res.result_int(), 200u);
  // Plain HTTP on the TLS port gets nowhere.
  EXPECT_EQ(raw("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").find("200 OK"), std::string::npos);

  // The certificate's expiry is exported for the alert: a day from now (-days 1).
  double expiry = 0;
  for (const auto& f : world.registry.Collect())
    if (f.name == "tollgate_admin_tls_cert_expiry_timestamp_seconds" && !f.metric.empty())
      expiry = f.metric[0].gauge.value;
  const auto in_a_day = static_cast<double>(std::time(nullptr) + 86400);
  EXPECT_NEAR(expiry, in_a_day, 120.0);
}

}  // namespace
}  // namespace tollgate::admin_api
