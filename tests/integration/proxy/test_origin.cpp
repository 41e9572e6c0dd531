// A small origin server for the proxy's integration tests and the wrk bench.
//   test_origin PORT_FILE [CERT KEY]
// Listens on 127.0.0.1 (free ports) and writes "http=P tls=P sink=P" to PORT_FILE.
// HTTP (one thread per connection, keep-alive):
//   GET  /bytes/N     N bytes, Content-Length, streamed     HEAD /bytes/N: the head only
//   GET  /chunked/N   N bytes, chunked                      GET /eof/N: N bytes, ends by close
//   GET  /headers     the request head as received           GET /conn: this connection's number
//   GET  /status/N    status N, no body                      GET /slow/MS: answers after MS ms
//   GET  /early       103 Early Hints, then 200              GET /count: request heads read so far, /count excluded
//   POST /echo        "len=L sum=S chunked=0|1" for the body it received (streamed, not kept)
// TLS (CERT KEY given): any request -> "hello over tls". Sink: raw TCP; reads to EOF,
// then answers "received N" and closes (shows that a half-close crossed a tunnel).
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <charconv>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

std::atomic<unsigned long> connection_counter{0};
std::atomic<unsigned long> request_counter{0};  // request heads parsed, /count excluded
const std::string filler(64 * 1024, 'x');

std::uint64_t number_after(std::string_view target, std::string_view prefix) {
  std::uint64_t n = 0;
  auto rest = target.substr(prefix.size());
  std::from_chars(rest.data(), rest.data() + rest.size(), n);
  return n;
}

template <class Stream>
bool write_all(Stream& s, std::string_view data) {
  boost::system::error_code ec;
  asio::write(s, asio::buffer(data.data(), data.size()), ec);
  return !ec;
}

template <class Stream>
bool write_simple(Stream& s, unsigned status, std::string_view body, bool keep, std::string_view extra = {}) {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
                     "\r\n" + std::string(extra) + (keep ? "" : "Connection: close\r\n") + "\r\n";
  return write_all(s, head + std::string(body));
}

// Serves one plain HTTP connection until it closes.
void serve_http(tcp::socket sock) {
  const unsigned long id = ++connection_counter;
  boost::beast::flat_buffer buf;
  boost::system::error_code ec;
  sock.set_option(tcp::no_delay(true), ec);
  char body_buf[64 * 1024];
  for (;;) {
    http::request_parser<http::buffer_body> p;
    p.body_limit(boost::none);
    http::read_header(sock, buf, p, ec);
    if (ec) return;
    auto& req = p.get();
    const bool is_count = req.target() == "/count";
    if (!is_count) ++request_counter;
    // Read (and digest) the body without keeping it.
    std::uint64_t len = 0, sum = 0;
    const bool chunked = p.chunked();
    while (!p.is_done()) {
      req.body().data = body_buf;
      req.body().size = sizeof body_buf;
      http::read(sock, buf, p, ec);
      if (ec == http::error::need_buffer) ec = {};
      if (ec) return;
      const std::size_t n = sizeof body_buf - req.body().size;
      for (std::size_t i = 0; i < n; ++i) sum = sum * 31 + static_cast<unsigned char>(body_buf[i]);
      len += n;
    }
    const bool keep = p.keep_alive();
    const std::string_view t = req.target();
    const bool head = req.method() == http::verb::head;
    bool ok = true;
    if (t.starts_with("/bytes/")) {
      const auto n = number_after(t, "/bytes/");
      ok = write_all(sock, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                               std::to_string(n) + "\r\n" + (keep ? "" : "Connection: close\r\n") + "\r\n");
      for (std::uint64_t left = head ? 0 : n; ok && left > 0;) {
        const auto k = std::min<std::uint64_t>(left, filler.size());
        ok = write_all(sock, std::string_view(filler).substr(0, k));
        left -= k;
      }
    } else if (t.starts_with("/chunked/")) {
      const auto n = number_after(t, "/chunked/");
      ok = write_all(sock, std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n") +
                               (keep ? "" : "Connection: close\r\n") + "\r\n");
      for (std::uint64_t left = head ? 0 : n; ok && left > 0;) {
        const auto k = std::min<std::uint64_t>(left, 1000);
        char size_line[32];
        const int m = std::snprintf(size_line, sizeof size_line, "%llx\r\n", static_cast<unsigned long long>(k));
        ok = write_all(sock, std::string(size_line, m) + filler.substr(0, k) + "\r\n");
        left -= k;
      }
      if (ok && !head) ok = write_all(sock, "0\r\n\r\n");
    } else if (t.starts_with("/eof/")) {
      const auto n = number_after(t, "/eof/");
      write_all(sock, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
      for (std::uint64_t left = n; left > 0;) {
        const auto k = std::min<std::uint64_t>(left, filler.size());
        if (!write_all(sock, std::string_view(filler).substr(0, k))) break;
        left -= k;
      }
      return;
    } else if (t == "/headers") {
      std::string out = "TARGET " + std::string(t) + "\n";
      for (const auto& f : req) out += std::string(f.name_string()) + ": " + std::string(f.value()) + "\n";
      ok = write_simple(sock, 200, out, keep);
    } else if (t == "/early") {
      ok = write_all(sock, "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n");
      ok = ok && write_simple(sock, 200, "after hints", keep);
    } else if (is_count) {
      ok = write_simple(sock, 200, std::to_string(request_counter.load()), keep);
    } else if (t == "/conn") {
      ok = write_simple(sock, 200, std::to_string(id), keep);
    } else if (t.starts_with("/status/")) {
      const auto code = static_cast<unsigned>(number_after(t, "/status/"));
      ok = write_all(sock, "HTTP/1.1 " + std::to_string(code) + " X\r\nETag: \"v1\"\r\n" +
                               (keep ? "" : "Connection: close\r\n") + "\r\n");
    } else if (t.starts_with("/slow/")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(number_after(t, "/slow/")));
      ok = write_simple(sock, 200, "slow", keep);
    } else if (t == "/echo") {
      ok = write_simple(sock, 200,
                        "len=" + std::to_string(len) + " sum=" + std::to_string(sum) + " chunked=" +
                            (chunked ? "1" : "0"),
                        keep);
    } else {
      ok = write_simple(sock, 404, "no such test resource", keep);
    }
    if (!ok || !keep) {
      sock.shutdown(tcp::socket::shutdown_send, ec);
      return;
    }
  }
}

