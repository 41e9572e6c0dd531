// A process that records audit records until it is killed: the crash test kills it
// with SIGKILL while it is spooling. Usage: audit_crash_child DSN SPOOL_DIR INSTANCE
#include "tollgate/audit/pg_audit_sink.hpp"

#include <prometheus/registry.h>

#include <chrono>
#include <cstdio>
#include <thread>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DSN SPOOL_DIR INSTANCE\n", argv[0]);
    return 2;
  }
  tollgate::audit::options o;
  o.dsn = argv[1];
  o.admin_dsn = argv[1];
  o.spool_dir = argv[2];
  o.instance = argv[3];
  o.batch_max = 100;
  o.flush_interval = std::chrono::milliseconds(5);
  prometheus::Registry registry;
  auto made = tollgate::audit::pg_audit_sink::create(o, registry);
  if (!made) {
    std::fprintf(stderr, "%s\n", made.error().message().c_str());
    return 1;
  }
  auto& sink = **made;
  for (long n = 1;; ++n) {
    tollgate::audit::audit_record r;
    r.ts = std::chrono::system_clock::now();
    r.client_ip = "10.0.0.1";
    r.username = "crash";
    r.method = "GET";
    r.scheme = "http";
    r.host = "n" + std::to_string(n) + ".example.com";
    r.port = 80;
    r.status = 200;
    r.decision = "allow";
    sink.record(std::move(r));
    if (n % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}
