#pragma once
#include "connection_registry.hpp"
#include "decision.hpp"
#include "buffer_pool.hpp"
#include "head_scan.hpp"
#include "request_gate.hpp"
#include "tollgate/audit/audit_record.hpp"
#include "tollgate/common/identity.hpp"
#include "tollgate/common/request_facts.hpp"
#include "tollgate/proxy/options.hpp"
#include "upstream_pool.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tollgate::proxy::detail {

class worker;
struct shared_state;

/// One client connection: reads request heads (keep-alive), asks its request_gate for a
/// verdict (who, may they, where to), then answers a refusal itself, forwards plain HTTP
/// with streamed bodies, or hands its sockets to a tunnel (an allowed CONNECT) and ends.
/// Lives on one io thread; every step is bound to shared_from_this() and has a deadline.
/// Each request ends in exactly one audit record (a CONNECT that is allowed in a
/// tunnel_open record at once and a tunnel_close record at the end).
class client_session final : public tracked_connection, public std::enable_shared_from_this<client_session> {
 public:
  client_session(worker& w, boost::asio::ip::tcp::socket socket);
  ~client_session() override;

  void start();
  void force_close() override;
  void on_stopping() override;
  void abandon() override;
  std::shared_ptr<tracked_connection> lock_self() override { return weak_from_this().lock(); }

 private:
  using clock = std::chrono::steady_clock;
  using request_parser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;
  using response_parser = boost::beast::http::response_parser<boost::beast::http::buffer_body>;

  // Request head (client_session.cpp)
  void read_head();
  void process_buffer();
  void on_read_some(boost::system::error_code ec, std::size_t n);
  void on_head(std::size_t head_len);
  void begin_record(std::string_view raw);
  bool parse_target();

  // Acting on the gate's verdict (client_session_connect.cpp)
  void on_verdict(verdict v);
  void record_verdict(verdict& v);  // takes the user name
  void connect();
  void on_connect(boost::system::error_code ec);
  // An allowed CONNECT: the sockets go to a tunnel and this session ends.
  void open_tunnel();

  // Plain HTTP (client_session_forward.cpp)
  bool prepare_request();
  void send_request();
  void relay_request_body();
  void on_request_body(boost::system::error_code ec);
  void write_request();
  void on_request_written(boost::system::error_code ec);
  void read_response();
  void read_response_head();
  void on_response_head_bytes(boost::system::error_code ec, std::size_t n);
  void parse_response_head(std::size_t head_len);
  void on_response_header();
  void refuse_response(std::string_view why);
  void give_up_upstream(bool timeout, const std::string& why);
  void keep_upstream();
  std::unique_ptr<upstream_connection> take_upstream(const std::string& key);
  void relay_response_body();
  void on_response_body(boost::system::error_code ec);
  void write_response();
  void on_response_written(boost::system::error_code ec, std::size_t n);
  void response_done();
  void start_raw_response();
  void raw_read();
  void on_raw_written(boost::system::error_code ec, std::size_t n);
  void upstream_failed(boost::system::error_code ec, std::string_view during);

  // Answers made by the proxy itself (client_session_respond.cpp)
  void respond(boost::beast::http::status status, decision outcome, std::string error, std::string_view page);
  void finish_request(int status, decision outcome, std::string_view error);
  void next_request_or_close(bool keep_alive);
  void lingering_close();
  void close_everything();

  worker& worker_;
  shared_state& shared_;
  std::shared_ptr<const options> opts_;  // snapshot for the request in flight
  boost::asio::ip::tcp::endpoint remote_;
  boost::beast::tcp_stream client_;
  std::string client_ip_;
  boost::beast::flat_buffer client_buf_;
  head_scanner scanner_;
  clock::time_point head_deadline_{};
  bool first_request_ = true;
  bool waiting_idle_ = false;  // keep-alive wait: no byte of the next request yet
  bool closing_ = false;
  bool handed_over_ = false;  // the sockets (and the connection slot) went to a tunnel

  // The request in flight.
  std::optional<request_parser> req_p_;
  std::optional<boost::beast::http::request_serializer<boost::beast::http::buffer_body>> req_sr_;
  std::optional<response_parser> res_p_;
  std::optional<boost::beast::http::response_serializer<boost::beast::http::buffer_body>> res_sr_;
  boost::beast::http::response<boost::beast::http::string_body> canned_;
  std::unique_ptr<upstream_connection> up_;
  // An upstream connection that carried NTLM/Negotiate: reused only by this client
  // connection and the same user, never pooled (client_session_forward.cpp).
  std::unique_ptr<upstream_connection> pinned_;
  std::string pinned_user_;
  audit::audit_record rec_;
  bool record_pending_ = false;
  clock::time_point started_{};
  tollgate::request_facts facts_;
  tollgate::identity who_;
  boost::asio::ip::tcp::endpoint destination_;
  std::string target_;       // upstream request target (origin-form)
  std::string host_header_;  // upstream Host
  std::string destination_text_;
  std::size_t head_bytes_ = 0;
  std::vector<const void*> head_fields_;  // a chunked request's upstream header fields, not its trailers
  std::vector<const void*> res_head_fields_;  // the same for a chunked response
  head_scanner res_scanner_;                  // the response head, byte by byte, before Beast parses it
  unsigned client_version_ = 11;
  bool client_keep_alive_ = true;
  bool is_head_ = false;
  bool expect_continue_ = false;
  bool retried_ = false;
  bool upstream_keep_alive_ = false;
  bool response_started_ = false;  // a response head came from the origin (or we answered)
  bool response_head_sent_ = false;  // the final response head went to the client: too late for a 502
  bool connection_auth_ = false;     // the request carries Authorization: NTLM / Negotiate
  bool request_prepared_ = false;
  bool request_sent_ = false;  // the whole request (head and body) reached the origin
  bool canned_retry_after_ = false;  // the next answer of our own says Retry-After

  // Body relay buffers come from the worker's pool while a body moves.
  static constexpr std::size_t relay_size = buffer_pool::block_size;
  char* relay();
  void release_relay();
  buffer_pool::block relay_;
  std::array<char, 2048> drain_buf_;  // lingering close
  std::string head_text_;             // response head, serialised for the raw path
  std::uint64_t raw_left_ = 0;        // identity response body bytes still to relay
  std::size_t raw_consume_ = 0;       // bytes of up_->buffer in the write in flight
  bool raw_mode_ = false;
  request_gate gate_;  // authenticate, admit, resolve, decide: one verdict per request
};

}  // namespace tollgate::proxy::detail
