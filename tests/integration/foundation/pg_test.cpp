// tollgate::pg against the harness's PostgreSQL: libpqxx's exceptions come back as
// the right pg::error, the pool reuses and drops connections, and the transaction
// helper retries only when told to.
#include "tollgate/pg/transaction.hpp"

#include "tollgate/pg/connect.hpp"
#include "tollgate/pg/pool.hpp"
#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/services_environment.hpp"

#include <gtest/gtest.h>

#include <pqxx/nontransaction>

#include <chrono>
#include <future>
#include <optional>
#include <thread>

namespace tollgate::testing {
namespace {

// Runs `sql` in its own transaction on a fresh connection as the owner role.
pg::result<void> run_sql(const std::string& sql, const std::string& dsn) {
  pg::pool p({.dsn = dsn, .max_connections = 1});
  return pg::in_transaction(p, pg::retry::never, [&](pqxx::work& tx) { tx.exec(sql); });
}

pg::error code_of(const pg::result<void>& r) { return static_cast<pg::error>(r.error().code.value()); }

TEST(PgErrors, UniqueViolationIsConstraintViolation) {
  TOLLGATE_REQUIRE_SERVICES();
  auto& pg = services_environment::postgres();
  pg.psql("CREATE TABLE IF NOT EXISTS pg_test_unique (k int PRIMARY KEY); INSERT INTO pg_test_unique VALUES (1) "
          "ON CONFLICT DO NOTHING");
  const auto r = run_sql("INSERT INTO pg_test_unique VALUES (1)", pg.owner_dsn());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, pg::error::constraint_violation);
  EXPECT_EQ(r.error().code.category().name(), std::string("tollgate.pg"));
  EXPECT_NE(r.error().message.find("pg_test_unique_pkey"), std::string::npos) << r.error().message;
}

TEST(PgErrors, NotNullViolationIsConstraintViolation) {
  TOLLGATE_REQUIRE_SERVICES();
  auto& pg = services_environment::postgres();
  EXPECT_EQ(code_of(run_sql("INSERT INTO rules (priority, action) VALUES (NULL, 'allow')", pg.owner_dsn())),
            pg::error::constraint_violation);
}

TEST(PgErrors, SyntaxErrorIsQueryFailed) {
  TOLLGATE_REQUIRE_SERVICES();
  const auto r = run_sql("SELEKT 1", services_environment::postgres().owner_dsn());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, pg::error::query_failed);
  EXPECT_NE(r.error().message.find("SELEKT"), std::string::npos) << r.error().message;
}

TEST(PgErrors, MissingPrivilegeIsPermissionDenied) {
  TOLLGATE_REQUIRE_SERVICES();
  // The writer role has no SELECT on admin_actions (migration 0001).
  const auto r = run_sql("SELECT * FROM admin_actions", services_environment::postgres().writer_dsn());
  EXPECT_EQ(code_of(r), pg::error::permission_denied) << r.error().message;
}

TEST(PgErrors, StatementTimeoutIsTimeout) {
  TOLLGATE_REQUIRE_SERVICES();
  EXPECT_EQ(code_of(run_sql("SET LOCAL statement_timeout = '50ms'; SELECT pg_sleep(5)",
                            services_environment::postgres().owner_dsn())),
            pg::error::timeout);
}

TEST(PgErrors, SerializationFailureAndDeadlockAreSerializationFailure) {
  TOLLGATE_REQUIRE_SERVICES();
  const auto dsn = services_environment::postgres().owner_dsn();
  EXPECT_EQ(code_of(run_sql("DO $$BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40001'; END$$", dsn)),
            pg::error::serialization_failure);
  EXPECT_EQ(code_of(run_sql("DO $$BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '40P01'; END$$", dsn)),
            pg::error::serialization_failure);
}

TEST(PgErrors, NoServerIsConnectionLost) {
  const auto port = free_port();
  const auto c = pg::connect("host=127.0.0.1 port=" + std::to_string(port) + " dbname=x connect_timeout=2");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, pg::error::connection_lost);
  EXPECT_FALSE(c.error().message.empty());
}

TEST(PgErrors, ValueOfAFailureThrowsItsMessage) {
  TOLLGATE_REQUIRE_SERVICES();
  const auto r = run_sql("SELEKT 1", services_environment::postgres().owner_dsn());
  try {
    r.value();
    FAIL() << "value() of a failure returned";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), r.error().message);
  }
}

TEST(PgPool, AHealthyConnectionIsReused) {
  TOLLGATE_REQUIRE_SERVICES();
  pg::pool p({.dsn = services_environment::postgres().owner_dsn(), .max_connections = 2});
  int first_pid = 0;
  {
    auto lease = p.acquire();
    ASSERT_TRUE(lease) << lease.error().message;
    first_pid = (*lease)->backendpid();
    lease->healthy();
  }
  auto again = p.acquire();
  ASSERT_TRUE(again);
  EXPECT_EQ((*again)->backendpid(), first_pid);
  EXPECT_EQ(p.open_connections(), 1u);
}

