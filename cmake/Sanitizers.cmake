# Sanitizer and fuzzing builds (clang; see docs/testing.md).
#
#   -DHIILI_SANITIZE=address,undefined   every target built with ASan + UBSan (make test-sanitize)
#   -DHIILI_SANITIZE=thread              every target built with TSan (the threaded tests)
#   -DHIILI_FUZZ=ON                      the library with ASan + UBSan and libFuzzer coverage,
#                                        and one libFuzzer executable per reader (tests/fuzz)
#
# Errors are fatal (-fno-sanitize-recover=all): a finding fails the test instead of printing
# a report and going on.
set(HIILI_SANITIZE "" CACHE STRING "Sanitizers for every target (e.g. address,undefined or thread)")
option(HIILI_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)

if(HIILI_FUZZ AND NOT HIILI_SANITIZE)
  set(HIILI_SANITIZE "address,undefined")
endif()

if(HIILI_SANITIZE OR HIILI_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "HIILI_SANITIZE / HIILI_FUZZ need clang (configure with -DCMAKE_CXX_COMPILER=clang++-14)")
  endif()
  set(_hiili_sanitize_flags -fsanitize=${HIILI_SANITIZE} -fno-sanitize-recover=all
      -fno-omit-frame-pointer -g)
  if(HIILI_FUZZ)
    # Coverage instrumentation for libFuzzer everywhere; only the fuzz executables link its main.
    list(APPEND _hiili_sanitize_flags -fsanitize=fuzzer-no-link)
  endif()
  add_compile_options(${_hiili_sanitize_flags})
  add_link_options(-fsanitize=${HIILI_SANITIZE})
  message(STATUS "hiili: sanitizers ${HIILI_SANITIZE}")
endif()
