#include "tollgate/testing/ldap_server.hpp"

#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/postgres_server.hpp"

#include <signal.h>
#include <unistd.h>

#include <map>

#include <filesystem>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace tollgate::testing {
namespace {

void check(const command_result& r, const std::string& what) {
  if (r.exit_code != 0)
    throw std::runtime_error("ldap_server: " + what + " failed (exit " + std::to_string(r.exit_code) + ")\n" +
                             r.out + r.err);
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

}  // namespace

std::unique_ptr<ldap_server> ldap_server::start_new() {
  std::unique_ptr<ldap_server> s(new ldap_server());
  if (find_program("slapd").empty())
    throw std::runtime_error("ldap_server: slapd not found (apt-get install slapd ldap-utils)");
  s->dir_ = std::make_unique<temp_dir>("tollgate-ldap");
  std::filesystem::create_directories(s->dir_->file("data"));

  const auto rootpw = run_command({"slappasswd", "-s", "admin-secret"});
  check(rootpw, "slappasswd");
  std::string conf = read_file(fixtures_dir() + "/slapd.conf.in");
  conf = replace_all(conf, "@DIR@", s->dir_->path());
  auto hash = rootpw.out;
  while (!hash.empty() && (hash.back() == '\n' || hash.back() == '\r')) hash.pop_back();
  conf = replace_all(conf, "@ROOTPW@", hash);
  const auto conf_file = s->dir_->write("slapd.conf", conf);
  check(run_command({"slapadd", "-q", "-f", conf_file, "-l", fixtures_dir() + "/directory.ldif"}), "slapadd");
  s->port_ = free_port();
  s->start();
  return s;
}

ldap_server::~ldap_server() { stop(); }

std::string ldap_server::uri() const { return "ldap://127.0.0.1:" + std::to_string(port_); }

void ldap_server::start() {
  if (running_) return;
  spawn_options opts;
  opts.output_file = dir_->file("slapd.log");
  // `-d stats` keeps slapd in the foreground (its PID is ours) and logs every BIND and SEARCH.
  process_ = child_process::spawn(
      {find_program("slapd"), "-f", dir_->file("slapd.conf"), "-h", uri() + "/", "-d", "stats"}, opts);
  if (!wait_for_port(port_, std::chrono::seconds(20))) {
    process_.stop();
    throw std::runtime_error("ldap_server: slapd did not start\n" + log_text());
  }
  running_ = true;
}

void ldap_server::stop() {
  if (!running_) return;
  process_.stop(SIGTERM, std::chrono::seconds(10));
  running_ = false;
}

std::string ldap_server::log_text() const { return read_file(dir_->file("slapd.log")); }

int ldap_server::bind_attempts(const std::string& dn) const {
  // Each request is logged as `BIND dn="..." method=128` (a success once more with mech=SIMPLE).
  const auto log = log_text();
  const std::string needle = "BIND dn=\"" + dn + "\" method=128";
  int n = 0;
  for (auto pos = log.find(needle); pos != std::string::npos; pos = log.find(needle, pos + 1)) ++n;
  return n;
}

int ldap_server::bind_count(const std::string& dn) const {
  // slapd logs "conn=N op=M BIND dn="..." method=128" then "conn=N op=M RESULT tag=97 err=0".
  const auto log = log_text();
  std::istringstream in(log);
  std::string line;
  std::map<std::string, bool> pending;  // "conn op" -> bind as dn
  int count = 0;
  const std::regex bind_re(R"re((conn=\d+ op=\d+) BIND dn="([^"]*)" method=128)re");
  const std::regex result_re(R"((conn=\d+ op=\d+) RESULT tag=97 err=0)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, bind_re)) {
      if (m[2].str() == dn) pending[m[1].str()] = true;
    } else if (std::regex_search(line, m, result_re)) {
      if (pending.erase(m[1].str()) > 0) ++count;
    }
  }
  return count;
}

}  // namespace tollgate::testing
