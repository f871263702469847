# Puts the licences of the libraries that auditwheel vendors into the wheel (make wheel):
# hiili/_vendor_licenses/ gets cmake/vendored.txt as VENDORED.txt, the Debian copyright file of
# each package it names and the full licence texts those files refer to. Debian only: elsewhere
# (no /usr/share/doc) it warns, and tests/wheel/check_installed.py fails for a wheel without them.
function(hiili_install_vendor_licenses)
  set(dest hiili/_vendor_licenses)
  set(table "${PROJECT_SOURCE_DIR}/cmake/vendored.txt")
  install(FILES "${table}" DESTINATION ${dest} RENAME VENDORED.txt COMPONENT python)
  file(STRINGS "${table}" rows REGEX "^[^#]")
  set(packages "")
  foreach(row IN LISTS rows)
    string(REGEX REPLACE "^[^|]*\\|[ ]*([^ |]+).*" "\\1" package "${row}")
    list(APPEND packages "${package}")
  endforeach()
  list(REMOVE_DUPLICATES packages)
  foreach(package IN LISTS packages)
    set(copyright "/usr/share/doc/${package}/copyright")
    if(EXISTS "${copyright}")
      install(FILES "${copyright}" DESTINATION ${dest} RENAME "${package}.copyright"
              COMPONENT python)
    else()
      message(WARNING "no ${copyright}: the wheel will lack that licence")
    endif()
  endforeach()
  foreach(text IN ITEMS Apache-2.0 GPL-2 GPL-3 LGPL-2.1 LGPL-3)
    if(EXISTS "/usr/share/common-licenses/${text}")
      install(FILES "/usr/share/common-licenses/${text}" DESTINATION ${dest} RENAME "${text}.txt"
              COMPONENT python)
    endif()
  endforeach()
endfunction()
