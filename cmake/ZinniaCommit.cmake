# Writes ${OUT} with the commit the sources are built from, at build time (a new commit or a
# newly dirty tree changes it without a re-configure). Rewrites the file only when the commit
# changed, so an unchanged tree rebuilds nothing.
#   cmake -DSOURCE_DIR=... -DOUT=... [-DCOMMIT=<override>] -P ZinniaCommit.cmake
if(NOT COMMIT)
  set(COMMIT "unknown")
  find_program(GIT git)
  if(GIT AND EXISTS "${SOURCE_DIR}/.git")
    execute_process(COMMAND "${GIT}" -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
      OUTPUT_VARIABLE _head OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc ERROR_QUIET)
    if(_rc EQUAL 0 AND _head)
      set(COMMIT "${_head}")
      # Tracked files only: build dirs and caches inside the checkout do not make it dirty.
      execute_process(COMMAND "${GIT}" -C "${SOURCE_DIR}" diff --quiet HEAD --
        RESULT_VARIABLE _dirty ERROR_QUIET)
      if(NOT _dirty EQUAL 0)
        string(APPEND COMMIT "-dirty")
      endif()
    endif()
  endif()
endif()
set(_text "#pragma once\n// Generated at build time by cmake/ZinniaCommit.cmake.\n#define ZINNIA_COMMIT \"${COMMIT}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" _old)
endif()
if(NOT "${_old}" STREQUAL "${_text}")
  file(WRITE "${OUT}" "${_text}")
endif()
