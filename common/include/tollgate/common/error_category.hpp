#pragma once
// The error_category behind each component's `enum class error` (see result.hpp):
// a name and one message per value, so components write a switch, not a class.
#include <boost/system/error_category.hpp>

#include <string>

namespace tollgate {

// boost::system::error_category has a public non-virtual destructor by design (categories
// are static objects, never deleted through a base pointer).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
/// Keep one as a function-local static: `static const enum_error_category c{"tollgate.audit", describe};`.
class enum_error_category final : public boost::system::error_category {
 public:
  using describe_fn = const char* (*)(int value) noexcept;
  constexpr enum_error_category(const char* name, describe_fn describe) noexcept : name_(name), describe_(describe) {}

  const char* name() const noexcept override { return name_; }
  std::string message(int value) const override { return describe_(value); }

 private:
  const char* name_;
  describe_fn describe_;
};
#pragma GCC diagnostic pop

}  // namespace tollgate
