#include "header_hygiene.hpp"

#include <gtest/gtest.h>

namespace tollgate::proxy::detail {
namespace {
namespace http = boost::beast::http;

TEST(HeaderHygiene, HopByHopAndConnectionListedGo) {
  http::fields f;
  f.insert(http::field::connection, "keep-alive, X-A");
  f.insert(http::field::connection, "x-b");
  f.insert("X-A", "1");
  f.insert("X-B", "2");
  f.insert("X-C", "3");
  f.insert(http::field::keep_alive, "timeout=5");
  f.insert(http::field::proxy_connection, "keep-alive");
  f.insert(http::field::te, "trailers");
  f.insert(http::field::trailer, "X-T");
  f.insert(http::field::upgrade, "h2c");
  f.insert(http::field::proxy_authorization, "Basic abc");
  f.insert(http::field::proxy_authenticate, "Basic");
  strip_hop_by_hop(f);
  std::size_t n = 0;
  for (const auto& field : f) {
    ++n;
    EXPECT_EQ(field.name_string(), "X-C");
  }
  EXPECT_EQ(n, 1u);
}

TEST(HeaderHygiene, FramingHeadersSurviveBeingNamedInConnection) {
  http::fields f;
  f.insert(http::field::connection, "Content-Length, Transfer-Encoding, Host");
  f.insert(http::field::content_length, "4");
  f.insert(http::field::host, "a");
  strip_hop_by_hop(f);
  EXPECT_EQ(f[http::field::content_length], "4");
  EXPECT_EQ(f[http::field::host], "a");
}

TEST(HeaderHygiene, ViaAndForwardedForAppend) {
  http::fields f;
  append_via(f, "1.1 tollgate");
  EXPECT_EQ(f[http::field::via], "1.1 tollgate");
  f.set(http::field::via, "1.0 other");
  append_via(f, "1.1 tollgate");
  EXPECT_EQ(f[http::field::via], "1.0 other, 1.1 tollgate");
  append_via(f, "");
  EXPECT_EQ(f[http::field::via], "1.0 other, 1.1 tollgate");
  append_forwarded_for(f, "10.0.0.1");
  append_forwarded_for(f, "10.0.0.2");
  EXPECT_EQ(f["X-Forwarded-For"], "10.0.0.1, 10.0.0.2");
}

}  // namespace
}  // namespace tollgate::proxy::detail
