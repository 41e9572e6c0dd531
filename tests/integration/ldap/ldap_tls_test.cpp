// StartTLS and ldaps:// with a CA file, against a slapd of this test's own that
// serves a certificate from a throw-away CA.
#include "tollgate/auth/ldap_authenticator.hpp"
#include "tollgate/auth/ldap_directory.hpp"

#include "tollgate/testing/child_process.hpp"
#include "tollgate/testing/ldap_server.hpp"
#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/postgres_server.hpp"
#include "tollgate/testing/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

using namespace std::chrono_literals;
using namespace tollgate::auth;
using namespace tollgate::testing;

namespace {

void must(const command_result& r, const std::string& what) {
  if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.out + r.err);
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

// Makes a CA and a server certificate for 127.0.0.1 in `dir`; `name` prefixes the CA files.
void make_ca(const temp_dir& dir, const std::string& name) {
  must(run_command({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=Tollgate test CA " + name, "-keyout", dir.file(name + "-ca.key"), "-out",
                    dir.file(name + "-ca.pem")}),
       "openssl CA");
}

struct tls_slapd {
  std::unique_ptr<temp_dir> dir;
  child_process process;
  std::uint16_t plain_port = 0;
  std::uint16_t tls_port = 0;

  std::string plain_uri() const { return "ldap://127.0.0.1:" + std::to_string(plain_port); }
  std::string tls_uri() const { return "ldaps://127.0.0.1:" + std::to_string(tls_port); }
  std::string ca_file() const { return dir->file("good-ca.pem"); }
  std::string other_ca_file() const { return dir->file("other-ca.pem"); }

  static std::unique_ptr<tls_slapd> start() {
    if (find_program("slapd").empty() || find_program("openssl").empty())
      throw std::runtime_error("slapd or openssl not installed");
    auto s = std::make_unique<tls_slapd>();
    s->dir = std::make_unique<temp_dir>("tollgate-ldap-tls");
    const temp_dir& d = *s->dir;
    make_ca(d, "good");
    make_ca(d, "other");
    must(run_command({"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout",
                      d.file("server.key"), "-out", d.file("server.csr")}),
         "openssl server key");
    d.write("ext.cnf", "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n");
    must(run_command({"openssl", "x509", "-req", "-in", d.file("server.csr"), "-CA", d.file("good-ca.pem"), "-CAkey",
                      d.file("good-ca.key"), "-CAcreateserial", "-days", "2", "-extfile", d.file("ext.cnf"), "-out",
                      d.file("server.pem")}),
         "openssl sign");
    std::filesystem::create_directories(d.file("data"));
    const auto rootpw = run_command({"slappasswd", "-s", "admin-secret"});
    must(rootpw, "slappasswd");
    std::string hash = rootpw.out;
    while (!hash.empty() && (hash.back() == '\n' || hash.back() == '\r')) hash.pop_back();
    std::string conf = read_file(fixtures_dir() + "/slapd.conf.in");
    conf = replace_all(conf, "@DIR@", d.path());
    conf = replace_all(conf, "@ROOTPW@", hash);
    conf = replace_all(conf, "loglevel stats\n",
                       "loglevel stats\nTLSCACertificateFile " + d.file("good-ca.pem") + "\nTLSCertificateFile " +
                           d.file("server.pem") + "\nTLSCertificateKeyFile " + d.file("server.key") + "\n");
    const auto conf_file = d.write("slapd.conf", conf);
    must(run_command({"slapadd", "-q", "-f", conf_file, "-l", fixtures_dir() + "/directory.ldif"}), "slapadd");
    s->plain_port = free_port();
    s->tls_port = free_port();
    spawn_options opts;
    opts.output_file = d.file("slapd.log");
    s->process = child_process::spawn(
        {find_program("slapd"), "-f", conf_file, "-h", s->plain_uri() + "/ " + s->tls_uri() + "/", "-d", "stats"},
        opts);
    if (!wait_for_port(s->plain_port, 20s) || !wait_for_port(s->tls_port, 20s))
      throw std::runtime_error("TLS slapd did not start:\n" + read_file(d.file("slapd.log")));
    return s;
  }
};

class ldap_tls_test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    try {
      server_ = tls_slapd::start().release();
    } catch (const std::exception& e) {
      error_ = e.what();
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    if (server_ != nullptr) return;
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::strcmp(ci, "true") == 0) FAIL() << error_;
    GTEST_SKIP() << error_;
  }

  static ldap_options options(const std::string& uri, bool start_tls, const std::string& ca_file) {
    ldap_options o;
    o.uris = {uri};
    o.start_tls = start_tls;
    o.ca_file = ca_file;
    o.bind_dn = ldap_server::service_dn;
    o.bind_password = ldap_server::service_password;
    o.user_base = ldap_server::people_base;
    o.group_base = ldap_server::groups_base;
    o.network_timeout = 2s;
    o.operation_timeout = 3s;
    return o;
  }

  static tls_slapd* server_;
  static std::string error_;
};

tls_slapd* ldap_tls_test::server_ = nullptr;
std::string ldap_tls_test::error_;

}  // namespace

TEST_F(ldap_tls_test, ldaps_with_the_right_ca_works) {
  const auto a = make_ldap_directory(options(server_->tls_uri(), false, server_->ca_file()))->check({"alice", "alice-pw"}, {});
  EXPECT_EQ(a.status, directory_status::ok) << a.reason;
  EXPECT_FALSE(a.groups.empty());
}

TEST_F(ldap_tls_test, start_tls_with_the_right_ca_works) {
  const auto a = make_ldap_directory(options(server_->plain_uri(), true, server_->ca_file()))->check({"bob", "bob-pw"}, {});
  EXPECT_EQ(a.status, directory_status::ok) << a.reason;
  // slapd logs the StartTLS extended operation on that connection.
  EXPECT_NE(read_file(server_->dir->file("slapd.log")).find("EXT oid=1.3.6.1.4.1.1466.20037"), std::string::npos);
}

TEST_F(ldap_tls_test, ldaps_with_another_ca_is_refused) {
  const auto a =
      make_ldap_directory(options(server_->tls_uri(), false, server_->other_ca_file()))->check({"alice", "alice-pw"}, {});
  EXPECT_EQ(a.status, directory_status::unreachable) << a.reason;
}

TEST_F(ldap_tls_test, start_tls_with_another_ca_is_refused) {
  const auto a =
      make_ldap_directory(options(server_->plain_uri(), true, server_->other_ca_file()))->check({"alice", "alice-pw"}, {});
  EXPECT_EQ(a.status, directory_status::unreachable) << a.reason;
}
