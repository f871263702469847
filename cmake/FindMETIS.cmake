# FindMETIS: METIS 5 (Debian's libmetis-dev), the nested-dissection ordering of KLU's blocks
# (FactorizationOptions::ordering = Metis / Auto). Defines the imported target METIS::METIS.
if(TARGET METIS::METIS)
  set(METIS_FOUND TRUE)
  return()
endif()
find_path(METIS_INCLUDE_DIR metis.h)
find_library(METIS_LIBRARY NAMES metis)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(METIS REQUIRED_VARS METIS_INCLUDE_DIR METIS_LIBRARY)
if(METIS_FOUND)
  add_library(METIS::METIS UNKNOWN IMPORTED)
  set_target_properties(METIS::METIS PROPERTIES
    IMPORTED_LOCATION "${METIS_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${METIS_INCLUDE_DIR}")
endif()
mark_as_advanced(METIS_INCLUDE_DIR METIS_LIBRARY)
