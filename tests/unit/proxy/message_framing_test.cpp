#include "message_framing.hpp"

#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <gtest/gtest.h>

namespace tollgate::proxy::detail {
namespace {
namespace http = boost::beast::http;

http::response_header<> response(std::initializer_list<std::pair<const char*, const char*>> fields,
                                 unsigned version = 11) {
  http::response_header<> h;
  h.result(200);
  h.version(version);
  for (auto [k, v] : fields) h.insert(k, v);
  return h;
}

TEST(MessageFraming, OneChunkedLineIsTheOnlyTransferEncoding) {
  EXPECT_EQ(check_transfer_encoding(response({})), "");
  EXPECT_EQ(check_transfer_encoding(response({{"Transfer-Encoding", "chunked"}})), "");
  EXPECT_EQ(check_transfer_encoding(response({{"Transfer-Encoding", "Chunked "}})), "");
  EXPECT_NE(check_transfer_encoding(response({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}})),
            "");
  EXPECT_NE(check_transfer_encoding(response({{"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}})), "");
  EXPECT_NE(check_transfer_encoding(response({{"Transfer-Encoding", "gzip, chunked"}})), "");
  EXPECT_NE(check_transfer_encoding(response({{"Transfer-Encoding", "gzip"}})), "");
  EXPECT_NE(check_transfer_encoding(response({{"Transfer-Encoding", "identity"}})), "");
  EXPECT_NE(check_transfer_encoding(response({{"Transfer-Encoding", ""}})), "");
}

TEST(MessageFraming, ResponseFramingIsStrict) {
  EXPECT_EQ(check_response_framing(response({{"Content-Length", "5"}})), "");
  EXPECT_EQ(check_response_framing(response({{"Transfer-Encoding", "chunked"}})), "");
  // Beast's parser would take "gzip" then a length; the proxy does not.
  EXPECT_NE(check_response_framing(response({{"Transfer-Encoding", "gzip"}, {"Content-Length", "5"}})), "");
  EXPECT_NE(check_response_framing(response({{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}})), "");
  EXPECT_NE(check_response_framing(response({{"Transfer-Encoding", "chunked"}}, 10)), "");
}

TEST(MessageFraming, SetFramingLeavesExactlyOneField) {
  auto h = response({{"Transfer-Encoding", "CHUNKED"}, {"Content-Length", "3, 3"}, {"Content-Length", "3"}});
  set_framing(h, {true, std::nullopt});
  EXPECT_EQ(h[http::field::transfer_encoding], "chunked");
  EXPECT_EQ(h.count(http::field::transfer_encoding), 1u);
  EXPECT_EQ(h.count(http::field::content_length), 0u);
  EXPECT_TRUE(framing_agrees(h, {true, std::nullopt}));

  set_framing(h, {false, 3});
  EXPECT_EQ(h.count(http::field::transfer_encoding), 0u);
  EXPECT_EQ(h.count(http::field::content_length), 1u);
  EXPECT_EQ(h[http::field::content_length], "3");
  EXPECT_TRUE(framing_agrees(h, {false, 3}));

  set_framing(h, {});
  EXPECT_EQ(h.count(http::field::content_length), 0u);
  EXPECT_TRUE(framing_agrees(h, {}));
}

TEST(MessageFraming, DisagreementIsSeen) {
  EXPECT_FALSE(framing_agrees(response({{"Content-Length", "3, 3"}}), {false, 3}));
  EXPECT_FALSE(framing_agrees(response({{"Content-Length", "3"}, {"Content-Length", "3"}}), {false, 3}));
  EXPECT_FALSE(framing_agrees(response({{"Content-Length", "4"}}), {false, 3}));
  EXPECT_FALSE(framing_agrees(response({{"Transfer-Encoding", "gzip, chunked"}}), {true, std::nullopt}));
  EXPECT_FALSE(framing_agrees(response({{"Transfer-Encoding", "chunked"}}), {}));
  EXPECT_FALSE(
      framing_agrees(response({{"Transfer-Encoding", "chunked"}, {"Content-Length", "3"}}), {true, std::nullopt}));
  EXPECT_FALSE(framing_agrees(response({}), {true, std::nullopt}));
}

TEST(MessageFraming, ParserViewOfRepeatedLengths) {
  http::response_parser<http::buffer_body> p;
  boost::system::error_code ec;
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\nContent-Length: 3\r\n\r\n";
  p.put(boost::asio::buffer(head), ec);
  ASSERT_FALSE(ec) << ec.message();
  const auto read = framing_read_by(p);
  EXPECT_FALSE(read.chunked);
  EXPECT_EQ(read.length, 3u);
  // The fields as received would not pass; rewritten they do.
  EXPECT_FALSE(framing_agrees(p.get(), read));
  set_framing(p.get(), read);
  EXPECT_TRUE(framing_agrees(p.get(), read));
}

TEST(MessageFraming, TrailerFieldsAreDroppedFromTheHead) {
  http::response_parser<http::buffer_body> p;
  boost::system::error_code ec;
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: a=1\r\n\r\n";
  p.put(boost::asio::buffer(head), ec);
  ASSERT_FALSE(ec) << ec.message();
  std::vector<const void*> fields;
  for (const auto& f : p.get()) fields.push_back(&f);
  char sink[64];
  p.get().body().data = sink;
  p.get().body().size = sizeof sink;
  const std::string rest = "5\r\nhello\r\n0\r\nSet-Cookie: stolen=1\r\nX-Trailer: 1\r\n\r\n";
  for (std::size_t at = 0; !p.is_done() && at < rest.size();) {
    const auto n = p.put(boost::asio::buffer(rest.data() + at, rest.size() - at), ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_GT(n, 0u);
    at += n;
  }
  ASSERT_TRUE(p.is_done());
  EXPECT_EQ(p.get().count(http::field::set_cookie), 2u) << "Beast put the trailer into the header";
  drop_trailer_fields(p.get(), fields);
  EXPECT_EQ(p.get().count(http::field::set_cookie), 1u);
  EXPECT_EQ(p.get()[http::field::set_cookie], "a=1");
  EXPECT_EQ(p.get().count("X-Trailer"), 0u);
}

TEST(MessageFraming, IdempotentMethods) {
  for (auto m : {http::verb::get, http::verb::head, http::verb::options, http::verb::trace, http::verb::put,
                 http::verb::delete_})
    EXPECT_TRUE(is_idempotent(m)) << http::to_string(m);
  for (auto m : {http::verb::post, http::verb::patch, http::verb::connect, http::verb::unknown, http::verb::lock})
    EXPECT_FALSE(is_idempotent(m)) << http::to_string(m);
}

TEST(MessageFraming, ConnectionBasedAuthentication) {
  EXPECT_TRUE(is_connection_auth("NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw=="));
  EXPECT_TRUE(is_connection_auth("negotiate YIIabc"));
  EXPECT_TRUE(is_connection_auth("Negotiate"));
  EXPECT_FALSE(is_connection_auth("Basic YWxpY2U6cHc="));
  EXPECT_FALSE(is_connection_auth("Bearer NTLM"));
  EXPECT_FALSE(is_connection_auth("NTLMv3 x"));

  EXPECT_TRUE(offers_connection_auth("NTLM"));
  EXPECT_TRUE(offers_connection_auth("Negotiate, NTLM"));
  EXPECT_TRUE(offers_connection_auth("Basic realm=\"intranet\", Negotiate"));
  EXPECT_TRUE(offers_connection_auth("Negotiate oYH1MIHyoAMKAQ=="));
  EXPECT_FALSE(offers_connection_auth("Basic realm=\"NTLM, Negotiate\""));
  EXPECT_FALSE(offers_connection_auth("Bearer realm=x, error=\"Negotiate\""));
  EXPECT_FALSE(offers_connection_auth("Digest realm=x"));
}

}  // namespace
}  // namespace tollgate::proxy::detail
