# Writes the zmsg.h that gets installed: include/zmsg.h with the version
# check replaced by the version itself, so that the installed header needs
# no compile definitions. Run at build time:
#
#   cmake -DIN=include/zmsg.h -DOUT=<file> -DMAJOR=.. -DMINOR=.. -DPATCH=..
#         -P install_header.cmake
#
# The output is only rewritten when its content changes.

foreach(var IN ITEMS IN OUT MAJOR MINOR PATCH)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install_header.cmake: -D${var}=... is missing")
  endif()
endforeach()

file(READ "${IN}" header)
set(check_begin "#if !defined(ZMSG_VERSION_MAJOR)")
string(FIND "${header}" "${check_begin}" begin)
if(begin LESS 0)
  message(FATAL_ERROR "${IN}: no line starting '${check_begin}' (the "
    "version check that the installed header replaces)")
endif()
string(SUBSTRING "${header}" ${begin} -1 rest)
string(FIND "${rest}" "#endif\n" length)
if(length LESS 0)
  message(FATAL_ERROR "${IN}: the version check has no #endif")
endif()
string(LENGTH "#endif\n" endif_length)
math(EXPR end "${begin} + ${length} + ${endif_length}")
string(SUBSTRING "${header}" 0 ${begin} head)
string(SUBSTRING "${header}" ${end} -1 tail)
set(installed "${head}#define ZMSG_VERSION_MAJOR ${MAJOR}
#define ZMSG_VERSION_MINOR ${MINOR}
#define ZMSG_VERSION_PATCH ${PATCH}
${tail}")

set(current "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" current)
endif()
if(NOT current STREQUAL installed)
  file(WRITE "${OUT}" "${installed}")
endif()
