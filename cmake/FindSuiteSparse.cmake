# FindSuiteSparse: KLU and UMFPACK with their AMD/COLAMD/BTF/config dependencies.
#
# SuiteSparse >= 7.2 ships CMake configs (SuiteSparse::KLU, SuiteSparse::UMFPACK ...); use them
# when present. Debian bookworm's 5.12 has none, so fall back to plain headers and libraries.
# Defines the imported targets SuiteSparse::KLU and SuiteSparse::UMFPACK either way.

if(TARGET SuiteSparse::KLU AND TARGET SuiteSparse::UMFPACK)
  set(SuiteSparse_FOUND TRUE)
  return()
endif()

find_package(KLU CONFIG QUIET)
find_package(UMFPACK CONFIG QUIET)
if(TARGET SuiteSparse::KLU AND TARGET SuiteSparse::UMFPACK)
  set(SuiteSparse_FOUND TRUE)
  return()
endif()

find_path(SuiteSparse_INCLUDE_DIR klu.h PATH_SUFFIXES suitesparse)
foreach(lib klu umfpack amd colamd btf cholmod suitesparseconfig)
  string(TOUPPER ${lib} LIB)
  find_library(SuiteSparse_${LIB}_LIBRARY NAMES ${lib})
endforeach()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SuiteSparse
  REQUIRED_VARS SuiteSparse_INCLUDE_DIR SuiteSparse_KLU_LIBRARY SuiteSparse_UMFPACK_LIBRARY
                SuiteSparse_AMD_LIBRARY SuiteSparse_COLAMD_LIBRARY SuiteSparse_BTF_LIBRARY
                SuiteSparse_SUITESPARSECONFIG_LIBRARY)

if(SuiteSparse_FOUND)
  function(_hiili_ss_target name lib)
    if(NOT TARGET SuiteSparse::${name})
      add_library(SuiteSparse::${name} UNKNOWN IMPORTED)
      set_target_properties(SuiteSparse::${name} PROPERTIES
        IMPORTED_LOCATION "${lib}"
        INTERFACE_INCLUDE_DIRECTORIES "${SuiteSparse_INCLUDE_DIR}")
    endif()
  endfunction()
  _hiili_ss_target(config "${SuiteSparse_SUITESPARSECONFIG_LIBRARY}")
  _hiili_ss_target(AMD "${SuiteSparse_AMD_LIBRARY}")
  _hiili_ss_target(COLAMD "${SuiteSparse_COLAMD_LIBRARY}")
  _hiili_ss_target(BTF "${SuiteSparse_BTF_LIBRARY}")
  _hiili_ss_target(KLU "${SuiteSparse_KLU_LIBRARY}")
  _hiili_ss_target(UMFPACK "${SuiteSparse_UMFPACK_LIBRARY}")
  set_property(TARGET SuiteSparse::KLU PROPERTY INTERFACE_LINK_LIBRARIES
    SuiteSparse::AMD SuiteSparse::COLAMD SuiteSparse::BTF SuiteSparse::config)
  set(_umf_deps SuiteSparse::AMD SuiteSparse::config)
  if(SuiteSparse_CHOLMOD_LIBRARY)
    _hiili_ss_target(CHOLMOD "${SuiteSparse_CHOLMOD_LIBRARY}")
    list(APPEND _umf_deps SuiteSparse::CHOLMOD)
  endif()
  set_property(TARGET SuiteSparse::UMFPACK PROPERTY INTERFACE_LINK_LIBRARIES ${_umf_deps})
endif()
mark_as_advanced(SuiteSparse_INCLUDE_DIR)
