#include "proxy_harness.hpp"

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

namespace tollgate::testing::proxy {
namespace {

struct origin_state {
  std::unique_ptr<temp_dir> dir;
  child_process process;
  std::uint16_t http = 0, tls = 0, sink = 0;
};
origin_state& origin() {
  static origin_state s;
  return s;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool wait_for_file(const std::string& path, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (std::ifstream(path).good()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

void origin_environment::SetUp() {
  auto& o = origin();
  o.dir = std::make_unique<temp_dir>("tollgate-origin");
  const auto cert = o.dir->file("cert.pem");
  const auto key = o.dir->file("key.pem");
  auto r = run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=127.0.0.1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto ports = o.dir->file("ports");
  o.process = child_process::spawn({TOLLGATE_TEST_ORIGIN, ports, cert, key}, {.output_file = o.dir->file("origin.log"), .env = {}, .run_as_user = {}, .working_dir = {}});
  ASSERT_TRUE(wait_for_file(ports, std::chrono::seconds(10))) << "test origin did not start";
  std::istringstream in(slurp(ports));
  std::string item;
  while (in >> item) {
    const auto eq = item.find('=');
    const auto port = static_cast<std::uint16_t>(std::stoul(item.substr(eq + 1)));
    const auto name = item.substr(0, eq);
    if (name == "http") o.http = port;
    if (name == "tls") o.tls = port;
    if (name == "sink") o.sink = port;
  }
}

void origin_environment::TearDown() {
  origin().process.stop();
  origin().dir.reset();
}

std::uint16_t origin_environment::http_port() { return origin().http; }
std::uint16_t origin_environment::tls_port() { return origin().tls; }
std::uint16_t origin_environment::sink_port() { return origin().sink; }
int origin_environment::pid() { return origin().process.pid(); }

std::string origin_url(const std::string& path) {
  return "http://127.0.0.1:" + std::to_string(origin_environment::http_port()) + path;
}

long origin_requests() {
  raw_client c(origin_environment::http_port(), std::chrono::seconds(5));
  if (!c.send("GET /count HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) return -1;
  const auto r = c.read_response();
  const auto body = r.find("\r\n\r\n");
  if (status_of(r) != 200 || body == std::string::npos) return -1;
  return std::atol(r.c_str() + body + 4);
}

proxy_process::proxy_process(const std::vector<std::string>& lines, bool allow_loopback)
    : allow_loopback_(allow_loopback) {
  write_config(lines);
  process_ = child_process::spawn({TOLLGATE_PROXY_TESTBED, dir_.file("config")}, {.output_file = dir_.file("out.log"), .env = {}, .run_as_user = {}, .working_dir = {}});
  if (!wait_for_file(dir_.file("port"), std::chrono::seconds(10))) {
    ADD_FAILURE() << "proxy testbed did not start: " << output();
    return;
  }
  port_ = static_cast<std::uint16_t>(std::stoul(slurp(dir_.file("port"))));
}

proxy_process::~proxy_process() {
  if (process_.pid() > 0) process_.stop(SIGKILL, std::chrono::seconds(5));
}

void proxy_process::write_config(const std::vector<std::string>& lines) {
  std::ofstream out(dir_.file("config.tmp"));
  out << "listen=127.0.0.1:0\nio_threads=2\n"
      << "user=alice:alice-pw:engineering,staff\nuser=bob:bob-pw:sales\n"
      << "head_timeout_ms=5000\nidle_timeout_ms=5000\nconnect_timeout_ms=2000\n"
      << "tunnel_idle_timeout_ms=10000\nshutdown_grace_ms=5000\n"
      << "support_contact=helpdesk@example.com\n"
      << "audit_file=" << dir_.file("audit.jsonl") << "\n"
      << "port_file=" << dir_.file("port") << "\n"
      << "metrics_file=" << dir_.file("metrics") << "\n";
  if (allow_loopback_) out << "allow_cidr=127.0.0.1/32\n";
  for (const auto& l : lines) out << l << "\n";
  out.close();
  std::rename(dir_.file("config.tmp").c_str(), dir_.file("config").c_str());
}

std::vector<std::string> proxy_process::audit(std::size_t at_least, std::chrono::milliseconds wait) const {
  const auto end = std::chrono::steady_clock::now() + wait;
  for (;;) {
    std::vector<std::string> lines;
    std::istringstream in(slurp(dir_.file("audit.jsonl")));
    for (std::string l; std::getline(in, l);) {
      if (!l.empty()) lines.push_back(l);
    }
    if (lines.size() >= at_least || std::chrono::steady_clock::now() >= end) return lines;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void proxy_process::reload(const std::vector<std::string>& lines) {
  write_config(lines);
  ++reloads_;
  ::kill(process_.pid(), SIGHUP);
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < end) {
    const auto out = output();
    std::size_t count = 0;
    for (auto pos = out.find("reloaded"); pos != std::string::npos; pos = out.find("reloaded", pos + 1)) ++count;
    if (count >= static_cast<std::size_t>(reloads_)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // posted to the io threads
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "reload not acknowledged";
}

std::string proxy_process::metrics() {
  std::remove(dir_.file("metrics").c_str());
  ::kill(process_.pid(), SIGUSR1);
  if (!wait_for_file(dir_.file("metrics"), std::chrono::seconds(5))) return {};
  return slurp(dir_.file("metrics"));
}

int proxy_process::terminate(std::chrono::milliseconds wait) {
  ::kill(process_.pid(), SIGTERM);
  return process_.wait(wait);
}

std::string proxy_process::output() const { return slurp(dir_.file("out.log")); }

command_result curl(const proxy_process& proxy, std::vector<std::string> args, const std::string& user) {
  std::vector<std::string> argv{"curl", "-sS", "--max-time", "60", "-x", proxy.proxy_url()};
  if (!user.empty()) {
    argv.push_back("-U");
    argv.push_back(user);
  }
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, std::chrono::seconds(90));
}

std::string json_field(const std::string& line, const std::string& key) {
  const auto k = "\"" + key + "\":";
  const auto pos = line.find(k);
  if (pos == std::string::npos) return {};
  auto start = pos + k.size();
  if (line[start] == '"') {
    const auto end = line.find('"', start + 1);
    return line.substr(start + 1, end - start - 1);
  }
  const auto end = line.find_first_of(",}", start);
  return line.substr(start, end - start);
}

}  // namespace tollgate::testing::proxy
