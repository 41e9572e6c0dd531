#pragma once

namespace tollgate::testing {

/// True in an AddressSanitizer build (scripts/test.sh stage 2). There freed memory
/// waits in ASan's quarantine (256 MiB by default) and every allocation carries
/// redzones, so resident-memory figures say nothing about the code's own use:
/// memory bounds are checked in the regular build only. TOLLGATE_ADDRESS_SANITIZER
/// covers test programs that are not instrumented themselves but start a tollgate
/// that is.
constexpr bool address_sanitizer_build() {
#if defined(__SANITIZE_ADDRESS__) || defined(TOLLGATE_ADDRESS_SANITIZER)
  return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return true;
#else
  return false;
#endif
#else
  return false;
#endif
}

}  // namespace tollgate::testing
