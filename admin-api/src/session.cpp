// One admin connection: read with limits and deadlines, route, authenticate, answer.
// A session is one named coroutine owning its stream; every step has a deadline.
#include "blocking.hpp"
#include "record_format.hpp"
#include "server_state.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include <future>
#include <thread>

namespace tollgate::admin_api {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::awaitable;
using net::ip::tcp;
constexpr auto with_error = net::as_tuple(net::use_awaitable);

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

constexpr std::string_view challenge_basic = "Basic realm=\"Tollgate admin\", charset=\"UTF-8\"";
constexpr std::string_view challenge_bearer = "Bearer realm=\"Tollgate admin\"";

// Decrements the live-connection count however the session ends.
struct active_guard {
  std::shared_ptr<server_state> st;
  std::uint64_t closer_id = 0;
  ~active_guard() {
    if (closer_id) st->remove_closer(closer_id);
    --st->active;
  }
};

api_response unauthorized(std::string_view code, std::string_view message, bool bearer_only = false) {
  auto r = error_response(401, code, message);
  if (!bearer_only) r.headers.emplace_back("WWW-Authenticate", std::string(challenge_basic));
  r.headers.emplace_back("WWW-Authenticate", std::string(challenge_bearer));
  return r;
}

template <class Stream>
awaitable<bool> write_response(Stream& stream, const server_state& st, api_response& res, unsigned version,
                               bool keep_alive) {
  http::response<http::string_body> r{static_cast<http::status>(res.status), version};
  if (!res.content_type.empty()) r.set(http::field::content_type, res.content_type);
  r.set(http::field::cache_control, "no-store");
  r.set("X-Content-Type-Options", "nosniff");
  for (auto& [name, value] : res.headers) r.insert(name, value);
  r.body() = std::move(res.body);
  r.keep_alive(keep_alive);
  r.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(st.opts.write_timeout);
  auto [ec, n] = co_await http::async_write(stream, r, with_error);
  co_return !ec;
}

// Basic (through the authenticator) or bearer (through the token table); then the role.
awaitable<std::variant<principal, api_response>> authenticate(const std::shared_ptr<server_state>& st,
                                                              const std::string& header, access needs,
                                                              const net::ip::address& client) {
  if (needs == access::open || (needs == access::metrics && !st->opts.metrics_require_token)) co_return principal{};
  auto presented = parse_authorization(header);
  if (std::holds_alternative<no_credentials>(presented))
    co_return unauthorized("unauthorized", "credentials are required", needs == access::metrics);
  if (std::holds_alternative<malformed_credentials>(presented))
    co_return unauthorized("bad_credentials", "the Authorization header cannot be used", needs == access::metrics);

  principal who;
  if (auto* bearer = std::get_if<bearer_token>(&presented)) {
    const auto entry = st->tokens()->find(bearer->token);
    if (!entry) co_return unauthorized("invalid_token", "the bearer token is not valid", needs == access::metrics);
    who = principal{"token:" + entry->name, entry->level};
  } else {
    if (needs == access::metrics)
      co_return unauthorized("unauthorized", "/metrics takes a bearer token", true);
    auto creds = std::get<auth::credentials>(std::move(presented));
    const auto user = creds.user;
    auto result = st->svc.authenticator.lookup(creds, client);
    if (!result) {
      auto initiation = [st, client](auto handler, auth::credentials c) {
        const auto ex = net::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        st->svc.authenticator.verify(std::move(c), client, ex,
                                     [shared](auth::auth_result r) { std::move(*shared)(std::move(r)); });
      };
      result = co_await net::async_initiate<const net::use_awaitable_t<>, void(auth::auth_result)>(
          std::move(initiation), net::use_awaitable, std::move(creds));
    }
    switch (result->status) {
      case auth::auth_status::ok:
        break;
      case auth::auth_status::bad_credentials:
      case auth::auth_status::locked_out:
        co_return unauthorized("bad_credentials", "the user name or password is wrong");
      case auth::auth_status::unavailable:
        co_return error_response(503, "directory_unavailable", "the directory cannot be reached; try again");
    }
    const auto level = role_for_groups(result->who.groups, st->opts);
    if (!level)
      co_return error_response(403, "forbidden", "user " + user + " is in neither admin_groups nor auditor_groups");
    who = principal{user, *level};
  }
  if (!permits(who.level, needs))
    co_return error_response(403, "forbidden", "this needs the admin role; " + who.name + " is an auditor");
  co_return who;
}

// Hands export chunks from a worker thread to the session's strand and waits for each
// write to finish: the database cursor only moves as fast as the client reads.
template <class Stream>
class chunk_writer {
 public:
  chunk_writer(std::shared_ptr<Stream> stream, net::any_io_executor ex, std::shared_ptr<server_state> st)
      : stream_(std::move(stream)), ex_(std::move(ex)), st_(std::move(st)) {}

