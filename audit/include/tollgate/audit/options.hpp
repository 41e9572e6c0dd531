#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tollgate::audit {

enum class spool_full_mode { block, reject };

/// Config `audit:` plus the writer's connection string (`postgres.dsn`).
struct options {
  std::string dsn;                        ///< the insert-only writer role
  std::string admin_dsn;                  ///< owner role: partition upkeep and retention
  std::string instance;                   ///< chain name; default: host name
  std::string spool_dir = "/var/lib/tollgate/spool";
  std::uint64_t spool_max_bytes = 1ull << 30;
  std::size_t queue_capacity = 100'000;
  /// Bytes the queued records may hold (record_bytes()); with queue_capacity, whichever
  /// is reached first closes admission. Large records (16 KiB paths) count for their size.
  std::uint64_t queue_max_bytes = 128ull << 20;
  std::size_t batch_max = 1000;
  std::size_t writer_connections = 2;     ///< batches copied at once, committed in order
  std::chrono::milliseconds flush_interval{200};
  spool_full_mode on_spool_full = spool_full_mode::block;
  std::uint64_t checkpoint_every = 1000;
  std::string signing_key_file;           ///< Ed25519 private key (PEM); empty = no checkpoints
  std::string checkpoint_file;
  bool create_signing_key = false;        ///< generate signing_key_file (0600) if missing; never overwrite
  unsigned retention_months = 0;          ///< 0 = keep forever
  bool store_query = false;
};

}  // namespace tollgate::audit