TEST(PgPool, AConnectionNotMarkedHealthyIsClosed) {
  TOLLGATE_REQUIRE_SERVICES();
  pg::pool p({.dsn = services_environment::postgres().owner_dsn(), .max_connections = 2});
  int first_pid = 0;
  {
    auto lease = p.acquire();
    ASSERT_TRUE(lease);
    first_pid = (*lease)->backendpid();
  }
  EXPECT_EQ(p.open_connections(), 0u);
  auto again = p.acquire();
  ASSERT_TRUE(again);
  EXPECT_NE((*again)->backendpid(), first_pid);
}

TEST(PgPool, AcquireWaitsForALeaseWhenAllAreLentOut) {
  TOLLGATE_REQUIRE_SERVICES();
  pg::pool p({.dsn = services_environment::postgres().owner_dsn(), .max_connections = 1});
  auto first = p.acquire();
  ASSERT_TRUE(first);
  std::optional<pg::pool::lease> held(std::move(*first));
  auto waiter = std::async(std::launch::async, [&] {
    auto l = p.acquire();
    if (l) l->healthy();
    return l.has_value();
  });
  EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout);
  held->healthy();
  held.reset();  // gives the connection back
  EXPECT_TRUE(waiter.get());
  EXPECT_EQ(p.open_connections(), 1u);
}

TEST(PgPool, AFailedConnectFreesItsSlot) {
  pg::pool p({.dsn = "host=127.0.0.1 port=" + std::to_string(free_port()) + " connect_timeout=2",
              .max_connections = 1});
  EXPECT_FALSE(p.acquire());
  EXPECT_FALSE(p.acquire());  // would block forever if the first attempt kept the slot
  EXPECT_EQ(p.open_connections(), 0u);
}

// A pooled connection the server ended while it sat idle.
int pool_with_killed_connection(pg::pool& p) {
  auto lease = p.acquire();
  const int pid = (*lease)->backendpid();
  lease->healthy();
  services_environment::postgres().psql("SELECT pg_terminate_backend(" + std::to_string(pid) + ")", "postgres");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the backend exits asynchronously
  return pid;
}

TEST(PgTransaction, RetriesOnceOnALostConnectionWhenAsked) {
  TOLLGATE_REQUIRE_SERVICES();
  pg::pool p({.dsn = services_environment::postgres().owner_dsn(), .max_connections = 1});
  const int killed = pool_with_killed_connection(p);
  int calls = 0;
  const auto r = pg::in_transaction(p, pg::retry::on_connection_lost, [&](pqxx::work& tx) {
    ++calls;
    return tx.exec("SELECT pg_backend_pid()")[0][0].as<int>();
  });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_NE(*r, killed);
  EXPECT_EQ(calls, 1);  // the first attempt broke at BEGIN, before the function ran
}

TEST(PgTransaction, NeverRetriesWhenNotAsked) {
  TOLLGATE_REQUIRE_SERVICES();
  pg::pool p({.dsn = services_environment::postgres().owner_dsn(), .max_connections = 1});
  pool_with_killed_connection(p);
  int calls = 0;
  const auto r = pg::in_transaction(p, pg::retry::never, [&](pqxx::work& tx) {
    ++calls;
    tx.exec("SELECT 1");
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, pg::error::connection_lost);
  EXPECT_EQ(calls, 0);  // it broke at BEGIN
  // The broken connection was closed, not put back: the next call gets a fresh one.
  EXPECT_TRUE(pg::in_transaction(p, pg::retry::never, [](pqxx::work& tx) { tx.exec("SELECT 1"); }));
}

TEST(PgTransaction, AQueryErrorIsNotRetriedAndRollsBack) {
  TOLLGATE_REQUIRE_SERVICES();
  auto& pg = services_environment::postgres();
  pg.psql("CREATE TABLE IF NOT EXISTS pg_test_rollback (k int)");
  pg::pool p({.dsn = pg.owner_dsn(), .max_connections = 1});
  int calls = 0;
  const auto r = pg::in_transaction(p, pg::retry::on_connection_lost, [&](pqxx::work& tx) {
    ++calls;
    tx.exec("INSERT INTO pg_test_rollback VALUES (1)");
    tx.exec("SELEKT");
  });
  EXPECT_EQ(code_of(r), pg::error::query_failed);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(pg.psql("SELECT count(*) FROM pg_test_rollback"), "0\n");
}

}  // namespace
}  // namespace tollgate::testing
