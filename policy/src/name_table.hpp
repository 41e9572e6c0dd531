#pragma once
// Private to the policy engine: an open-addressing hash table from names to a value,
// keys packed in one string. The hash runs over the name from its last character
// backwards, so one right-to-left pass over a host name yields the hash of every
// domain suffix ("a.b.example.com", "b.example.com", "example.com", "com") — the
// hash-of-suffixes form of a reversed-label trie: one probe per label.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::policy::detail {

/// Incremental hash over characters fed last-to-first.
struct reverse_hash {
  std::uint64_t state = 0xcbf29ce484222325ull;  // FNV-1a
  void feed(char c) noexcept {
    state ^= static_cast<unsigned char>(c);
    state *= 0x100000001b3ull;
  }
  std::uint64_t value() const noexcept {  // final mix: FNV's low bits are weak
    std::uint64_t x = state;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
  }
  static std::uint64_t of(std::string_view s) noexcept {
    reverse_hash h;
    for (auto it = s.rbegin(); it != s.rend(); ++it) h.feed(*it);
    return h.value();
  }
};

template <class Value>
class name_table {
 public:
  /// The value for `key`, created empty on first use. Build time only; the
  /// reference is good until the next call.
  Value& operator[](std::string_view key) {
    const auto hash = reverse_hash::of(key);
    if (auto* found = find(hash, key)) return *const_cast<Value*>(found);
    if ((values_.size() + 1) * 2 > slots_.size()) grow();
    values_.emplace_back();
    insert(hash, {tag_of(hash), static_cast<std::uint32_t>(values_.size() - 1), static_cast<std::uint32_t>(pool_.size()),
                  static_cast<std::uint32_t>(key.size())});
    pool_.append(key);
    key_lengths_.push_back(static_cast<std::uint32_t>(key.size()));
    return values_.back();
  }

  /// Lookup with a precomputed reverse_hash::of(key).
  const Value* find(std::uint64_t hash, std::string_view key) const noexcept {
    if (slots_.empty()) return nullptr;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const slot& s = slots_[i];
      if (s.value == empty_slot) return nullptr;
      if (s.tag == tag_of(hash) && std::string_view(pool_).substr(s.offset, s.length) == key) return &values_[s.value];
    }
  }
  const Value* find(std::string_view key) const noexcept { return find(reverse_hash::of(key), key); }

  bool empty() const noexcept { return values_.empty(); }

 private:
  static constexpr std::uint32_t empty_slot = 0xFFFFFFFFu;
  // 16 bytes: four slots to a cache line. The slot index comes from the hash's low
  // bits, the tag from its high bits.
  struct slot {
    std::uint32_t tag = 0;
    std::uint32_t value = empty_slot;
    std::uint32_t offset = 0;  // key in pool_
    std::uint32_t length = 0;
  };

  static std::uint32_t tag_of(std::uint64_t hash) noexcept { return static_cast<std::uint32_t>(hash >> 32); }

  void insert(std::uint64_t hash, const slot& entry) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hash & mask;
    while (slots_[i].value != empty_slot) i = (i + 1) & mask;
    slots_[i] = entry;
  }

  void grow() {
    slots_.assign(slots_.empty() ? 16 : slots_.size() * 2, slot{});
    std::size_t offset = 0;
    for (std::uint32_t v = 0; v < values_.size(); ++v) {
      const auto length = key_lengths_[v];
      const auto key = std::string_view(pool_).substr(offset, length);
      insert(reverse_hash::of(key), {tag_of(reverse_hash::of(key)), v, static_cast<std::uint32_t>(offset), length});
      offset += length;
    }
  }

  std::vector<slot> slots_;       // load factor at most 1/2
  std::vector<Value> values_;
  std::string pool_;              // every key, back to back
  std::vector<std::uint32_t> key_lengths_;  // build time: to rehash on growth
};

}  // namespace tollgate::policy::detail
