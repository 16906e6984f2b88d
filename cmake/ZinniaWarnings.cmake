# zinnia_warnings(target): the project's warning set, applied to our own targets only.
function(zinnia_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual
    -Wformat=2 -Wimplicit-fallthrough)
  if(ZINNIA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
