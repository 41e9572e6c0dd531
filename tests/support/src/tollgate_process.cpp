#include "tollgate/testing/tollgate_process.hpp"

#include "tollgate/testing/ldap_server.hpp"
#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/postgres_server.hpp"

#include <signal.h>

#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace tollgate::testing {

std::unique_ptr<tollgate_process> tollgate_process::start(postgres_server& pg, ldap_server& ldap,
                                                          const tollgate_settings& s) {
  std::unique_ptr<tollgate_process> t(new tollgate_process());
  t->start_timeout_ = s.start_timeout;
  t->dir_ = std::make_unique<temp_dir>("tollgate-serve");
  t->proxy_port_ = free_port();
  t->admin_port_ = free_port();
  const auto& d = *t->dir_;
  d.write("ldap-password", std::string(ldap_server::service_password) + "\n");
  const auto key = run_command({"openssl", "genpkey", "-algorithm", "ed25519", "-out", d.file("audit-key.pem")});
  if (key.exit_code != 0) throw std::runtime_error("openssl genpkey failed: " + key.err);
  std::string rules_line;
  if (!s.bootstrap_rules_yaml.empty())
    rules_line = "  bootstrap_rules_file: " + d.write("rules.yaml", s.bootstrap_rules_yaml) + "\n";
  const auto dsn = s.dsn_override.empty() ? pg.writer_dsn() : s.dsn_override;
  const auto admin_dsn = s.admin_dsn_override.empty() ? pg.owner_dsn() : s.admin_dsn_override;
  const auto ldap_uri = s.ldap_uri_override.empty() ? ldap.uri() : s.ldap_uri_override;
  const std::string config =
      "proxy:\n"
      "  listen: [\"" + s.proxy_listen_host + ":" + std::to_string(t->proxy_port_) + "\"]\n"
      "  realm: \"Tollgate test\"\n"
      "  io_threads: 2\n" + s.proxy_extra +
      "admin:\n"
      "  listen: \"127.0.0.1:" + std::to_string(t->admin_port_) + "\"\n"
      "  admin_groups: [\"proxy-admins\"]\n"
      "  auditor_groups: [\"auditors\"]\n" + s.admin_extra +
      "ldap:\n"
      "  uris: [\"" + ldap_uri + "\"]\n"
      "  bind_dn: \"" + ldap_server::service_dn + "\"\n"
      "  bind_password_file: " + d.file("ldap-password") + "\n"
      "  user_base: \"" + ldap_server::people_base + "\"\n"
      "  user_filter: \"(uid={user})\"\n"
      "  group_base: \"" + ldap_server::groups_base + "\"\n"
      "  group_filter: \"(member={dn})\"\n"
      "  group_attr: \"cn\"\n" + s.ldap_extra +
      "postgres:\n"
      "  dsn: \"" + dsn + "\"\n"
      "  admin_dsn: \"" + admin_dsn + "\"\n"
      "audit:\n"
      "  instance: \"" + s.instance + "\"\n"
      "  spool_dir: " + (s.spool_dir_override.empty() ? d.file("spool") : s.spool_dir_override) + "\n"
      "  flush_interval: 50ms\n" +
      (s.default_checkpoints ? std::string()
                             : "  signing_key_file: " + d.file("audit-key.pem") + "\n"
                               "  checkpoint_file: " + d.file("checkpoints.log") + "\n") + s.audit_extra +
      "policy:\n"
      "  default: deny\n" + rules_line + s.policy_extra;
  t->config_file_ = d.write("tollgate.yaml", config);
  t->launch();
  return t;
}

void tollgate_process::launch() {
  spawn_options opts;
  opts.output_file = dir_->file("tollgate.log");
  process_ = child_process::spawn({tollgate_binary(), "serve", "--config", config_file_}, opts);
  const auto deadline = std::chrono::steady_clock::now() + start_timeout_;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_.running())
      throw std::runtime_error("tollgate serve exited during start-up:\n" + log_text());
    if (wait_for_port(proxy_port_, std::chrono::milliseconds(100)) &&
        wait_for_port(admin_port_, std::chrono::milliseconds(100)))
      return;
  }
  throw std::runtime_error("tollgate serve did not open its ports within " + std::to_string(start_timeout_.count()) +
                           " s:\n" + log_text());
}

tollgate_process::~tollgate_process() { process_.stop(SIGTERM, std::chrono::seconds(20)); }

std::string tollgate_process::log_text() const { return read_file(dir_->file("tollgate.log")); }

double tollgate_process::metric(const std::string& name) const {
  const auto text = curl({admin_url() + "/metrics"}).out;
  double sum = 0;
  std::size_t pos = 0;
  while ((pos = text.find(name, pos)) != std::string::npos) {
    const bool line_start = pos == 0 || text[pos - 1] == '\n';
    const char next = pos + name.size() < text.size() ? text[pos + name.size()] : '\0';
    const auto eol = text.find('\n', pos);
    if (line_start && (next == ' ' || next == '{')) {
      const auto line = text.substr(pos, eol - pos);
      sum += std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
    }
    pos = eol == std::string::npos ? text.size() : eol;
  }
  return sum;
}

int tollgate_process::stop(int sig) { return process_.stop(sig, std::chrono::seconds(20)); }

void tollgate_process::kill_hard() { process_.kill_hard(); }

void tollgate_process::restart() {
  process_.stop(SIGTERM, std::chrono::seconds(20));
  launch();
}

void tollgate_process::reload() { ::kill(process_.pid(), SIGHUP); }

command_result curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"curl", "-s", "--max-time", "30"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, std::chrono::seconds(40));
}

}  // namespace tollgate::testing
