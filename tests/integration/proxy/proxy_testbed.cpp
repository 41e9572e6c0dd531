// The proxy server with in-memory fakes, for integration tests and the wrk bench.
//   proxy_testbed CONFIG_FILE
// CONFIG_FILE: key=value lines (see read_config). Writes the bound port to
// `port_file`; SIGHUP re-reads the file and applies it live; SIGTERM/SIGINT stop
// gracefully and exit 0.
#include "tollgate/proxy/server.hpp"
#include "tollgate/testing/fake_authenticator.hpp"
#include "tollgate/testing/fake_policy.hpp"
#include "tollgate/testing/file_audit_sink.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>

namespace {

struct testbed_config {
  tollgate::proxy::options proxy;
  std::vector<std::string> users;  // user:password:group1,group2
  std::vector<std::string> deny_hosts;
  std::vector<std::string> allow_cidrs;
  std::set<std::uint16_t> connect_ports;
  std::string audit_file = "/dev/null";
  std::string audit_admit = "open";
  std::string port_file;
  std::string metrics_file;
  bool auth_unavailable = false;
};

bool read_config(const std::string& path, testbed_config& c) {
  std::ifstream in(path);
  if (!in) return false;
  c.proxy.listen.clear();
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string k = line.substr(0, eq);
    const std::string v = line.substr(eq + 1);
    auto ms = [&] { return std::chrono::milliseconds(std::stoll(v)); };
    auto& p = c.proxy;
    if (k == "listen") p.listen.push_back(v);
    else if (k == "io_threads") p.io_threads = static_cast<unsigned>(std::stoul(v));
    else if (k == "realm") p.realm = v;
    else if (k == "max_header_bytes") p.max_header_bytes = std::stoul(v);
    else if (k == "max_connections") p.max_connections = std::stoul(v);
    else if (k == "max_body_bytes") p.max_body_bytes = std::stoull(v);
    else if (k == "head_timeout_ms") p.head_timeout = ms();
    else if (k == "idle_timeout_ms") p.idle_timeout = ms();
    else if (k == "connect_timeout_ms") p.connect_timeout = ms();
    else if (k == "tunnel_idle_timeout_ms") p.tunnel_idle_timeout = ms();
    else if (k == "shutdown_grace_ms") p.shutdown_grace = ms();
    else if (k == "block_private") p.block_private_destinations = v == "1";
    else if (k == "via") p.via = v;
    else if (k == "x_forwarded_for") p.x_forwarded_for = v == "1";
    else if (k == "upstream_idle_per_host") p.upstream_idle_per_host = std::stoul(v);
    else if (k == "support_contact") p.support_contact = v;
    else if (k == "store_query") p.store_query = v == "1";
    else if (k == "user") c.users.push_back(v);
    else if (k == "deny_host") c.deny_hosts.push_back(v);
    else if (k == "allow_cidr") c.allow_cidrs.push_back(v);
    else if (k == "connect_port") c.connect_ports.insert(static_cast<std::uint16_t>(std::stoul(v)));
    else if (k == "audit_file") c.audit_file = v;
    else if (k == "audit_admit") c.audit_admit = v;
    else if (k == "port_file") c.port_file = v;
    else if (k == "metrics_file") c.metrics_file = v;
    else if (k == "auth_unavailable") c.auth_unavailable = v == "1";
  }
  if (c.proxy.listen.empty()) c.proxy.listen.push_back("127.0.0.1:0");
  return true;
}

void configure_fakes(const testbed_config& c, tollgate::testing::fake_authenticator& authn,
                     tollgate::testing::fake_policy& policy, tollgate::testing::file_audit_sink& sink) {
  for (const auto& u : c.users) {
    std::istringstream s(u);
    std::string name, password, groups;
    std::getline(s, name, ':');
    std::getline(s, password, ':');
    std::getline(s, groups);
    tollgate::testing::fake_authenticator::user entry{password, {}};
    std::istringstream gs(groups);
    for (std::string g; std::getline(gs, g, ',');) entry.groups.push_back(g);
    authn.add(name, entry);
  }
  authn.set_unavailable(c.auth_unavailable);
  policy.deny_hosts = c.deny_hosts;
  policy.allow_cidrs = c.allow_cidrs;
  policy.connect_ports = c.connect_ports;
  using tollgate::audit::admission;
  sink.set_admission(c.audit_admit == "reject" ? admission::reject
                     : c.audit_admit == "wait" ? admission::wait
                                               : admission::open);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: proxy_testbed CONFIG_FILE\n";
    return 2;
  }
  const std::string config_path = argv[1];
  testbed_config cfg;
  if (!read_config(config_path, cfg)) {
    std::cerr << "cannot read " << config_path << "\n";
    return 2;
  }
  tollgate::testing::fake_authenticator authn;
  authn.set_slow_delay(std::chrono::seconds(3));  // users named "slow*": a directory that hangs
  tollgate::testing::fake_policy policy;
  tollgate::testing::file_audit_sink sink(cfg.audit_file);
  prometheus::Registry registry;
  configure_fakes(cfg, authn, policy, sink);

  auto created = tollgate::proxy::server::create(cfg.proxy, {authn, policy, sink, registry});
  if (!created) {
    std::cerr << "proxy_testbed: " << created.error().message() << "\n";
    return 1;
  }
  auto& server = *created.value();
  server.start();
  const auto port = server.local_endpoints().front().port();
  if (!cfg.port_file.empty()) {
    std::ofstream(cfg.port_file + ".tmp") << port << "\n";
    std::rename((cfg.port_file + ".tmp").c_str(), cfg.port_file.c_str());
  }
  std::cout << "listening on " << port << " max_connections " << server.max_connections() << std::endl;

  boost::asio::io_context signals_ctx;
  boost::asio::signal_set signals(signals_ctx, SIGTERM, SIGINT, SIGHUP);
  boost::asio::signal_set dump(signals_ctx, SIGUSR1);
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      testbed_config next;
      if (read_config(config_path, next)) {
        configure_fakes(next, authn, policy, sink);
        for (const auto& msg : server.apply(next.proxy)) std::cout << "reload: " << msg << std::endl;
        std::cout << "reloaded" << std::endl;
      }
      signals.async_wait(on_signal);
      return;
    }
    std::cout << "stopping" << std::endl;
    server.stop();
    std::cout << "stopped" << std::endl;
    signals_ctx.stop();
  };
  signals.async_wait(on_signal);
  // SIGUSR1: write the metrics and live connections to metrics_file (for assertions).
  std::function<void(boost::system::error_code, int)> on_dump = [&](boost::system::error_code ec, int) {
    if (ec) return;
    if (!cfg.metrics_file.empty()) {
      std::ofstream out(cfg.metrics_file + ".tmp");
      out << prometheus::TextSerializer().Serialize(registry.Collect());
      for (const auto& c : server.connections()) {
        out << "# connection user=" << c.user << " client=" << c.client << " destination=" << c.destination
            << " kind=" << tollgate::proxy::to_string(c.kind) << " up=" << c.bytes_up << " down=" << c.bytes_down
            << "\n";
      }
      out.close();
      std::rename((cfg.metrics_file + ".tmp").c_str(), cfg.metrics_file.c_str());
    }
    dump.async_wait(on_dump);
  };
  dump.async_wait(on_dump);
  signals_ctx.run();  // until SIGTERM/SIGINT has stopped the server
  return 0;
}
