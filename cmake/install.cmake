# What `cmake --install` puts under the prefix:
#
#   include/zmsg/zmsg.h            the header, version written in
#   lib/libzmsg.so.X.Y.Z           shared library, SONAME libzmsg.so.X,
#   lib/libzmsg.so.X, libzmsg.so   symbols versioned by src/zmsg.map
#   lib/libzmsg.a                  static library
#   lib/pkgconfig/zmsg.pc          pkg-config --cflags --libs zmsg
#   lib/cmake/zmsg/                find_package(zmsg): zmsg::zmsg (shared)
#                                  and zmsg::zmsg_static
#   bin/zmsg-cat                   the command-line tool (ZMSG_BUILD_TOOLS)
#
# The header goes in a directory of its own because CZMQ installs a zmsg.h
# of its own in <prefix>/include; the pkg-config file and the CMake targets
# add <prefix>/include/zmsg, so that #include <zmsg.h> finds ours. Both the
# pkg-config file and the CMake package are relocatable: they find the
# prefix from where they are, so `cmake --install --prefix DIR` works.

include(CMakePackageConfigHelpers)

set(ZMSG_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/zmsg)
set(ZMSG_GENERATED_DIR ${PROJECT_BINARY_DIR}/generated)

# The installed header: written now, so that it exists whatever gets
# built, and again whenever include/zmsg.h changes.
set(ZMSG_INSTALLED_HEADER ${ZMSG_GENERATED_DIR}/include/zmsg.h)
set(ZMSG_INSTALL_HEADER_COMMAND ${CMAKE_COMMAND}
  -DIN=${PROJECT_SOURCE_DIR}/include/zmsg.h
  -DOUT=${ZMSG_INSTALLED_HEADER}
  -DMAJOR=${PROJECT_VERSION_MAJOR}
  -DMINOR=${PROJECT_VERSION_MINOR}
  -DPATCH=${PROJECT_VERSION_PATCH}
  -P ${PROJECT_SOURCE_DIR}/cmake/install_header.cmake)
execute_process(COMMAND ${ZMSG_INSTALL_HEADER_COMMAND}
  RESULT_VARIABLE ZMSG_INSTALL_HEADER_RESULT)
if(NOT ZMSG_INSTALL_HEADER_RESULT EQUAL 0)
  message(FATAL_ERROR "could not write ${ZMSG_INSTALLED_HEADER}")
endif()
add_custom_command(OUTPUT ${ZMSG_INSTALLED_HEADER}
  COMMAND ${ZMSG_INSTALL_HEADER_COMMAND}
  DEPENDS ${PROJECT_SOURCE_DIR}/include/zmsg.h
    ${PROJECT_SOURCE_DIR}/cmake/install_header.cmake
  COMMENT "Generating the installed zmsg.h"
  VERBATIM)
add_custom_target(zmsg_installed_header ALL DEPENDS ${ZMSG_INSTALLED_HEADER})

install(TARGETS zmsg zmsg_static EXPORT zmsgTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${ZMSG_INSTALLED_HEADER}
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/zmsg)

# --- CMake package -----------------------------------------------------
install(EXPORT zmsgTargets NAMESPACE zmsg:: FILE zmsgTargets.cmake
  DESTINATION ${ZMSG_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/zmsgConfig.cmake.in
  ${ZMSG_GENERATED_DIR}/zmsgConfig.cmake
  INSTALL_DESTINATION ${ZMSG_CMAKE_DIR})
# Before 1.0 a minor release may change the API, so only the same minor
# is compatible; from 1.0 on, the same major.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(ZMSG_COMPATIBILITY SameMinorVersion)
else()
  set(ZMSG_COMPATIBILITY SameMajorVersion)
endif()
write_basic_package_version_file(${ZMSG_GENERATED_DIR}/zmsgConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${ZMSG_COMPATIBILITY})
install(FILES ${ZMSG_GENERATED_DIR}/zmsgConfig.cmake
  ${ZMSG_GENERATED_DIR}/zmsgConfigVersion.cmake
  DESTINATION ${ZMSG_CMAKE_DIR})

# --- pkg-config ----------------------------------------------------------
# The prefix is found from the .pc file's own directory (${pcfiledir})
# when the install directories are relative to it, as they normally are.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(ZMSG_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(ZMSG_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH ZMSG_PC_UP "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig"
    "/prefix")
  string(REGEX REPLACE "/$" "" ZMSG_PC_UP "${ZMSG_PC_UP}")
  set(ZMSG_PC_PREFIX "\${pcfiledir}/${ZMSG_PC_UP}")
  set(ZMSG_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(ZMSG_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(ZMSG_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/zmsg.pc.in
  ${ZMSG_GENERATED_DIR}/zmsg.pc @ONLY)
install(FILES ${ZMSG_GENERATED_DIR}/zmsg.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
