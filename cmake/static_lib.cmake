# libptsim.a, included from lib/CMakeLists.txt once ptsim_objects exists.
#
# The archive holds one relocatable object (ld -r of the library's objects,
# and of libjemalloc_pic.a when PTSIM_MALLOC=jemalloc) in which objcopy
# makes every symbol but the ptsim_* API local. So the library's internal
# names, which follow the kernel's (find_vma, down_write, handle_mm_fault),
# cannot collide with a program's, and the embedded jemalloc neither
# replaces the program's malloc nor asks it to link jemalloc.
set(_ptsim_static_o ${CMAKE_CURRENT_BINARY_DIR}/libptsim_static.o)
set(PTSIM_STATIC_PRIVATE_LIBS "")

if(PTSIM_MALLOC STREQUAL "jemalloc")
  add_library(ptsim_memalloc_jemalloc OBJECT ${CMAKE_CURRENT_SOURCE_DIR}/memalloc_jemalloc.c)
  target_include_directories(ptsim_memalloc_jemalloc PRIVATE
    ${PROJECT_SOURCE_DIR}/include ${PROJECT_BINARY_DIR}/include ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_options(ptsim_memalloc_jemalloc PRIVATE ${PTSIM_LIB_COPTS})
  target_link_libraries(ptsim_memalloc_jemalloc PRIVATE PkgConfig::JEMALLOC)
  find_library(PTSIM_JEMALLOC_PIC NAMES jemalloc_pic HINTS ${JEMALLOC_LIBRARY_DIRS} ${JEMALLOC_LIBDIR})
  if(NOT PTSIM_JEMALLOC_PIC)
    message(FATAL_ERROR "libjemalloc_pic.a not found (Debian: libjemalloc-dev); or configure with -DPTSIM_MALLOC=libc")
  endif()
  set(_ptsim_static_inputs
    "$<FILTER:$<TARGET_OBJECTS:ptsim_objects>,EXCLUDE,memalloc_libc>"
    "$<TARGET_OBJECTS:ptsim_memalloc_jemalloc>" ${PTSIM_JEMALLOC_PIC})
  # What jemalloc itself needs from the system (its Libs.private).
  set(PTSIM_STATIC_PRIVATE_LIBS -lm -ldl)
  set(_ptsim_static_deps ptsim_objects ptsim_memalloc_jemalloc)
else()
  set(_ptsim_static_inputs "$<TARGET_OBJECTS:ptsim_objects>")
  set(_ptsim_static_deps ptsim_objects)
endif()

add_custom_command(OUTPUT ${_ptsim_static_o}
  COMMAND ${CMAKE_LINKER} -r -o ${_ptsim_static_o}.all ${_ptsim_static_inputs}
  COMMAND ${CMAKE_OBJCOPY} --localize-hidden -w --keep-global-symbol=ptsim_*
          ${_ptsim_static_o}.all ${_ptsim_static_o}
  DEPENDS ${_ptsim_static_deps} ${_ptsim_static_inputs}
  COMMENT "libptsim.a: one object, only ptsim_* global"
  COMMAND_EXPAND_LISTS VERBATIM)
set_source_files_properties(${_ptsim_static_o} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)

add_library(ptsim_static STATIC ${_ptsim_static_o})
set_target_properties(ptsim_static PROPERTIES OUTPUT_NAME ptsim LINKER_LANGUAGE C)
target_include_directories(ptsim_static INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
target_link_libraries(ptsim_static INTERFACE PkgConfig::URCU Threads::Threads ${PTSIM_STATIC_PRIVATE_LIBS})
add_library(ptsim::ptsim_static ALIAS ptsim_static)
# For tests/link and the .pc files, configured from the top-level directory.
set(PTSIM_STATIC_PRIVATE_LIBS "${PTSIM_STATIC_PRIVATE_LIBS}" PARENT_SCOPE)
