// URLPattern (URL Pattern Standard): urlpattern-polyfill (embedded before this file, see
// engine/web/CMakeLists.txt) provides the class; this file makes it a global.
((globalThis, host) => {
  'use strict';
  const { URLPattern } = host.urlPattern;
  delete host.urlPattern;
  if (typeof URLPattern !== 'function') throw new Error('urlpattern: urlpattern-polyfill has no URLPattern');
  Object.defineProperty(globalThis, 'URLPattern', { value: URLPattern, writable: true, configurable: true, enumerable: false });
});
