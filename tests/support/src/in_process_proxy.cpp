#include "tollgate/testing/in_process_proxy.hpp"

#include "tollgate/testing/raw_client.hpp"

#include <gtest/gtest.h>

namespace tollgate::testing {

in_process_proxy::in_process_proxy() {
  authenticator.add("alice", {"alice-pw", {"engineering", "staff"}});
  authenticator.add("bob", {"bob-pw", {"sales"}});
  policy.allow_cidrs = {"127.0.0.1/32"};
}

in_process_proxy::~in_process_proxy() { stop(); }

proxy::options in_process_proxy::test_options() {
  proxy::options o;
  o.listen = {"127.0.0.1:0"};
  o.io_threads = 1;
  o.max_connections = 1000;
  o.head_timeout = std::chrono::seconds(5);
  o.idle_timeout = std::chrono::seconds(5);
  o.connect_timeout = std::chrono::seconds(2);
  o.tunnel_idle_timeout = std::chrono::seconds(10);
  o.shutdown_grace = std::chrono::seconds(2);
  o.support_contact = "helpdesk@example.com";
  return o;
}

void in_process_proxy::start(proxy::options opts, auth::authenticator* authn) {
  auto created = proxy::server::create(
      std::move(opts), {.authenticator = authn != nullptr ? *authn : authenticator,
                        .policy = policy,
                        .audit = audit,
                        .registry = registry,
                        .clock = clock.function()});
  ASSERT_TRUE(created) << created.error().message();
  server_ = std::move(created.value());
  server_->start();
  port_ = server_->local_endpoints().front().port();
}

void in_process_proxy::stop() {
  if (server_) server_->stop();
}

std::string proxy_get(std::uint16_t origin_port, const std::string& path, const std::string& user_colon_password,
                      const std::string& extra) {
  const auto authority = "127.0.0.1:" + std::to_string(origin_port);
  std::string head = "GET http://" + authority + path + " HTTP/1.1\r\nHost: " + authority + "\r\n";
  if (!user_colon_password.empty()) head += "Proxy-Authorization: " + basic(user_colon_password) + "\r\n";
  return head + extra + "\r\n";
}

}  // namespace tollgate::testing