  bool write(std::string data) {
    if (data.empty()) return true;  // an empty chunk would end the body
    auto buf = std::make_shared<std::string>(std::move(data));
    auto done = std::make_shared<std::promise<boost::system::error_code>>();
    auto result = done->get_future();
    net::post(ex_, [stream = stream_, buf, done, timeout = st_->opts.write_timeout] {
      beast::get_lowest_layer(*stream).expires_after(timeout);
      net::async_write(*stream, http::make_chunk(net::buffer(*buf)),
                       [buf, done](boost::system::error_code ec, std::size_t) { done->set_value(ec); });
    });
    // The write deadline ends a stuck write; stopping ends the wait if the io_context
    // stops before the write could even start.
    while (result.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready)
      if (st_->stopping) return false;
    return !result.get();
  }

 private:
  std::shared_ptr<Stream> stream_;
  net::any_io_executor ex_;
  std::shared_ptr<server_state> st_;
};

// Streams an export with chunked encoding. Returns false when the connection must close
// (it always does after an export, so the answer only matters for logging).
template <class Stream>
awaitable<void> stream_export(const std::shared_ptr<Stream>& stream, const std::shared_ptr<server_state>& st,
                              const export_plan& plan, unsigned version, const std::string& who) {
  http::response<http::empty_body> head{http::status::ok, version};
  const bool csv = plan.format == export_format::csv;
  head.set(http::field::content_type, csv ? "text/csv; charset=utf-8" : "application/x-ndjson");
  head.set(http::field::content_disposition, csv ? "attachment; filename=\"audit.csv\"" : "attachment; filename=\"audit.ndjson\"");
  head.set(http::field::cache_control, "no-store");
  head.set("X-Content-Type-Options", "nosniff");
  head.chunked(true);
  head.keep_alive(false);
  http::response_serializer<http::empty_body> sr{head};
  beast::get_lowest_layer(*stream).expires_after(st->opts.write_timeout);
  auto [ec, n] = co_await http::async_write_header(*stream, sr, with_error);
  if (ec) co_return;

  const auto ex = co_await net::this_coro::executor;
  bool complete = false;
  try {
    auto job = [stream, st, ex, plan, csv]() {
      chunk_writer<Stream> out(stream, ex, st);
      if (csv && !out.write(csv_header())) return false;
      bool client_gone = false;
      st->svc.audit->export_rows(plan.filter, [&](std::span<const audit::audit_record> rows) {
        std::string data;
        if (csv)
          append_csv(data, rows);
        else
          append_ndjson(data, rows);
        client_gone = !out.write(std::move(data));
        return !client_gone;
      });
      return !client_gone;
    };
    complete = co_await run_blocking<bool>(st->workers, std::move(job));
  } catch (const std::exception& e) {
    // Too late for an error status: ending without the last chunk tells the client
    // the export is incomplete.
    spdlog::error("admin api: audit export for {} failed midway: {}", who, e.what());
    co_return;
  }
  if (!complete) co_return;
  beast::get_lowest_layer(*stream).expires_after(st->opts.write_timeout);
  const auto last = http::make_chunk_last();
  co_await net::async_write(*stream, last, with_error);
}

// Answers one request. Returns false when the connection must close.
//
// Sub-coroutines awaited at once take references (the caller's frame outlives them);
// arguments are named locals, never temporaries inside a co_await expression, which
// GCC 12 destroys wrongly.
template <class Stream>
awaitable<bool> serve_one(const std::shared_ptr<Stream>& stream, const std::shared_ptr<server_state>& st,
                          http::request<http::string_body>& req, const std::string& client_ip,
                          const net::ip::address& client, bool keep_alive) {
  const auto version = req.version();
  const auto origin = boost::urls::parse_origin_form(req.target());
  if (!origin) {
    auto res = error_response(400, "bad_request", "the request target is not a path");
    co_await write_response(*stream, *st, res, version, false);
    co_return false;
  }
  auto m = match_route(req.method(), origin->encoded_path());
  if (m.status == match_status::not_found) {
    auto res = error_response(404, "not_found", "no such resource");
    co_return co_await write_response(*stream, *st, res, version, keep_alive) && keep_alive;
  }
  if (m.status == match_status::method_not_allowed) {
    auto res = error_response(405, "method_not_allowed", "allowed: " + m.allow);
    res.headers.emplace_back("Allow", m.allow);
    co_return co_await write_response(*stream, *st, res, version, keep_alive) && keep_alive;
  }

  api_request ar;
  ar.match = m;
  ar.query = std::string(origin->encoded_query());
  ar.content_type = std::string(req[http::field::content_type]);
  ar.if_match = std::string(req[http::field::if_match]);
  ar.client_ip = client_ip;
  const std::string authorization(req[http::field::authorization]);
  auto who = co_await authenticate(st, authorization, m.route->needs, client);
  if (auto* refused = std::get_if<api_response>(&who))
    co_return co_await write_response(*stream, *st, *refused, version, keep_alive) && keep_alive;
  ar.who = std::get<principal>(std::move(who));
  ar.body = std::move(req.body());

  if (m.route->id == route_id::audit_export) {
    auto plan = st->handlers.prepare_export(ar);
    if (auto* refused = std::get_if<api_response>(&plan))
      co_return co_await write_response(*stream, *st, *refused, version, keep_alive) && keep_alive;
    co_await stream_export(stream, st, std::get<export_plan>(plan), version, ar.who.name);
    co_return false;
  }

  const auto who_name = ar.who.name;
  // Named, not a temporary inside co_await: GCC 12 mishandles non-trivial temporaries there.
  auto job = [st, ar = std::move(ar)] { return st->handlers.handle(ar); };
  auto res = co_await run_blocking<api_response>(st->workers, std::move(job));
  if (m.route->writes || res.status >= 500)
    spdlog::info("admin api: {} {} by {} from {} -> {}", std::string(http::to_string(req.method())), m.route->path,
                 who_name.empty() ? "-" : who_name, client_ip, res.status);
  co_return co_await write_response(*stream, *st, res, version, keep_alive) && keep_alive;
}

bool is_parse_error(const boost::system::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

template <class Stream>
awaitable<void> run_session(std::shared_ptr<Stream> stream, std::shared_ptr<server_state> st) {
  active_guard guard{st};
  auto& lowest = beast::get_lowest_layer(*stream);
  boost::system::error_code ep_ec;
  const auto remote = lowest.socket().remote_endpoint(ep_ec);
  const auto client = remote.address();
  const auto client_ip = client.is_v6() && client.to_v6().is_v4_mapped()
                             ? net::ip::make_address_v4(net::ip::v4_mapped, client.to_v6()).to_string()
                             : client.to_string();
  guard.closer_id = st->add_closer([weak = std::weak_ptr<Stream>(stream), ex = lowest.get_executor()] {
    net::post(ex, [weak] {
      if (auto s = weak.lock()) beast::get_lowest_layer(*s).close();
    });
  });
  if (st->stopping) co_return;

  if constexpr (std::is_same_v<Stream, tls_stream>) {
    lowest.expires_after(st->opts.read_timeout);
    auto [ec] = co_await stream->async_handshake(net::ssl::stream_base::server, with_error);
    if (ec) co_return;
  }

  beast::flat_buffer buffer(8192);
  bool first = true;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(st->opts.max_header_bytes));
    parser.body_limit(st->opts.max_body_bytes);
    lowest.expires_after(first ? st->opts.read_timeout : st->opts.idle_timeout);
    auto [ec, n] = co_await http::async_read_header(*stream, buffer, parser, with_error);
    if (ec == http::error::header_limit) {
      auto res = error_response(431, "header_too_large", "the request head is too large");
      co_await write_response(*stream, *st, res, 11, false);
      break;
    }
    if (ec == http::error::body_limit) {  // Content-Length over the limit: refused before any body is read
      auto res = error_response(413, "payload_too_large",
                                "request bodies are limited to " + std::to_string(st->opts.max_body_bytes) + " bytes");
      co_await write_response(*stream, *st, res, 11, false);
      break;
    }
    if (is_parse_error(ec)) {
      auto res = error_response(400, "bad_request", "malformed HTTP request");
      co_await write_response(*stream, *st, res, 11, false);
      break;
    }
    if (ec) break;  // closed, or the deadline passed
    first = false;
    const auto version = parser.get().version();
    lowest.expires_after(st->opts.read_timeout);
    if (parser.content_length() && *parser.content_length() > st->opts.max_body_bytes) {
      auto res = error_response(413, "payload_too_large",
                                "request bodies are limited to " + std::to_string(st->opts.max_body_bytes) + " bytes");
      co_await write_response(*stream, *st, res, version, false);
      break;
    }
    if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, version};
      auto [wec, wn] = co_await http::async_write(*stream, go_on, with_error);
      if (wec) break;
    }
    if (!parser.is_done()) {
      auto [bec, bn] = co_await http::async_read(*stream, buffer, parser, with_error);
      if (bec == http::error::body_limit) {
        auto res = error_response(413, "payload_too_large",
                                  "request bodies are limited to " + std::to_string(st->opts.max_body_bytes) + " bytes");
        co_await write_response(*stream, *st, res, version, false);
        break;
      }
      if (is_parse_error(bec)) {
        auto res = error_response(400, "bad_request", "malformed HTTP request body");
        co_await write_response(*stream, *st, res, version, false);
        break;
      }
      if (bec) break;
    }
    auto req = parser.release();
    const bool keep_alive = req.keep_alive() && !st->stopping;
    const bool go_on = co_await serve_one(stream, st, req, client_ip, client, keep_alive);
    if (!go_on) break;
  }

  if constexpr (std::is_same_v<Stream, tls_stream>) {
    lowest.expires_after(std::chrono::seconds(2));
    co_await stream->async_shutdown(with_error);
  } else {
    boost::system::error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
}

