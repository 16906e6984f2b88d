# Included by wrap.cmake for urlpattern-polyfill (KEY urlPattern), with the library's text in
# `text`. Three places where the pinned 10.1.0 differs from the URL Pattern Standard, each
# replaced exactly once, so that a new version with other code fails the build here instead of
# silently losing the fix:
# - hostnames and ports are canonicalized by the URL parser with a state override (js/url.js,
#   internals.urlPatternCanonicalize), which strips tabs and newlines and stops at the first
#   character that ends the component ("bad#host" is "bad", "80 " is 80); the polyfill threw;
# - a ":name" may hold characters outside the BMP (the tokenizer read one UTF-16 unit at a time).
function(zinnia_patch old new)
  string(FIND "${text}" "${old}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "urlpattern-polyfill: patch target not found (new version?): ${old}")
  endif()
  string(REPLACE "${old}" "${new}" patched "${text}")
  set(text "${patched}" PARENT_SCOPE)
endfunction()

zinnia_patch([=[function G(e){]=]
  [=[function G(e){return internals.urlPatternCanonicalize.hostname(e);]=])
zinnia_patch([=[function Y(e){]=]
  [=[function Y(e){return internals.urlPatternCanonicalize.port(e);]=])
zinnia_patch([=[let i=e.substr(s,1);if(s===n+1&&ye.test(i)||s!==n+1&&we.test(i)){f+=e[s++];continue}break}]=]
  [=[let i=String.fromCodePoint(e.codePointAt(s));if(s===n+1&&ye.test(i)||s!==n+1&&we.test(i)){f+=i,s+=i.length;continue}break}]=])
