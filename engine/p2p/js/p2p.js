// Zinnia.peerId and Zinnia.requestProtocol (docs/libp2p.md), handed to 30_zinnia.js through
// internals: the Zinnia object is made and frozen there.
(globalThis, host, internals) => {
  "use strict";
  const typeName = (v) => v?.constructor?.name ?? typeof v;

  // Resolves with an async iterable of the response's chunks once the whole response is in
  // (at most 10 MiB), as real Zinnia does; rejects with an Error naming the address and cause.
  async function requestProtocol(remoteAddress, protocolName, requestPayload, options) {
    if (typeof remoteAddress !== "string")
      throw new TypeError(`remoteAddress must be string (found: ${typeof remoteAddress})`);
    if (typeof protocolName !== "string")
      throw new TypeError(`protocolName must be string (found: ${typeof protocolName})`);
    if (requestPayload?.constructor !== Uint8Array)
      throw new TypeError(`requestPayload must be Uint8Array (found: ${typeName(requestPayload)})`);
    const signal = options?.signal;
    signal?.throwIfAborted();
    const chunks = await new Promise((resolve, reject) => {
      let onAbort;
      const id = host.p2pRequest(remoteAddress, protocolName, requestPayload, (error, result) => {
        if (onAbort) signal.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve(result);
      });
      if (signal) {
        onAbort = () => {
          host.p2pCancel(id);
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
      }
    });
    return {
      async *[Symbol.asyncIterator]() {
        for (const chunk of chunks) yield chunk;
      },
    };
  }

  // peerId is a getter, as in real Zinnia: the process's node is made on first use.
  let peerId;
  internals.p2p = {
    peerId: () => (peerId ??= host.p2pPeerId()),
    requestProtocol,
  };
};
