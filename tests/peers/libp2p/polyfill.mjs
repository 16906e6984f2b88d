// Node 20 lacks Promise.withResolvers (Node 22+), which js-libp2p 2.x's dependencies
// (it-queue) use; imported first by peer.mjs.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function () {
    let resolve, reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
