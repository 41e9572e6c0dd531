// Request-head handling on the proxy's hot path (issue 3): raw-byte scan, Beast parse,
// framing checks, target parsing, host normalisation and header hygiene, per request.
#include "head_scan.hpp"
#include "header_hygiene.hpp"
#include "request_checks.hpp"
#include "target.hpp"
#include "tollgate/common/host_name.hpp"
#include "tollgate/common/request_path.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

namespace {
namespace http = boost::beast::http;
using namespace tollgate::proxy::detail;

const std::string typical_head =
    "GET http://www.example.com/articles/2024/05/some-article-title?ref=home HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Proxy-Authorization: Basic YWxpY2U6YWxpY2UtcHc=\r\n"
    "Proxy-Connection: keep-alive\r\n"
    "Cookie: session=0123456789abcdef0123456789abcdef; theme=dark\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "\r\n";

void BM_HeadScan(benchmark::State& state) {
  for (auto _ : state) {
    head_scanner s;
    benchmark::DoNotOptimize(s.scan(typical_head));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * typical_head.size()));
}
BENCHMARK(BM_HeadScan);

void BM_FullHeadHandling(benchmark::State& state) {
  for (auto _ : state) {
    head_scanner s;
    if (s.scan(typical_head) != head_scan_status::complete) state.SkipWithError("scan");
    http::request_parser<http::buffer_body> p;
    p.eager(false);
    boost::system::error_code ec;
    p.put(boost::asio::buffer(typical_head.data(), s.head_end()), ec);
    auto& req = p.get();
    if (ec || field_count(req) > max_header_fields || !check_framing(req).empty()) state.SkipWithError("parse");
    absolute_target t;
    if (parse_absolute_target(req.target(), t) != target_error::none) state.SkipWithError("target");
    auto host = tollgate::normalise_host(t.where.host);
    benchmark::DoNotOptimize(host);
    tollgate::request_facts facts;
    if (tollgate::assign_request_path(facts, t.path)) state.SkipWithError("path");
    std::string upstream_target = facts.path;
    upstream_target.append(t.path_and_query.substr(t.path.size()));
    strip_hop_by_hop(req);
    req.target(upstream_target);
    append_via(req, "1.1 tollgate");
    benchmark::DoNotOptimize(req);
  }
}
BENCHMARK(BM_FullHeadHandling);

void BM_Normalise(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(tollgate::normalise_host("WWW.Example.COM."));
}
BENCHMARK(BM_Normalise);

// Path normalisation (issue 16) on its own: a typical path, and one that needs every
// step (escapes, doubled slashes, dot segments, parameters, a trailing dot).
void BM_NormalisePath(benchmark::State& state, const char* path) {
  tollgate::request_facts facts;
  for (auto _ : state) {
    if (tollgate::assign_request_path(facts, path)) state.SkipWithError("refused");
    benchmark::DoNotOptimize(facts);
  }
}
BENCHMARK_CAPTURE(BM_NormalisePath, typical, "/articles/2024/05/some-article-title");
BENCHMARK_CAPTURE(BM_NormalisePath, every_step, "/a//b/./%7Euser/x/../caf%c3%a9;jsessionid=1/v1./index.html");

}  // namespace

BENCHMARK_MAIN();
