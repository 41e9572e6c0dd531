#include "tollgate/testing/postgres_server.hpp"

#include "tollgate/app/migrator.hpp"
#include "tollgate/testing/net_util.hpp"

#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace tollgate::testing {
namespace {

constexpr const char* pg_bin_dir = "/usr/lib/postgresql/15/bin";

// initdb and postgres refuse to run as root: use the package's unprivileged user.
std::string server_user() { return geteuid() == 0 ? "postgres" : ""; }

void hand_to_server_user(const std::string& path) {
  if (geteuid() != 0) return;
  const passwd* pw = getpwnam("postgres");
  if (pw == nullptr) throw std::runtime_error("postgres_server: no 'postgres' user to run the server as");
  if (chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0)
    throw std::runtime_error("postgres_server: cannot chown " + path);
}

void check(const command_result& r, const std::string& what, const std::string& log_file) {
  if (r.exit_code == 0) return;
  throw std::runtime_error("postgres_server: " + what + " failed (exit " + std::to_string(r.exit_code) +
                           ")\n" + r.out + r.err + "\n--- server log ---\n" + read_file(log_file));
}

}  // namespace

std::string migrations_dir() { return TOLLGATE_SOURCE_DIR "/migrations"; }
std::string tollgate_binary() { return TOLLGATE_BINARY; }
std::string fixtures_dir() { return TOLLGATE_SOURCE_DIR "/tests/fixtures"; }

std::string postgres_server::pg_bin(const std::string& tool) const { return std::string(pg_bin_dir) + "/" + tool; }

std::unique_ptr<postgres_server> postgres_server::start_new(bool apply_migrations) {
  std::unique_ptr<postgres_server> s(new postgres_server());
  if (access(s->pg_bin("initdb").c_str(), X_OK) != 0)
    throw std::runtime_error("postgres_server: " + s->pg_bin("initdb") + " not found (apt-get install postgresql)");
  s->dir_ = std::make_unique<temp_dir>("tollgate-pg");
  s->data_dir_ = s->dir_->file("data");
  s->log_file_ = s->dir_->file("postgres.log");
  const auto socket_dir = s->dir_->file("sock");
  std::filesystem::create_directories(s->data_dir_);
  std::filesystem::create_directories(socket_dir);
  chmod(s->data_dir_.c_str(), 0700);
  hand_to_server_user(s->data_dir_);
  hand_to_server_user(socket_dir);
  { std::ofstream touch(s->log_file_); }
  hand_to_server_user(s->log_file_);

  spawn_options as_server;
  as_server.run_as_user = server_user();
  check(run_command({s->pg_bin("initdb"), "-D", s->data_dir_, "-U", "postgres", "--auth-local=trust",
                     "--auth-host=trust", "-E", "UTF8", "--locale=C", "--no-sync"},
                    std::chrono::seconds(120), as_server),
        "initdb", s->log_file_);

  s->port_ = free_port();
  {
    std::ofstream conf(s->data_dir_ + "/postgresql.conf", std::ios::app);
    conf << "\n# tollgate test cluster\n"
         << "listen_addresses = '127.0.0.1'\n"
         << "port = " << s->port_ << "\n"
         << "unix_socket_directories = '" << socket_dir << "'\n"
         << "max_connections = 200\n"
         << "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
         << "shared_buffers = 64MB\n";
  }
  s->start();
  s->psql("CREATE ROLE tollgate LOGIN CREATEROLE", "postgres");
  s->psql("CREATE DATABASE tollgate OWNER tollgate", "postgres");
  if (apply_migrations) tollgate::app::apply_migrations(s->owner_dsn(), migrations_dir());
  return s;
}

postgres_server::~postgres_server() {
  if (!running_) return;
  try {
    stop();
  } catch (...) {
    // Last resort: the postmaster's PID is the first line of postmaster.pid.
    std::ifstream pidfile(data_dir_ + "/postmaster.pid");
    pid_t pid = 0;
    if (pidfile >> pid && pid > 0) ::kill(pid, SIGQUIT);
  }
}

std::string postgres_server::owner_dsn() const {
  return "postgresql://tollgate@127.0.0.1:" + std::to_string(port_) + "/tollgate";
}
std::string postgres_server::writer_dsn() const {
  return "postgresql://tollgate_writer@127.0.0.1:" + std::to_string(port_) + "/tollgate";
}
std::string postgres_server::superuser_dsn() const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/tollgate";
}

void postgres_server::stop() {
  if (!running_) return;
  spawn_options as_server;
  as_server.run_as_user = server_user();
  check(run_command({pg_bin("pg_ctl"), "-D", data_dir_, "-m", "fast", "-w", "-t", "60", "stop"},
                    std::chrono::seconds(90), as_server),
        "pg_ctl stop", log_file_);
  running_ = false;
}

void postgres_server::start() {
  if (running_) return;
  spawn_options as_server;
  as_server.run_as_user = server_user();
  check(run_command({pg_bin("pg_ctl"), "-D", data_dir_, "-l", log_file_, "-w", "-t", "60", "start"},
                    std::chrono::seconds(90), as_server),
        "pg_ctl start", log_file_);
  running_ = true;
}

std::string postgres_server::psql(const std::string& sql, const std::string& role) const {
  const std::string db = role == "postgres" ? "postgres" : "tollgate";
  const auto dsn = "postgresql://" + role + "@127.0.0.1:" + std::to_string(port_) + "/" + db;
  const auto r = run_command({"psql", dsn, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql});
  if (r.exit_code != 0)
    throw std::runtime_error("psql failed (exit " + std::to_string(r.exit_code) + "): " + r.err + r.out + "\nSQL: " + sql);
  return r.out;
}

}  // namespace tollgate::testing
