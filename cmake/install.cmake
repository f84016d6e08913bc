# Install rules: the public header, libptsim.so (SONAME libptsim.so.MAJOR) and
# libptsim.a, ptsim.pc and ptsim-static.pc for pkg-config, a CMake package (find_package(ptsim)
# gives ptsim::ptsim and ptsim::ptsim_static), and ptsim-replay's RPATH.
# Included by the top-level CMakeLists.txt after every target is defined.
include(CMakePackageConfigHelpers)

set(PTSIM_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ptsim
    CACHE STRING "Where ptsimConfig.cmake is installed, relative to the prefix")

install(FILES ${PROJECT_SOURCE_DIR}/include/ptsim/ptsim.h
              ${PROJECT_BINARY_DIR}/include/ptsim/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/ptsim)

# The static library links liburcu-memb and pthread (PkgConfig::URCU,
# Threads::Threads; jemalloc, if any, is inside it); ptsimConfig.cmake
# recreates those targets in the consumer.
install(TARGETS ptsim ptsim_static
        EXPORT ptsimTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(EXPORT ptsimTargets
        NAMESPACE ptsim::
        FILE ptsimTargets.cmake
        DESTINATION ${PTSIM_CMAKE_INSTALL_DIR})

configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/ptsimConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/ptsimConfig.cmake
  INSTALL_DESTINATION ${PTSIM_CMAKE_INSTALL_DIR})
# Same major version = same SONAME = compatible.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/ptsimConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/ptsimConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/ptsimConfigVersion.cmake
        DESTINATION ${PTSIM_CMAKE_INSTALL_DIR})

# ptsim.pc: configured now for everything but the prefix, which is only known
# at install time (`cmake --install build --prefix DIR`), then finished there.
foreach(_ptsim_dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_ptsim_dir}}")
    set(PTSIM_PC_${_ptsim_dir} "${CMAKE_INSTALL_${_ptsim_dir}}")
  else()
    set(PTSIM_PC_${_ptsim_dir} "\${prefix}/${CMAKE_INSTALL_${_ptsim_dir}}")
  endif()
endforeach()
set(PTSIM_PC_PREFIX "@PTSIM_INSTALL_PREFIX@")
string(JOIN " " PTSIM_STATIC_PRIVATE_LIBS_STR ${PTSIM_STATIC_PRIVATE_LIBS})
# ptsim.pc: the shared library; ptsim-static.pc: libptsim.a and its dependencies.
foreach(_ptsim_pc ptsim ptsim-static)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${_ptsim_pc}.pc.in ${PROJECT_BINARY_DIR}/${_ptsim_pc}.pc.noprefix @ONLY)
  install(CODE "
    set(PTSIM_INSTALL_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
    configure_file(\"${PROJECT_BINARY_DIR}/${_ptsim_pc}.pc.noprefix\" \"${PROJECT_BINARY_DIR}/${_ptsim_pc}.pc\" @ONLY)
  ")
  install(FILES ${PROJECT_BINARY_DIR}/${_ptsim_pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

# ptsim-replay (installed by tools/CMakeLists.txt) finds the installed
# libptsim.so relative to its own bin/ directory, wherever the prefix is.
if(TARGET ptsim-replay)
  file(RELATIVE_PATH _ptsim_bin_to_lib "${CMAKE_INSTALL_FULL_BINDIR}" "${CMAKE_INSTALL_FULL_LIBDIR}")
  set_target_properties(ptsim-replay PROPERTIES INSTALL_RPATH "\$ORIGIN/${_ptsim_bin_to_lib}")
endif()