void log_session_end(std::exception_ptr ep) {
  if (!ep) return;
  try {
    std::rethrow_exception(ep);
  } catch (const std::exception& e) {
    spdlog::error("admin api: a session ended with an exception: {}", e.what());
  } catch (...) {
    spdlog::error("admin api: a session ended with an unknown exception");
  }
}

awaitable<void> run_refusal(std::shared_ptr<plain_stream> stream, std::shared_ptr<server_state> st) {
  active_guard guard{st};
  auto res = error_response(503, "too_many_connections", "the admin listener is at its connection limit");
  res.headers.emplace_back("Retry-After", "1");
  if (!st->tls) co_await write_response(*stream, *st, res, 11, false);
  stream->close();
}

}  // namespace

void spawn_session(tcp::socket socket, std::shared_ptr<server_state> state) {
  ++state->active;
  const auto ex = socket.get_executor();
  if (state->tls) {
    auto stream = std::make_shared<tls_stream>(beast::tcp_stream(std::move(socket)), *state->tls);
    net::co_spawn(ex, run_session(std::move(stream), std::move(state)), log_session_end);
  } else {
    auto stream = std::make_shared<plain_stream>(std::move(socket));
    net::co_spawn(ex, run_session(std::move(stream), std::move(state)), log_session_end);
  }
}

void spawn_refusal(tcp::socket socket, std::shared_ptr<server_state> state) {
  ++state->active;
  const auto ex = socket.get_executor();
  auto stream = std::make_shared<plain_stream>(std::move(socket));
  stream->expires_after(std::chrono::seconds(2));
  net::co_spawn(ex, run_refusal(std::move(stream), std::move(state)), log_session_end);
}

}  // namespace tollgate::admin_api
