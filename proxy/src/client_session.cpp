// Client session, part 1: accepting the connection and reading a request head.
#include "client_session.hpp"

#include "request_checks.hpp"
#include "target.hpp"
#include "tollgate/common/host_name.hpp"
#include "tollgate/common/request_path.hpp"
#include "worker.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>

namespace tollgate::proxy::detail {
namespace http = boost::beast::http;
namespace beast = boost::beast;
using boost::system::error_code;

namespace {

std::string endpoint_text(const boost::asio::ip::tcp::endpoint& ep) {
  const auto a = ep.address();
  return a.is_v6() ? "[" + a.to_string() + "]:" + std::to_string(ep.port())
                   : a.to_string() + ":" + std::to_string(ep.port());
}

// A refused path goes on record as written (bounded), so an analyst sees the attempt.
std::string audit_path_of_refused(std::string_view path) {
  constexpr std::size_t most = 1024;
  return std::string(path.substr(0, most));
}

}  // namespace

client_session::client_session(worker& w, boost::asio::ip::tcp::socket socket)
    : tracked_connection(w.registry(), [&] {
        error_code ec;
        const auto ep = socket.remote_endpoint(ec);
        return ec ? std::string("?") : endpoint_text(ep);
      }()),
      worker_(w),
      shared_(w.shared()),
      opts_(w.opts()),
      remote_([&] {
        error_code ec;
        return socket.remote_endpoint(ec);
      }()),
      client_(std::move(socket)),
      gate_(w, *this, remote_.address(), [this](verdict v) { on_verdict(std::move(v)); }) {
  client_buf_.reserve(4 * 1024);  // request bodies are read in pieces this size, not 512 bytes
  error_code ec;
  client_ip_ = remote_.address().to_string();
  client_.socket().set_option(boost::asio::ip::tcp::no_delay(true), ec);
  shared_.m.active_http.Increment();
}

client_session::~client_session() {
  release_relay();
  if (record_pending_) finish_request(rec_.status != 0 ? rec_.status : 0, decision::error, "connection closed");
  shared_.m.active_http.Decrement();
  if (!handed_over_) shared_.open_connections.fetch_sub(1, std::memory_order_relaxed);  // else the tunnel's
}

void client_session::start() {
  head_deadline_ = clock::now() + opts_->head_timeout;
  read_head();
}

void client_session::force_close() { close_everything(); }

void client_session::abandon() {
  if (record_pending_) finish_request(rec_.status, decision::error, "proxy shut down before the request finished");
}

void client_session::on_stopping() {
  if (waiting_idle_) close_everything();
  gate_.on_stopping();
}

void client_session::close_everything() {
  closing_ = true;
  error_code ec;
  client_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  client_.close();
  if (up_) up_->stream.close();
  gate_.cancel();
}

void client_session::read_head() {
  opts_ = worker_.opts();
  scanner_.reset();
  waiting_idle_ = client_buf_.size() == 0 && !first_request_;
  if (waiting_idle_ && shared_.stopping.load(std::memory_order_relaxed)) {
    close_everything();
    return;
  }
  if (!first_request_ && client_buf_.size() != 0) head_deadline_ = clock::now() + opts_->head_timeout;
  if (client_buf_.size() == 0 && client_buf_.capacity() > 64 * 1024) {
    client_buf_.shrink_to_fit();
    client_buf_.reserve(4 * 1024);
  }
  // Beast reads a chunk-size line (with its extensions) or a trailer section whole,
  // with no limit of its own: the buffer sets one, so an endless line is a 400
  // (buffer_overflow), not memory. A head is read in pieces of at most 8 KiB.
  client_buf_.max_size(std::max(client_buf_.size(), opts_->max_header_bytes) + relay_size);
  process_buffer();
}

void client_session::process_buffer() {
  const auto data = client_buf_.cdata();
  const std::string_view bytes(static_cast<const char*>(data.data()), data.size());
  switch (scanner_.scan(bytes)) {
    case head_scan_status::complete:
      if (scanner_.head_end() > opts_->max_header_bytes) {
        begin_record(bytes);
        const auto a = answer_oversized_head(bytes, opts_->max_header_bytes);
        respond(a.status, decision::error, std::string(a.error), a.page);
        return;
      }
      on_head(scanner_.head_end());
      return;
    case head_scan_status::bad_byte:
      begin_record(bytes);
      respond(http::status::bad_request, decision::error, "NUL, bare CR or bare LF in the request head",
              "Malformed request head.");
      return;
    case head_scan_status::obs_fold:
      begin_record(bytes);
      respond(http::status::bad_request, decision::error, "obsolete line folding in the request head",
              "Malformed request head: folded header lines are not accepted.");
      return;
    case head_scan_status::incomplete:
      break;
  }
  if (bytes.size() >= opts_->max_header_bytes) {
    begin_record(bytes);
    const auto a = answer_oversized_head(bytes, opts_->max_header_bytes);
    respond(a.status, decision::error, std::string(a.error), a.page);
    return;
  }
  if (waiting_idle_) {
    client_.expires_after(opts_->idle_timeout);
  } else {
    client_.expires_at(head_deadline_);
  }
  const std::size_t want = std::min<std::size_t>(opts_->max_header_bytes + 1 - bytes.size(), 8192);
  client_.async_read_some(client_buf_.prepare(std::max<std::size_t>(want, 512)),
                          beast::bind_front_handler(&client_session::on_read_some, shared_from_this()));
}

void client_session::on_read_some(error_code ec, std::size_t n) {
  if (closing_) return;
  client_buf_.commit(n);
  add_up(n);
  if (n > 0 && waiting_idle_) {
    waiting_idle_ = false;
    head_deadline_ = clock::now() + opts_->head_timeout;
  }
  if (ec) {
    if (ec == beast::error::timeout && client_buf_.size() > 0) {
      // Slowloris: part of a head, too slowly. Say so, record it, close.
      const auto data = client_buf_.cdata();
      begin_record(std::string_view(static_cast<const char*>(data.data()), data.size()));
      respond(http::status::request_timeout, decision::error, "request head timeout", "The request head took too long.");
      return;
    }
    // Idle keep-alive timeout, or the client went away between requests: no request, no record.
    close_everything();
    return;
  }
  process_buffer();
}

// Opens the audit record of a request (also of one refused before it could be parsed:
// the method is taken from the raw bytes when it looks like one).
void client_session::begin_record(std::string_view raw) {
  started_ = clock::now();
  rec_ = {};
  who_ = {};  // a keep-alive connection's earlier login does not vouch for this request
  rec_.ts = std::chrono::system_clock::now();
  rec_.client_ip = client_ip_;
  rec_.client_port = remote_.port();
  rec_.bytes_up = raw.size();
  record_pending_ = true;
  const auto sp = raw.find(' ');
  if (sp != std::string_view::npos && sp > 0 && sp <= 16) {
    const auto m = raw.substr(0, sp);
    if (std::all_of(m.begin(), m.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) rec_.method.assign(m);
  }
}

void client_session::on_head(std::size_t head_len) {
  opts_ = worker_.opts();  // a reload applies from the next request on
  first_request_ = false;
  waiting_idle_ = false;
  begin_record({});
  head_bytes_ = head_len;
  rec_.bytes_up = head_len;
  retried_ = false;
  response_started_ = false;
  response_head_sent_ = false;
  request_prepared_ = false;
  upstream_keep_alive_ = false;
  who_ = {};
  req_sr_.reset();
  res_sr_.reset();
  res_p_.reset();
  request_sent_ = false;

  req_p_.emplace();
  req_p_->eager(false);
  req_p_->header_limit(static_cast<std::uint32_t>(head_len + 1));
  if (opts_->max_body_bytes != 0) {
    req_p_->body_limit(opts_->max_body_bytes);
  } else {
    req_p_->body_limit(boost::none);
  }
  error_code ec;
  const std::size_t used = req_p_->put(boost::asio::buffer(client_buf_.cdata().data(), head_len), ec);
  if (ec == http::error::body_limit) {
    client_keep_alive_ = false;
    respond(http::status::payload_too_large, decision::error, "request body too large", "The request body is too large.");
    return;
  }
  if (ec == http::error::bad_version) {
    const std::string_view head(static_cast<const char*>(client_buf_.cdata().data()), head_len);
    if (is_unsupported_version(head.substr(0, head.find('\r')))) {
      client_keep_alive_ = false;
      respond(http::status::http_version_not_supported, decision::error, "unsupported HTTP version",
              "This proxy speaks HTTP/1.1 and HTTP/1.0 only.");
      return;
    }
  }
  if (ec || !req_p_->is_header_done()) {
    client_keep_alive_ = false;
    const std::string why = ec ? "malformed request: " + ec.message() : "malformed request head";
    respond(http::status::bad_request, decision::error, why, "Malformed request.");
    return;
  }
  client_buf_.consume(used);

  auto& req = req_p_->get();
  rec_.method = std::string(req.method_string());
  if (auto ua = req.find(http::field::user_agent); ua != req.end()) rec_.user_agent = std::string(ua->value());
  client_version_ = req.version();
  client_keep_alive_ = req_p_->keep_alive();
  is_head_ = req.method() == http::verb::head;

  if (field_count(req) > max_header_fields) {
    client_keep_alive_ = false;
    respond(http::status::request_header_fields_too_large, decision::error, "too many header fields",
            "The request has more header fields than this proxy accepts.");
    return;
  }
  if (auto why = check_framing(req); !why.empty()) {
    client_keep_alive_ = false;
    respond(http::status::bad_request, decision::error, std::string(why), "Malformed request: ambiguous message framing.");
    return;
  }
  if (!is_forwardable_method(req.method_string())) {
    client_keep_alive_ = false;
    // RFC 9110 section 15.6.2: 501 for a method the proxy does not recognise.
    respond(http::status::not_implemented, decision::error, "unrecognised request method",
            "This proxy does not accept that request method (methods are case-sensitive: GET, not get).");
    return;
  }
  if (!parse_target()) return;
  const auto authorization = req.find(http::field::proxy_authorization);
  gate_.run(shared_from_this(), facts_,
            authorization == req.end() ? std::nullopt : std::optional<std::string_view>(authorization->value()),
            destination_text_, *opts_);
}

// Fills facts_, target_, host_header_ and the audit record's destination; answers 400 itself.
bool client_session::parse_target() {
  auto& req = req_p_->get();
  const bool is_connect = req.method() == http::verb::connect;
  const std::string_view target = req.target();
  authority where;
  std::string_view path;
  std::string_view path_and_query;
  target_error te = target_error::none;
  if (is_connect) {
    te = parse_authority(target, 0, where);
  } else {
    absolute_target t;
    te = parse_absolute_target(target, t);
    where = t.where;
    path = t.path;
    path_and_query = t.path_and_query;
  }
  auto bad = [&](std::string_view why) {
    client_keep_alive_ = client_keep_alive_ && req_p_->is_done();
    respond(http::status::bad_request, decision::error, std::string(why),
            std::string("Bad request: ").append(why).append("."));
    return false;
  };
  if (te != target_error::none) return bad(to_string(te));

  auto host = tollgate::normalise_host(where.host);
  if (!host) return bad("invalid host name");

  // The Host header, when present, must name the same place as the target.
  if (auto h = req.find(http::field::host); h != req.end()) {
    authority hw;
    const auto he = parse_authority(h->value(), is_connect ? where.port : 80, hw);
    if (he == target_error::userinfo) return bad("user information in the Host header");
    if (he != target_error::none) return bad("malformed Host header");
    auto hh = tollgate::normalise_host(hw.host);
    if (!hh || hh->name != host->name || hw.port != where.port) return bad("Host header does not match the request target");
  } else if (req.version() >= 11) {
    // RFC 9112 section 3.2, CONNECT included. An HTTP/1.0 request may omit it: its
    // target names the destination, and old tunnelling clients send none.
    return bad("missing Host header");
  }

  facts_ = {};
  facts_.method = rec_.method;
  facts_.is_connect = is_connect;
  facts_.host = host->name;
  facts_.address = host->literal;
  facts_.port = where.port;
  facts_.when = rec_.ts;
  const bool v6_literal = host->literal && host->literal->is_v6();
  const std::string host_text = v6_literal ? "[" + host->name + "]" : host->name;
  destination_text_ = host_text + ":" + std::to_string(where.port);
  rec_.host = host->name;
  rec_.port = where.port;
  if (is_connect) {
    rec_.scheme = "https";
    return true;
  }
  rec_.scheme = "http";
  // The policy decides on the normalised path and the origin is sent that same path,
  // so "/public/../internal/" cannot be allowed as /public/ and served as /internal/.
  if (const auto ec = tollgate::assign_request_path(facts_, path.empty() ? std::string_view("/") : path)) {
    rec_.path = audit_path_of_refused(path);
    return bad(ec.message());
  }
  target_ = facts_.path;
  target_.append(path_and_query.substr(path.size()));  // the query, as written
  rec_.path = opts_->store_query ? target_ : facts_.path;
  host_header_ = where.port == 80 ? host_text : destination_text_;
  return true;
}

}  // namespace tollgate::proxy::detail
