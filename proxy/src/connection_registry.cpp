#include "connection_registry.hpp"

namespace tollgate::proxy {

std::string_view to_string(connection_kind k) noexcept { return k == connection_kind::tunnel ? "tunnel" : "http"; }

}  // namespace tollgate::proxy

namespace tollgate::proxy::detail {

tracked_connection::tracked_connection(connection_registry& r, std::string client)
    : registry_(r), client_(std::move(client)) {
  std::lock_guard lock(registry_.mutex_);
  self_ = registry_.list_.insert(registry_.list_.end(), this);
}

tracked_connection::tracked_connection(tracked_connection& from, handover) : registry_(from.registry_) {
  std::lock_guard lock(registry_.mutex_);
  client_ = std::move(from.client_);
  user_ = std::move(from.user_);
  destination_ = std::move(from.destination_);
  kind_ = from.kind_;
  started_ = from.started_;
  bytes_up_.store(from.bytes_up_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  bytes_down_.store(from.bytes_down_.load(std::memory_order_relaxed), std::memory_order_relaxed);
  self_ = from.self_;
  *self_ = this;
  from.listed_ = false;
}

tracked_connection::~tracked_connection() {
  std::lock_guard lock(registry_.mutex_);
  if (listed_) registry_.list_.erase(self_);
}

void tracked_connection::set_request(const std::string& user, const std::string& destination) {
  // Only this connection's thread writes these, so reading them unlocked here is safe;
  // keep-alive requests to the same place then cost no lock at all.
  if (user == user_ && destination == destination_) return;
  std::lock_guard lock(registry_.mutex_);
  user_ = user;
  destination_ = destination;
}

void tracked_connection::set_kind(connection_kind k) {
  std::lock_guard lock(registry_.mutex_);
  kind_ = k;
}

void connection_registry::snapshot(std::vector<connection_info>& out) const {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  for (const auto* c : list_) {
    out.push_back(connection_info{
        .user = c->user_,
        .client = c->client_,
        .destination = c->destination_,
        .bytes_up = c->bytes_up_.load(std::memory_order_relaxed),
        .bytes_down = c->bytes_down_.load(std::memory_order_relaxed),
        .age = std::chrono::duration_cast<std::chrono::milliseconds>(now - c->started_),
        .kind = c->kind_,
    });
  }
}

std::vector<std::shared_ptr<tracked_connection>> connection_registry::all() {
  std::vector<std::shared_ptr<tracked_connection>> out;
  std::lock_guard lock(mutex_);
  out.reserve(list_.size());
  for (auto* c : list_) {
    if (auto p = c->lock_self()) out.push_back(std::move(p));
  }
  return out;
}

}  // namespace tollgate::proxy::detail
