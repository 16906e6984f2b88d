# Finds V8 as shipped by Debian's libnode (V8 10.2, libnode.so.108).
#
# Looks in V8_ROOT, then the project-local prefix that scripts/setup unpacks into
# (.deps/libnode/usr), then the system (a system-installed libnode-dev).
# Checks that the headers belong to the library: /usr/include/node may hold another
# Node's headers with no library behind them, and mixing them fails only at run time.
#
# Defines the imported target V8::V8 and V8_VERSION.

set(_v8_hints ${V8_ROOT} "${PROJECT_SOURCE_DIR}/.deps/libnode/usr")

find_library(V8_LIBRARY NAMES node.108 libnode.so.108 node
  HINTS ${_v8_hints} PATH_SUFFIXES lib/x86_64-linux-gnu lib)
if(V8_LIBRARY)
  # Prefer the headers installed with the library that was found.
  get_filename_component(_v8_libdir "${V8_LIBRARY}" DIRECTORY)
  get_filename_component(_v8_prefix "${_v8_libdir}/../.." ABSOLUTE)
  if(_v8_libdir MATCHES "/lib$")
    get_filename_component(_v8_prefix "${_v8_libdir}/.." ABSOLUTE)
  endif()
endif()
find_path(V8_INCLUDE_DIR NAMES v8-version.h
  HINTS ${_v8_prefix} ${_v8_hints} PATH_SUFFIXES include/node NO_DEFAULT_PATH)
find_path(V8_INCLUDE_DIR NAMES v8-version.h PATH_SUFFIXES node)

if(V8_INCLUDE_DIR)
  file(STRINGS "${V8_INCLUDE_DIR}/v8-version.h" _v8_defs REGEX "#define V8_(MAJOR|MINOR)_VERSION")
  string(REGEX REPLACE ".*V8_MAJOR_VERSION ([0-9]+).*" "\\1" V8_HEADER_MAJOR "${_v8_defs}")
  string(REGEX REPLACE ".*V8_MINOR_VERSION ([0-9]+).*" "\\1" V8_HEADER_MINOR "${_v8_defs}")
endif()

if(NOT V8_LIBRARY)
  message(FATAL_ERROR
    "V8: no libnode library found (looked in ${_v8_hints} and the system). "
    "The headers at '${V8_INCLUDE_DIR}' (V8 ${V8_HEADER_MAJOR}.${V8_HEADER_MINOR}) have no "
    "library behind them. Run scripts/setup, or pass -DV8_ROOT=<prefix with lib/ and include/node>.")
endif()
if(NOT V8_INCLUDE_DIR)
  message(FATAL_ERROR "V8: found ${V8_LIBRARY} but no v8-version.h beside it; run scripts/setup.")
endif()

# Compile and run a probe against exactly these headers and this library.
set(_v8_probe_dir "${CMAKE_BINARY_DIR}/CMakeFiles/v8probe")
file(WRITE "${_v8_probe_dir}/probe.cc" "
#include <v8-version.h>
#include <v8-initialization.h>
#include <cstdio>
#include <cstdlib>
int main() {
  const char* v = v8::V8::GetVersion();
  std::printf(\"headers=%d.%d library=%s\", V8_MAJOR_VERSION, V8_MINOR_VERSION, v);
  return std::atoi(v) == V8_MAJOR_VERSION ? 0 : 3;
}
")
try_run(_v8_run _v8_compiled "${_v8_probe_dir}/build" "${_v8_probe_dir}/probe.cc"
  CMAKE_FLAGS "-DINCLUDE_DIRECTORIES=${V8_INCLUDE_DIR}"
  LINK_LIBRARIES "${V8_LIBRARY}" "-Wl,-rpath,${_v8_libdir}"
  CXX_STANDARD 20
  COMPILE_OUTPUT_VARIABLE _v8_compile_out
  RUN_OUTPUT_VARIABLE _v8_run_out)
if(NOT _v8_compiled)
  message(FATAL_ERROR
    "V8: headers '${V8_INCLUDE_DIR}' (V8 ${V8_HEADER_MAJOR}.${V8_HEADER_MINOR}) do not link "
    "against '${V8_LIBRARY}'. They belong to another build of V8.\n${_v8_compile_out}")
endif()
if(NOT _v8_run EQUAL 0)
  message(FATAL_ERROR
    "V8: the headers and the library disagree (${_v8_run_out}): headers '${V8_INCLUDE_DIR}', "
    "library '${V8_LIBRARY}'. /usr/include/node holds Node's own headers with no library; "
    "point V8_ROOT at the libnode prefix (scripts/setup unpacks one into .deps/libnode).")
endif()
string(REGEX REPLACE ".*library=([0-9.]+).*" "\\1" V8_VERSION "${_v8_run_out}")
message(STATUS "V8: ${V8_VERSION} (${V8_LIBRARY}, headers ${V8_INCLUDE_DIR})")

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(V8 REQUIRED_VARS V8_LIBRARY V8_INCLUDE_DIR VERSION_VAR V8_VERSION)

if(NOT TARGET V8::V8)
  add_library(V8::V8 SHARED IMPORTED)
  set_target_properties(V8::V8 PROPERTIES
    IMPORTED_LOCATION "${V8_LIBRARY}"
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${V8_INCLUDE_DIR}"
    INTERFACE_INCLUDE_DIRECTORIES "${V8_INCLUDE_DIR}")
  # No V8_COMPRESS_POINTERS / sandbox macros: Debian's libnode is built without them.
endif()
set(V8_LIBRARY_DIR "${_v8_libdir}")
