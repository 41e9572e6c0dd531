#include "tollgate/auth/lockout.hpp"

#include "lockout_table.hpp"

#include <algorithm>

namespace tollgate::auth {
namespace {

detail::lockout_table::options table_options(const lockout_options& o, unsigned threshold) {
  return {.threshold = threshold,
          .window = o.window,
          .duration = o.duration,
          .max_entries = o.max_entries,
          .shards = o.shards};
}

lockout_state as_state(detail::lockout_table::state s) {
  switch (s) {
    case detail::lockout_table::state::open: return lockout_state::open;
    case detail::lockout_table::state::full: return lockout_state::full;
    case detail::lockout_table::state::locked: return lockout_state::locked;
  }
  return lockout_state::locked;
}

}  // namespace

lockout_tracker::lockout_tracker(const lockout_options& opts)
    : pairs_(std::make_unique<detail::lockout_table>(table_options(opts, opts.threshold))),
      users_(std::make_unique<detail::lockout_table>(table_options(opts, opts.user_threshold))) {}

lockout_tracker::~lockout_tracker() = default;

// The key is "<user>\0<family><address bytes>": the user part is a prefix, so all of one
// user's pairs live in one shard and forget_user() finds them there.
std::string lockout_tracker::pair_key(std::string_view user, const boost::asio::ip::address& client) {
  std::string key(user);
  key += '\0';
  auto v4 = client.is_v4() ? client.to_v4() : boost::asio::ip::address_v4{};
  const bool mapped = client.is_v6() && client.to_v6().is_v4_mapped();
  if (mapped) v4 = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, client.to_v6());
  if (client.is_v4() || mapped) {
    const auto b = v4.to_bytes();
    key += '4';
    key.append(reinterpret_cast<const char*>(b.data()), b.size());
  } else {
    const auto b = client.to_v6().to_bytes();
    key += '6';
    key.append(reinterpret_cast<const char*>(b.data()), b.size());
  }
  return key;
}

lockout_state lockout_tracker::state(std::string_view user, const boost::asio::ip::address& client,
                                     steady_time now) const {
  const auto by_user = as_state(users_->check(user, user, now));
  if (by_user == lockout_state::locked || !pairs_->enabled()) return by_user;
  return std::max(by_user, as_state(pairs_->check(user, pair_key(user, client), now)));
}

lockout_tracker::failure_outcome lockout_tracker::record_failure(std::string_view user,
                                                                 const boost::asio::ip::address& client,
                                                                 steady_time now) {
  const auto pair = pairs_->enabled() ? pairs_->record_failure(user, pair_key(user, client), now)
                                      : detail::lockout_table::failure{};
  const auto all = users_->record_failure(user, user, now);
  return {.locked_now = pair.locked_now || all.locked_now, .untracked = pair.untracked || all.untracked};
}

void lockout_tracker::record_success(std::string_view user, const boost::asio::ip::address& client) {
  if (pairs_->enabled()) pairs_->erase(user, pair_key(user, client));
}

void lockout_tracker::forget_user(std::string_view user) {
  std::string prefix(user);
  prefix += '\0';
  pairs_->erase_prefix(user, prefix);
  users_->erase(user, user);
}

void lockout_tracker::clear() {
  pairs_->clear();
  users_->clear();
}

std::size_t lockout_tracker::pairs_tracked() const { return pairs_->size(); }
std::size_t lockout_tracker::users_tracked() const { return users_->size(); }

}  // namespace tollgate::auth
