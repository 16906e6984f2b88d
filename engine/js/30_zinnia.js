// The Zinnia global: wallet, station, activity, jobs, versions, inspect.
(function (globalThis, host) {
  "use strict";
  const str = (v) => (typeof v === "string" ? v : String(v));
  const activity = Object.freeze({
    info(message) { host.activityInfo(str(message)); },
    error(message) { host.activityError(str(message)); },
  });
  const Zinnia = {
    walletAddress: host.walletAddress,
    stationId: host.stationId,
    activity,
    jobCompleted() { host.jobCompleted(); },
    versions: Object.freeze({ zinnia: host.zinniaVersion, v8: host.v8Version }),
    inspect: (value, options) => host.inspectValue(value, options),
  };
  host.define("Zinnia", Object.freeze(Zinnia));
});
