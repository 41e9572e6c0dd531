// Client session, part 4: answers the proxy makes itself, the audit record, and closing.
#include "client_session.hpp"

#include "record_path.hpp"
#include "worker.hpp"

#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/write.hpp>

namespace tollgate::proxy::detail {
namespace http = boost::beast::http;
namespace beast = boost::beast;
using boost::system::error_code;

namespace {

constexpr std::chrono::seconds linger_time{2};
constexpr std::size_t linger_max_bytes = 256 * 1024;

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

void client_session::respond(http::status status, decision outcome, std::string error, std::string_view page) {
  up_.reset();
  const int code = static_cast<int>(status);
  // Keep the connection only when the request was read completely and is not suspect.
  const bool suspect = code == 400 || code == 408 || code == 413 || code == 414 || code == 431 || code == 501 ||
                       code == 505;
  const bool keep = client_keep_alive_ && !suspect && req_p_ && req_p_->is_header_done() && req_p_->is_done() &&
                    !shared_.stopping.load(std::memory_order_relaxed);
  canned_ = {};
  canned_.version(11);
  canned_.result(status);
  canned_.set(http::field::content_type, "text/plain; charset=utf-8");
  canned_.set(http::field::cache_control, "no-store");
  if (status == http::status::proxy_authentication_required) {
    canned_.set(http::field::proxy_authenticate, "Basic realm=" + quoted(opts_->realm));
    shared_.flood.charge_challenge(remote_.address(), opts_->flood, shared_.now());
  }
  if (canned_retry_after_) canned_.set(http::field::retry_after, "1");
  canned_retry_after_ = false;
  canned_.body().assign(page);
  canned_.body().push_back('\n');
  canned_.keep_alive(keep);
  canned_.prepare_payload();
  rec_.status = code;
  response_started_ = true;
  client_.expires_after(opts_->idle_timeout);
  http::async_write(client_, canned_,
                    [self = shared_from_this(), keep, outcome, error = std::move(error)](error_code ec, std::size_t n) {
                      self->add_down(n);
                      self->rec_.bytes_down += n;
                      self->finish_request(self->rec_.status, outcome, error);
                      if (ec || self->closing_) {
                        self->close_everything();
                        return;
                      }
                      self->next_request_or_close(keep);
                    });
}

void client_session::finish_request(int status, decision outcome, std::string_view error) {
  if (!record_pending_) return;
  record_pending_ = false;
  bool authenticated = !who_.user.empty();
  if (gate_.running()) {  // cut short before the verdict: what the gate knew so far
    verdict so_far = gate_.so_far();
    authenticated = !so_far.who.user.empty();
    record_verdict(so_far);
  }
  file_record(shared_, *opts_, remote_.address(), std::move(rec_),
              {.status = status, .outcome = outcome, .error = error, .elapsed = clock::now() - started_,
               .authenticated = authenticated});
  rec_ = {};
}

char* client_session::relay() {
  if (!relay_) relay_ = worker_.buffers().acquire();
  return relay_.get();
}

void client_session::release_relay() { worker_.buffers().release(std::move(relay_)); }

void client_session::next_request_or_close(bool keep_alive) {
  release_relay();
  if (keep_alive && !closing_) {
    req_sr_.reset();
    res_sr_.reset();
    read_head();
    return;
  }
  lingering_close();
}

// Half-close and drain briefly, so that a client still sending (a body we refused)
// reads our answer instead of a reset.
void client_session::lingering_close() {
  error_code ec;
  client_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) {
    close_everything();
    return;
  }
  client_.expires_after(linger_time);
  auto drained = std::make_shared<std::size_t>(0);
  struct drain {
    std::shared_ptr<client_session> self;
    std::shared_ptr<std::size_t> total;
    void operator()(error_code e, std::size_t n) {
      *total += n;
      if (e || self->closing_ || *total > linger_max_bytes) {
        self->close_everything();
        return;
      }
      self->client_.async_read_some(boost::asio::buffer(self->drain_buf_), std::move(*this));
    }
  };
  client_.async_read_some(boost::asio::buffer(drain_buf_), drain{shared_from_this(), drained});
}

}  // namespace tollgate::proxy::detail