void serve_tls(tcp::socket sock, asio::ssl::context& ctx) {
  asio::ssl::stream<tcp::socket> s(std::move(sock), ctx);
  boost::system::error_code ec;
  s.handshake(asio::ssl::stream_base::server, ec);
  if (ec) return;
  boost::beast::flat_buffer buf;
  for (;;) {
    http::request<http::string_body> req;
    http::read(s, buf, req, ec);
    if (ec) return;
    if (!write_simple(s, 200, "hello over tls\n", req.keep_alive())) return;
    if (!req.keep_alive()) break;
  }
  s.shutdown(ec);
}

void serve_sink(tcp::socket sock) {
  char b[16384];
  std::uint64_t total = 0;
  boost::system::error_code ec;
  for (;;) {
    const auto n = sock.read_some(asio::buffer(b), ec);
    total += n;
    if (ec) break;
  }
  if (ec != asio::error::eof) return;
  write_all(sock, "received " + std::to_string(total) + "\n");
  sock.shutdown(tcp::socket::shutdown_send, ec);
}

template <class F>
std::thread accept_loop(tcp::acceptor& acc, F serve) {
  return std::thread([&acc, serve] {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s(acc.get_executor());
      acc.accept(s, ec);
      if (ec) continue;
      std::thread(serve, std::move(s)).detach();
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) {
    std::cerr << "usage: test_origin PORT_FILE [CERT KEY]\n";
    return 2;
  }
  asio::io_context ioc;
  const tcp::endpoint any{asio::ip::make_address("127.0.0.1"), 0};
  tcp::acceptor http_acc(ioc, any), tls_acc(ioc, any), sink_acc(ioc, any);
  asio::ssl::context ssl(asio::ssl::context::tls_server);
  const bool tls = argc == 4;
  if (tls) {
    ssl.use_certificate_chain_file(argv[2]);
    ssl.use_private_key_file(argv[3], asio::ssl::context::pem);
  }
  std::vector<std::thread> loops;
  loops.push_back(accept_loop(http_acc, [](tcp::socket s) { serve_http(std::move(s)); }));
  if (tls) loops.push_back(accept_loop(tls_acc, [&ssl](tcp::socket s) { serve_tls(std::move(s), ssl); }));
  loops.push_back(accept_loop(sink_acc, [](tcp::socket s) { serve_sink(std::move(s)); }));
  {
    std::ofstream out(std::string(argv[1]) + ".tmp");
    out << "http=" << http_acc.local_endpoint().port() << " tls=" << tls_acc.local_endpoint().port()
        << " sink=" << sink_acc.local_endpoint().port() << "\n";
  }
  std::rename((std::string(argv[1]) + ".tmp").c_str(), argv[1]);
  for (auto& t : loops) t.join();
}
