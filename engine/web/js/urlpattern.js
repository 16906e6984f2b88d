// URLPattern (URL Pattern Standard): urlpattern-polyfill (embedded before this file, see
// engine/web/CMakeLists.txt) provides the class, run on first use of the global.
(globalThis, host, internals) => {
  "use strict";
  const load = internals.urlPattern;
  internals.lazyGlobals(["URLPattern"], () => {
    const { URLPattern } = load();
    if (typeof URLPattern !== "function")
      throw new Error("urlpattern: urlpattern-polyfill has no URLPattern");
    return { URLPattern };
  });
};
