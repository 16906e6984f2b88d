# Where zinniad and zinnia find their libraries, and how they install (docs/release.md).
#
# Both binaries carry RUNPATH $ORIGIN/lib, in every build, and nothing else: the same file runs
#   - in the build tree: build/bin/lib/libnode.so.108 links to the libnode that was found;
#   - from the release tarball, wherever it is unpacked: zinniad at the top, lib/ beside it
#     (scripts/release copies the libraries in);
#   - installed (cmake --install, the Debian package): <prefix>/lib/zinnia/{zinniad,zinnia}
#     with libnode in <prefix>/lib/zinnia/lib/, and <prefix>/bin/zinniad and zinnia as
#     relative symlinks to them (the loader takes $ORIGIN from /proc/self/exe, the target).
# Nothing is rewritten at install time, so what the tests ran is what ships.

set(ZINNIA_INSTALL_PKGDIR "lib/zinnia" CACHE STRING
  "Installed binaries and their private libraries, relative to the prefix (bin/ links here)")
set(ZINNIA_LIBNODE_SONAME libnode.so.108)

set_target_properties(zinniad zinnia PROPERTIES
  BUILD_WITH_INSTALL_RPATH ON
  INSTALL_RPATH "$ORIGIN/lib")

# A libnode that the system's loader finds by itself (a distribution's libnode108) needs no
# link and no private copy; the project-local one from scripts/setup (.deps) needs both.
get_filename_component(_libnode_real "${V8_LIBRARY}" REALPATH)
get_filename_component(_libnode_dir "${_libnode_real}" DIRECTORY)
if(_libnode_dir MATCHES "^(/usr)?/lib(/x86_64-linux-gnu|/aarch64-linux-gnu)?$")
  set(ZINNIA_PRIVATE_LIBNODE OFF)
else()
  set(ZINNIA_PRIVATE_LIBNODE ON)
  file(MAKE_DIRECTORY "${CMAKE_RUNTIME_OUTPUT_DIRECTORY}/lib")
  file(CREATE_LINK "${V8_LIBRARY}" "${CMAKE_RUNTIME_OUTPUT_DIRECTORY}/lib/${ZINNIA_LIBNODE_SONAME}"
    SYMBOLIC)
endif()

install(TARGETS zinniad zinnia RUNTIME DESTINATION "${ZINNIA_INSTALL_PKGDIR}" COMPONENT zinnia)
if(ZINNIA_PRIVATE_LIBNODE)
  install(FILES "${_libnode_real}" DESTINATION "${ZINNIA_INSTALL_PKGDIR}/lib"
    RENAME "${ZINNIA_LIBNODE_SONAME}" COMPONENT zinnia)
endif()
file(MAKE_DIRECTORY "${PROJECT_BINARY_DIR}/install-links")
file(RELATIVE_PATH _bin_to_pkg "/${CMAKE_INSTALL_BINDIR}" "/${ZINNIA_INSTALL_PKGDIR}")
foreach(_exe zinniad zinnia)
  file(CREATE_LINK "${_bin_to_pkg}/${_exe}" "${PROJECT_BINARY_DIR}/install-links/${_exe}" SYMBOLIC)
  install(FILES "${PROJECT_BINARY_DIR}/install-links/${_exe}" DESTINATION "${CMAKE_INSTALL_BINDIR}"
    COMPONENT zinnia)
endforeach()

# Man pages, generated from docs/daemon.md (packaging/md2man.py; docs/release.md says why not
# help2man). Python is already needed by the tests.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  set(_man "${PROJECT_BINARY_DIR}/man")
  # Compressed as Debian policy asks (gzip -n: no name or time, reproducible).
  add_custom_command(
    OUTPUT "${_man}/zinniad.1" "${_man}/zinnia.1" "${_man}/zinniad.1.gz" "${_man}/zinnia.1.gz"
    COMMAND "${Python3_EXECUTABLE}" "${PROJECT_SOURCE_DIR}/packaging/md2man.py"
      --version "${PROJECT_VERSION}" "${PROJECT_SOURCE_DIR}/docs/daemon.md" "${_man}"
    COMMAND gzip -9 -n -k -f "${_man}/zinniad.1" "${_man}/zinnia.1"
    DEPENDS "${PROJECT_SOURCE_DIR}/packaging/md2man.py" "${PROJECT_SOURCE_DIR}/docs/daemon.md"
    COMMENT "Generating man pages from docs/daemon.md" VERBATIM)
  add_custom_target(zinnia_man ALL DEPENDS "${_man}/zinniad.1.gz" "${_man}/zinnia.1.gz")
  install(FILES "${_man}/zinniad.1.gz" "${_man}/zinnia.1.gz"
    DESTINATION "${CMAKE_INSTALL_MANDIR}/man1" COMPONENT zinnia)
else()
  message(WARNING "No Python 3: the man pages are not generated (the Debian package needs them)")
endif()

# The systemd unit, pointing at the installed zinniad: written at install time, so that the
# prefix is the one installed to (cpack's /usr, whatever the build was configured with).
install(CODE "
  set(ZINNIA_INSTALLED_ZINNIAD \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/zinniad\")
  configure_file(\"${PROJECT_SOURCE_DIR}/packaging/zinniad.service.in\"
    \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/zinniad.service\" @ONLY)
  message(STATUS \"Installing: \$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/lib/systemd/system/zinniad.service\")
  " COMPONENT zinnia)
install(DIRECTORY "${PROJECT_SOURCE_DIR}/examples/station"
  DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples" COMPONENT zinnia)
install(FILES "${PROJECT_SOURCE_DIR}/README.md" "${PROJECT_SOURCE_DIR}/docs/release.md"
  DESTINATION "${CMAKE_INSTALL_DOCDIR}" COMPONENT zinnia)

# The Debian package (cpack -G DEB; scripts/release). Depends come from dpkg-shlibdeps over
# the binaries and the private libnode, which is why libnode's own needs (ICU, c-ares,
# nghttp2, brotli, ...) appear there although nothing of ours links them directly.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME zinnia)
set(CPACK_PACKAGE_VENDOR "zinnia")
set(CPACK_PACKAGE_CONTACT "zinnia maintainers <zinnia@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Filecoin Station module runtime (zinniad) with a live monitor tree")
set(CPACK_PACKAGE_DESCRIPTION
  "zinniad runs Filecoin Station modules, each in its own V8 isolate on its own thread, \
restarts them when they crash, and shows their logs and status in a live FUSE tree. \
zinnia runs one module for its developer. V8 comes from Debian's libnode108, shipped \
privately in /usr/lib/zinnia/lib so that the package does not conflict with a nodejs package.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${CMAKE_RUNTIME_OUTPUT_DIRECTORY}/lib")
# fusermount3 for the monitor tree; the rest is what dpkg-shlibdeps finds.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fuse3")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
include(CPack)
