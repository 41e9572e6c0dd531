# Warnings as an INTERFACE target, linked PRIVATE by every tollgate target.
add_library(tollgate_warnings INTERFACE)
target_compile_options(tollgate_warnings INTERFACE
  -Wall -Wextra -Wpedantic $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local> -Wnon-virtual-dtor -Wimplicit-fallthrough
  $<$<BOOL:${TOLLGATE_WERROR}>:-Werror>)
option(TOLLGATE_WERROR "Treat warnings as errors" OFF)
