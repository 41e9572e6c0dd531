# TOLLGATE_SANITIZE=address,undefined or thread: applied to every target through an INTERFACE target.
set(TOLLGATE_SANITIZE "" CACHE STRING "Sanitizers to build with (e.g. address,undefined or thread)")
add_library(tollgate_sanitizers INTERFACE)
if(TOLLGATE_SANITIZE)
  target_compile_options(tollgate_sanitizers INTERFACE -fsanitize=${TOLLGATE_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(tollgate_sanitizers INTERFACE -fsanitize=${TOLLGATE_SANITIZE})
endif()
