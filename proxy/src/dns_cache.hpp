#pragma once
#include "tollgate/common/sharded.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace tollgate::proxy::detail {

/// Short-lived memory of name resolutions, positive and negative. One per io thread,
/// so it needs no lock; entries live seconds, not the DNS TTL (which getaddrinfo hides),
/// so a changed record is picked up soon and a failing name is not hammered.
class dns_cache {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds positive_ttl{30};
  static constexpr std::chrono::seconds negative_ttl{5};
  static constexpr std::size_t max_entries = 10'000;

  enum class status { miss, hit, negative };
  struct answer {
    status state = status::miss;
    boost::asio::ip::address address;
  };

  answer find(std::string_view host, clock::time_point now);
  void store(std::string_view host, const boost::asio::ip::address& a, clock::time_point now);
  void store_failure(std::string_view host, clock::time_point now);
  std::size_t size() const { return map_.size(); }

 private:
  struct entry {
    std::optional<boost::asio::ip::address> address;  // nullopt: the name did not resolve
    clock::time_point expires;
  };
  void make_room(clock::time_point now);
  string_map<entry> map_;
};

}  // namespace tollgate::proxy::detail
