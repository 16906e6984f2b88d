// The Zinnia global: wallet, station, activity, jobs, versions, inspect.
(function (globalThis, host, internals) {
  "use strict";
  // Per module (wallet, station): made at module start, after every bootstrap file
  // (internals.moduleStart; a startup snapshot holds what runs before it).
  // Parenthesized: compiled with this file, so its bytecode is in the startup snapshot.
  // prettier-ignore
  internals.moduleStart.push((function () {
    const str = (v) => (typeof v === "string" ? v : String(v));
    const activity = Object.freeze({
      info(message) {
        host.activityInfo(str(message));
      },
      error(message) {
        host.activityError(str(message));
      },
    });
    const Zinnia = {
      walletAddress: host.walletAddress,
      stationId: host.stationId,
      activity,
      jobCompleted() {
        host.jobCompleted();
      },
      versions: Object.freeze({ zinnia: host.zinniaVersion, v8: host.v8Version }),
      inspect: (value, options) => host.inspectValue(value, options),
    };
    // libp2p (engine/p2p/js/p2p.js, when built in): peerId and requestProtocol.
    if (internals.p2p) {
      Object.defineProperty(Zinnia, "peerId", { get: internals.p2p.peerId, enumerable: true });
      Zinnia.requestProtocol = internals.p2p.requestProtocol;
    }
    host.define("Zinnia", Object.freeze(Zinnia));
  }));
});
