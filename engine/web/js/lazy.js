// internals.lazyGlobals(names, load): globals that run `load()` (once) on first access, so the large
// libraries behind them (js/streams.js, js/urlpattern.js) cost nothing at startup for a module
// that never uses them. Assigning one first simply replaces it, as with any global.
(globalThis, host, internals) => {
  "use strict";
  internals.lazyGlobals = (names, load) => {
    let lib = null;
    const getters = new Map();
    const settle = (name, value) =>
      Object.defineProperty(globalThis, name, {
        value,
        writable: true,
        configurable: true,
        enumerable: false,
      });
    const get = () => {
      if (lib === null) {
        lib = load();
        for (const n of names) {
          // Only the ones still lazy: user code may have replaced some meanwhile.
          if (Object.getOwnPropertyDescriptor(globalThis, n)?.get === getters.get(n))
            settle(n, lib[n]);
        }
      }
      return lib;
    };
    for (const name of names) {
      const getter = {
        [name]() {
          return get()[name];
        },
      }[name];
      getters.set(name, getter);
      Object.defineProperty(globalThis, name, {
        get: getter,
        set(value) {
          settle(name, value);
        },
        configurable: true,
        enumerable: false,
      });
    }
    return get;
  };
};
