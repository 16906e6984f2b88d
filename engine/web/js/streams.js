// WHATWG Streams: ReadableStream (default controller and reader; `type: 'bytes'` is accepted
// and served through the default controller), WritableStream, TransformStream, the queuing
// strategies. Follows the spec's abstract operations, condensed.
((globalThis, host, internals) => {
  'use strict';
  const define = (name, value) =>
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  const tag = (C, name) => Object.defineProperty(C.prototype, Symbol.toStringTag, { value: name, configurable: true });

  const noop = () => {};
  const resolved = (v) => Promise.resolve(v);
  const rejected = (e) => Promise.reject(e);
  function deferred() {
    const d = {};
    d.promise = new Promise((res, rej) => { d.resolve = res; d.reject = rej; });
    return d;
  }
  const markHandled = (p) => { p.catch(noop); return p; };
  function promiseCall(fn, thisArg, ...args) {
    if (fn === undefined) return resolved(undefined);
    try { return resolved(fn.apply(thisArg, args)); } catch (e) { return rejected(e); }
  }
  function getMethod(obj, name) {
    const m = obj?.[name];
    if (m === undefined || m === null) return undefined;
    if (typeof m !== 'function') throw new TypeError(`${name} is not a function`);
    return m;
  }
  function extractHWM(strategy, def) {
    const hwm = strategy?.highWaterMark;
    if (hwm === undefined) return def;
    const n = Number(hwm);
    if (Number.isNaN(n) || n < 0) throw new RangeError('highWaterMark must be a non-negative number');
    return n;
  }
  function extractSize(strategy) {
    const size = strategy?.size;
    if (size === undefined) return () => 1;
    if (typeof size !== 'function') throw new TypeError('size must be a function');
    return (chunk) => size(chunk);
  }

  // ---- queue with sizes ----
  function enqueueValueWithSize(c, value, size) {
    size = Number(size);
    if (!(size >= 0) || size === Infinity) throw new RangeError('size must be a finite, non-negative number');
    c._queue.push({ value, size });
    c._queueTotalSize += size;
  }
  function dequeueValue(c) {
    const pair = c._queue.shift();
    c._queueTotalSize -= pair.size;
    if (c._queueTotalSize < 0) c._queueTotalSize = 0;
    return pair.value;
  }
  function resetQueue(c) { c._queue = []; c._queueTotalSize = 0; }

  // ====================== ReadableStream ======================
  const kInternal = Symbol('internal');

  class ReadableStreamDefaultController {
    constructor(t) { if (t !== kInternal) throw new TypeError('Illegal constructor'); }
    get desiredSize() { return rsControllerDesiredSize(this); }
    close() {
      if (!rsControllerCanClose(this)) throw new TypeError('The stream is not in a state that permits close');
      rsControllerClose(this);
    }
    enqueue(chunk) {
      if (!rsControllerCanClose(this)) throw new TypeError('The stream is not in a state that permits enqueue');
      rsControllerEnqueue(this, chunk);
    }
    error(e) { rsControllerError(this, e); }
    // Byte-stream controllers have this; a default controller serves `type: 'bytes'` sources.
    get byobRequest() { return null; }
  }
  tag(ReadableStreamDefaultController, 'ReadableStreamDefaultController');

  function rsControllerDesiredSize(c) {
    const state = c._stream._state;
    if (state === 'errored') return null;
    if (state === 'closed') return 0;
    return c._strategyHWM - c._queueTotalSize;
  }
  function rsControllerCanClose(c) {
    return !c._closeRequested && c._stream._state === 'readable';
  }
  function rsControllerShouldPull(c) {
    const stream = c._stream;
    if (!rsControllerCanClose(c) || !c._started) return false;
    if (stream._reader && stream._reader._readRequests.length > 0) return true;
    return rsControllerDesiredSize(c) > 0;
  }
  function rsControllerCallPull(c) {
    if (!rsControllerShouldPull(c)) return;
    if (c._pulling) { c._pullAgain = true; return; }
    c._pulling = true;
    c._pullAlgorithm().then(() => {
      c._pulling = false;
      if (c._pullAgain) { c._pullAgain = false; rsControllerCallPull(c); }
    }, (e) => rsControllerError(c, e));
  }
  function rsControllerClearAlgorithms(c) {
    c._pullAlgorithm = undefined;
    c._cancelAlgorithm = undefined;
    c._strategySize = undefined;
  }
  function rsControllerClose(c) {
    if (!rsControllerCanClose(c)) return;
    c._closeRequested = true;
    if (c._queue.length === 0) {
      rsControllerClearAlgorithms(c);
      rsClose(c._stream);
    }
  }
  function rsControllerEnqueue(c, chunk) {
    if (!rsControllerCanClose(c)) return;
    const stream = c._stream;
    const reader = stream._reader;
    if (reader && reader._readRequests.length > 0) {
      rsFulfillReadRequest(stream, chunk, false);
    } else {
      let size;
      try { size = c._strategySize(chunk); } catch (e) { rsControllerError(c, e); throw e; }
      try { enqueueValueWithSize(c, chunk, size); } catch (e) { rsControllerError(c, e); throw e; }
    }
    rsControllerCallPull(c);
  }
  function rsControllerError(c, e) {
    const stream = c._stream;
    if (stream._state !== 'readable') return;
    resetQueue(c);
    rsControllerClearAlgorithms(c);
    rsError(stream, e);
  }
  function rsControllerPull(c, readRequest) {
    const stream = c._stream;
    if (c._queue.length > 0) {
      const chunk = dequeueValue(c);
      if (c._closeRequested && c._queue.length === 0) {
        rsControllerClearAlgorithms(c);
        rsClose(stream);
      } else rsControllerCallPull(c);
      readRequest.chunk(chunk);
    } else {
      stream._reader._readRequests.push(readRequest);
      rsControllerCallPull(c);
    }
  }

  function setupRSController(stream, c, startAlgorithm, pullAlgorithm, cancelAlgorithm, hwm, sizeAlgorithm) {
    c._stream = stream;
    resetQueue(c);
    c._started = c._closeRequested = c._pullAgain = c._pulling = false;
    c._strategySize = sizeAlgorithm;
    c._strategyHWM = hwm;
    c._pullAlgorithm = pullAlgorithm;
    c._cancelAlgorithm = cancelAlgorithm;
    stream._controller = c;
    let startResult;
    try { startResult = startAlgorithm(); } catch (e) { rsControllerError(c, e); return; }
    resolved(startResult).then(() => {
      c._started = true;
      rsControllerCallPull(c);
    }, (e) => rsControllerError(c, e));
  }

  function initRS(stream) {
    stream._state = 'readable';
    stream._reader = undefined;
    stream._storedError = undefined;
    stream._disturbed = false;
  }
  // CreateReadableStream for internal producers (fetch bodies, tee, transform streams).
  function createReadableStream(startAlgorithm, pullAlgorithm, cancelAlgorithm, hwm = 1, sizeAlgorithm = () => 1) {
    const stream = Object.create(ReadableStream.prototype);
    initRS(stream);
    const c = new ReadableStreamDefaultController(kInternal);
    setupRSController(stream, c, startAlgorithm, () => promiseCall(pullAlgorithm),
      (reason) => promiseCall(cancelAlgorithm, undefined, reason), hwm, sizeAlgorithm);
    return stream;
  }

  function rsClose(stream) {
    stream._state = 'closed';
    const reader = stream._reader;
    if (!reader) return;
    reader._closed.resolve(undefined);
    const requests = reader._readRequests;
    reader._readRequests = [];
    for (const r of requests) r.close();
  }
  function rsError(stream, e) {
    stream._state = 'errored';
    stream._storedError = e;
    const reader = stream._reader;
    if (!reader) return;
    reader._closed.reject(e);
    markHandled(reader._closed.promise);
    const requests = reader._readRequests;
    reader._readRequests = [];
    for (const r of requests) r.error(e);
  }
  function rsFulfillReadRequest(stream, chunk, done) {
    const r = stream._reader._readRequests.shift();
    if (done) r.close();
    else r.chunk(chunk);
  }
  function rsCancel(stream, reason) {
    stream._disturbed = true;
    if (stream._state === 'closed') return resolved(undefined);
    if (stream._state === 'errored') return rejected(stream._storedError);
    rsClose(stream);
    const c = stream._controller;
    resetQueue(c);
    const cancel = c._cancelAlgorithm;
    rsControllerClearAlgorithms(c);
    return (cancel ? cancel(reason) : resolved()).then(() => undefined);
  }
  const isLocked = (stream) => stream._reader !== undefined;

  class ReadableStreamDefaultReader {
    constructor(stream) {
      if (!(stream instanceof ReadableStream)) throw new TypeError('ReadableStreamDefaultReader needs a ReadableStream');
      if (isLocked(stream)) throw new TypeError('ReadableStream is locked');
      this._stream = stream;
      stream._reader = this;
      this._readRequests = [];
      this._closed = deferred();
      if (stream._state === 'closed') this._closed.resolve(undefined);
      else if (stream._state === 'errored') {
        this._closed.reject(stream._storedError);
        markHandled(this._closed.promise);
      }
    }
    get closed() { return this._closed.promise; }
    read() {
      const stream = this._stream;
      if (!stream) return rejected(new TypeError('The reader has been released'));
      const d = deferred();
      readerRead(this, {
        chunk: (value) => d.resolve({ value, done: false }),
        close: () => d.resolve({ value: undefined, done: true }),
        error: (e) => d.reject(e),
      });
      return d.promise;
    }
    releaseLock() {
      const stream = this._stream;
      if (!stream) return;
      const err = new TypeError('The reader was released');
      if (stream._state === 'readable') this._closed.reject(err);
      else this._closed = { promise: Promise.reject(err) };
      markHandled(this._closed.promise);
      const requests = this._readRequests;
      this._readRequests = [];
      for (const r of requests) r.error(err);
      stream._reader = undefined;
      this._stream = undefined;
    }
    cancel(reason) {
      if (!this._stream) return rejected(new TypeError('The reader has been released'));
      return rsCancel(this._stream, reason);
    }
  }
  tag(ReadableStreamDefaultReader, 'ReadableStreamDefaultReader');

  function readerRead(reader, readRequest) {
    const stream = reader._stream;
    stream._disturbed = true;
    if (stream._state === 'closed') readRequest.close();
    else if (stream._state === 'errored') readRequest.error(stream._storedError);
    else rsControllerPull(stream._controller, readRequest);
  }

  const asyncIteratorProto = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}).prototype);
  const RSAsyncIteratorProto = Object.setPrototypeOf({
    next() {
      const it = this;
      if (it._finished) return resolved({ value: undefined, done: true });
      const run = () => {
        if (!it._reader._stream) return rejected(new TypeError('The iterator has been released'));
        const d = deferred();
        readerRead(it._reader, {
          chunk: (value) => d.resolve({ value, done: false }),
          close: () => { it._finished = true; it._reader.releaseLock(); d.resolve({ value: undefined, done: true }); },
          error: (e) => { it._finished = true; it._reader.releaseLock(); d.reject(e); },
        });
        return d.promise;
      };
      it._ongoing = it._ongoing ? it._ongoing.then(run, run) : run();
      return it._ongoing;
    },
    return(value) {
      const it = this;
      const run = () => {
        if (it._finished) return resolved({ value, done: true });
        it._finished = true;
        const reader = it._reader;
        if (!reader._stream) return resolved({ value, done: true });
        if (!it._preventCancel) {
          const p = reader.cancel(value);
          reader.releaseLock();
          return p.then(() => ({ value, done: true }));
        }
        reader.releaseLock();
        return resolved({ value, done: true });
      };
      it._ongoing = it._ongoing ? it._ongoing.then(run, run) : run();
      return it._ongoing;
    },
  }, asyncIteratorProto);

  class ReadableStream {
    constructor(underlyingSource = undefined, strategy = {}) {
      initRS(this);
      const src = underlyingSource ?? {};
      strategy = strategy ?? {};
      const type = src.type === undefined ? undefined : String(src.type);
      if (type !== undefined && type !== 'bytes') throw new TypeError(`Invalid stream type: ${type}`);
      const hwm = extractHWM(strategy, type === 'bytes' ? 0 : 1);
      const size = type === 'bytes' ? (chunk) => chunk.byteLength : extractSize(strategy);
      const start = getMethod(src, 'start');
      const pull = getMethod(src, 'pull');
      const cancel = getMethod(src, 'cancel');
      const c = new ReadableStreamDefaultController(kInternal);
      setupRSController(this, c, () => (start ? start.call(src, c) : undefined),
        () => promiseCall(pull, src, c), (reason) => promiseCall(cancel, src, reason), hwm, size);
    }
    get locked() { return isLocked(this); }
    cancel(reason) {
      if (isLocked(this)) return rejected(new TypeError('Cannot cancel a locked stream'));
      return rsCancel(this, reason);
    }
    getReader(options = {}) {
      const mode = options?.mode;
      if (mode === undefined) return new ReadableStreamDefaultReader(this);
      if (String(mode) === 'byob') throw new TypeError('BYOB readers are not supported');
      throw new TypeError(`Invalid reader mode: ${mode}`);
    }
    pipeThrough(transform, options = {}) {
      const { writable, readable } = transform ?? {};
      if (!(writable instanceof WritableStream) || !(readable instanceof ReadableStream)) {
        throw new TypeError('pipeThrough needs { writable, readable }');
      }
      if (isLocked(this)) throw new TypeError('ReadableStream is locked');
      if (wsIsLocked(writable)) throw new TypeError('WritableStream is locked');
      markHandled(pipeTo(this, writable, options ?? {}));
      return readable;
    }
    pipeTo(destination, options = {}) {
      if (!(destination instanceof WritableStream)) return rejected(new TypeError('pipeTo needs a WritableStream'));
      if (isLocked(this)) return rejected(new TypeError('ReadableStream is locked'));
      if (wsIsLocked(destination)) return rejected(new TypeError('WritableStream is locked'));
      return pipeTo(this, destination, options ?? {});
    }
    tee() { return rsTee(this); }
    values(options = {}) {
      const reader = new ReadableStreamDefaultReader(this);
      const it = Object.create(RSAsyncIteratorProto);
      it._reader = reader;
      it._preventCancel = !!options?.preventCancel;
      it._finished = false;
      it._ongoing = undefined;
      return it;
    }
    [Symbol.asyncIterator](options) { return this.values(options); }
  }
  tag(ReadableStream, 'ReadableStream');
  // ReadableStream.from needs the stream inside its own pull; rewrite it with a closure.
  ReadableStream.from = function from(asyncIterable) {
    if (asyncIterable instanceof ReadableStream) return asyncIterable;
    const method = asyncIterable?.[Symbol.asyncIterator] ?? asyncIterable?.[Symbol.iterator];
    if (typeof method !== 'function') throw new TypeError('ReadableStream.from: argument is not iterable');
    const iterator = method.call(asyncIterable);
    let stream;
    const pull = () => {
      let r;
      try { r = iterator.next(); } catch (e) { return rejected(e); }
      return resolved(r).then((res) => {
        if (typeof res !== 'object' || res === null) throw new TypeError('iterator result is not an object');
        if (res.done) rsControllerClose(stream._controller);
        else return resolved(res.value).then((v) => rsControllerEnqueue(stream._controller, v));
      });
    };
    const cancel = (reason) => {
      const ret = iterator.return;
      if (typeof ret !== 'function') return resolved();
      return promiseCall(ret, iterator, reason).then((r) => {
        if (typeof r !== 'object' || r === null) throw new TypeError('iterator.return() result is not an object');
      });
    };
    stream = createReadableStream(noop, pull, cancel, 0);
    return stream;
  };

  function rsTee(stream) {
    const reader = new ReadableStreamDefaultReader(stream);
    let reading = false, readAgain = false, canceled1 = false, canceled2 = false;
    let reason1, reason2, branch1, branch2;
    const cancelPromise = deferred();
    const pull = () => {
      if (reading) { readAgain = true; return resolved(); }
      reading = true;
      readerRead(reader, {
        chunk: (chunk) => {
          queueMicrotask(() => {
            readAgain = false;
            if (!canceled1) rsControllerEnqueue(branch1._controller, chunk);
            if (!canceled2) rsControllerEnqueue(branch2._controller, chunk);
            reading = false;
            if (readAgain) pull();
          });
        },
        close: () => {
          reading = false;
          if (!canceled1) rsControllerClose(branch1._controller);
          if (!canceled2) rsControllerClose(branch2._controller);
          if (!canceled1 || !canceled2) cancelPromise.resolve(undefined);
        },
        error: () => { reading = false; },
      });
      return resolved();
    };
    const cancel1 = (reason) => {
      canceled1 = true;
      reason1 = reason;
      if (canceled2) cancelPromise.resolve(rsCancel(stream, [reason1, reason2]));
      return cancelPromise.promise;
    };
    const cancel2 = (reason) => {
      canceled2 = true;
      reason2 = reason;
      if (canceled1) cancelPromise.resolve(rsCancel(stream, [reason1, reason2]));
      return cancelPromise.promise;
    };
    branch1 = createReadableStream(noop, pull, cancel1);
    branch2 = createReadableStream(noop, pull, cancel2);
    reader._closed.promise.catch((e) => {
      rsControllerError(branch1._controller, e);
      rsControllerError(branch2._controller, e);
      if (!canceled1 || !canceled2) cancelPromise.resolve(undefined);
    });
    return [branch1, branch2];
  }

  // ---- pipeTo (ReadableStreamPipeTo, condensed) ----
  function pipeTo(source, dest, { preventClose, preventAbort, preventCancel, signal }) {
    preventClose = !!preventClose;
    preventAbort = !!preventAbort;
    preventCancel = !!preventCancel;
    const reader = new ReadableStreamDefaultReader(source);
    const writer = new WritableStreamDefaultWriter(dest);
    source._disturbed = true;
    let shuttingDown = false;
    let currentWrite = resolved();
    const result = deferred();
    let removeAbort = noop;

    const waitForWrites = () => {
      const old = currentWrite;
      return old.then(() => (old !== currentWrite ? waitForWrites() : undefined));
    };
    function finalize(isError, error) {
      writer.releaseLock();
      reader.releaseLock();
      removeAbort();
      if (isError) result.reject(error);
      else result.resolve(undefined);
    }
    function shutdownWithAction(action, originalIsError, originalError) {
      if (shuttingDown) return;
      shuttingDown = true;
      const go = () => action().then(() => finalize(originalIsError, originalError), (e) => finalize(true, e));
      if (dest._state === 'writable' && !wsCloseQueuedOrInFlight(dest)) waitForWrites().then(go);
      else go();
    }
    function shutdown(isError, error) {
      if (shuttingDown) return;
      shuttingDown = true;
      if (dest._state === 'writable' && !wsCloseQueuedOrInFlight(dest)) waitForWrites().then(() => finalize(isError, error));
      else finalize(isError, error);
    }

    if (signal !== undefined) {
      const abortAlgorithm = () => {
        const error = signal.reason;
        const actions = [];
        if (!preventAbort) actions.push(() => (dest._state === 'writable' ? wsAbort(dest, error) : resolved()));
        if (!preventCancel) actions.push(() => (source._state === 'readable' ? rsCancel(source, error) : resolved()));
        shutdownWithAction(() => Promise.all(actions.map((a) => a())), true, error);
      };
      if (signal.aborted) { abortAlgorithm(); return result.promise; }
      const add = internals.addAbortAlgorithm;
      if (add) removeAbort = add(signal, abortAlgorithm);
      else {
        signal.addEventListener('abort', abortAlgorithm, { once: true });
        removeAbort = () => signal.removeEventListener('abort', abortAlgorithm);
      }
    }

    // Errors and closes propagate forward and backward.
    const onSourceErrored = (e) => {
      if (!preventAbort) shutdownWithAction(() => wsAbort(dest, e), true, e);
      else shutdown(true, e);
    };
    const onDestErrored = (e) => {
      if (!preventCancel) shutdownWithAction(() => rsCancel(source, e), true, e);
      else shutdown(true, e);
    };
    const onSourceClosed = () => {
      if (!preventClose) shutdownWithAction(() => writerCloseWithErrorPropagation(writer));
      else shutdown();
    };
    if (source._state === 'errored') onSourceErrored(source._storedError);
    else reader._closed.promise.then(() => { if (!shuttingDown) onSourceClosed(); }, (e) => { if (!shuttingDown) onSourceErrored(e); });
    if (dest._state === 'errored') onDestErrored(dest._storedError);
    else writer._closed.promise.catch((e) => { if (!shuttingDown) onDestErrored(e); });
    if (source._state === 'closed') onSourceClosed();
    if (wsCloseQueuedOrInFlight(dest) || dest._state === 'closed') {
      const err = new TypeError('the destination writable stream closed before all data could be piped to it');
      if (!preventCancel) shutdownWithAction(() => rsCancel(source, err), true, err);
      else shutdown(true, err);
    }

    function step() {
      if (shuttingDown) return;
      writer._ready.promise.then(() => {
        if (shuttingDown) return;
        readerRead(reader, {
          chunk: (chunk) => {
            currentWrite = markHandled(writerWrite(writer, chunk));
            step();
          },
          close: noop,
          error: noop,
        });
      }, noop);
    }
    step();
    return result.promise;
  }

  // ====================== WritableStream ======================
  class WritableStreamDefaultController {
    constructor(t) { if (t !== kInternal) throw new TypeError('Illegal constructor'); }
    get signal() { return this._abortController.signal; }
    error(e) {
      if (this._stream._state !== 'writable') return;
      wsControllerError(this, e);
    }
  }
  tag(WritableStreamDefaultController, 'WritableStreamDefaultController');
  const CLOSE_SENTINEL = Symbol('close');

  function initWS(stream) {
    stream._state = 'writable';
    stream._storedError = undefined;
    stream._writer = undefined;
    stream._controller = undefined;
    stream._inFlightWriteRequest = undefined;
    stream._closeRequest = undefined;
    stream._inFlightCloseRequest = undefined;
    stream._pendingAbortRequest = undefined;
    stream._writeRequests = [];
    stream._backpressure = false;
  }
  const wsIsLocked = (s) => s._writer !== undefined;

  function setupWSController(stream, c, startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, hwm, sizeAlgorithm) {
    c._stream = stream;
    stream._controller = c;
    resetQueue(c);
    c._abortController = new globalThis.AbortController();
    c._started = false;
    c._strategySize = sizeAlgorithm;
    c._strategyHWM = hwm;
    c._writeAlgorithm = writeAlgorithm;
    c._closeAlgorithm = closeAlgorithm;
    c._abortAlgorithm = abortAlgorithm;
    wsUpdateBackpressure(stream, wsControllerGetBackpressure(c));
    let startResult;
    try { startResult = startAlgorithm(); } catch (e) { startResult = rejected(e); }
    resolved(startResult).then(() => {
      c._started = true;
      wsControllerAdvanceQueueIfNeeded(c);
    }, (e) => {
      c._started = true;
      wsDealWithRejection(stream, e);
    });
  }
  function createWritableStream(startAlgorithm, writeAlgorithm, closeAlgorithm, abortAlgorithm, hwm = 1, sizeAlgorithm = () => 1) {
    const stream = Object.create(WritableStream.prototype);
    initWS(stream);
    setupWSController(stream, new WritableStreamDefaultController(kInternal), startAlgorithm, writeAlgorithm,
      closeAlgorithm, abortAlgorithm, hwm, sizeAlgorithm);
    return stream;
  }

  function wsAbort(stream, reason) {
    if (stream._state === 'closed' || stream._state === 'errored') return resolved();
    stream._controller._abortController.abort(reason);
    const state = stream._state;
    if (state === 'closed' || state === 'errored') return resolved();
    if (stream._pendingAbortRequest) return stream._pendingAbortRequest.promise;
    let wasAlreadyErroring = false;
    if (state === 'erroring') { wasAlreadyErroring = true; reason = undefined; }
    const d = deferred();
    stream._pendingAbortRequest = { promise: d.promise, resolve: d.resolve, reject: d.reject, reason, wasAlreadyErroring };
    if (!wasAlreadyErroring) wsStartErroring(stream, reason);
    return d.promise;
  }
  function wsClose(stream) {
    const state = stream._state;
    if (state === 'closed' || state === 'errored') return rejected(new TypeError('The stream is closed or errored'));
    const d = deferred();
    stream._closeRequest = d;
    const writer = stream._writer;
    if (writer && stream._backpressure && state === 'writable') writer._ready.resolve(undefined);
    enqueueValueWithSize(stream._controller, CLOSE_SENTINEL, 0);
    wsControllerAdvanceQueueIfNeeded(stream._controller);
    return d.promise;
  }
  function wsAddWriteRequest(stream) {
    const d = deferred();
    stream._writeRequests.push(d);
    return d.promise;
  }
  function wsDealWithRejection(stream, error) {
    if (stream._state === 'writable') { wsStartErroring(stream, error); return; }
    wsFinishErroring(stream);
  }
  function wsStartErroring(stream, reason) {
    const c = stream._controller;
    stream._state = 'erroring';
    stream._storedError = reason;
    const writer = stream._writer;
    if (writer) writerEnsureReadyRejected(writer, reason);
    if (!wsHasOperationInFlight(stream) && c._started) wsFinishErroring(stream);
  }
  function wsFinishErroring(stream) {
    stream._state = 'errored';
    stream._controller._queue = [];
    stream._controller._queueTotalSize = 0;
    const storedError = stream._storedError;
    for (const r of stream._writeRequests) r.reject(storedError);
    stream._writeRequests = [];
    const abortRequest = stream._pendingAbortRequest;
    if (!abortRequest) { wsRejectCloseAndClosedPromiseIfNeeded(stream); return; }
    stream._pendingAbortRequest = undefined;
    if (abortRequest.wasAlreadyErroring) {
      abortRequest.reject(storedError);
      wsRejectCloseAndClosedPromiseIfNeeded(stream);
      return;
    }
    const c = stream._controller;
    const p = c._abortAlgorithm(abortRequest.reason);
    wsControllerClearAlgorithms(c);
    p.then(() => {
      abortRequest.resolve(undefined);
      wsRejectCloseAndClosedPromiseIfNeeded(stream);
    }, (e) => {
      abortRequest.reject(e);
      wsRejectCloseAndClosedPromiseIfNeeded(stream);
    });
  }
  function wsFinishInFlightWrite(stream) {
    stream._inFlightWriteRequest.resolve(undefined);
    stream._inFlightWriteRequest = undefined;
  }
  function wsFinishInFlightWriteWithError(stream, error) {
    stream._inFlightWriteRequest.reject(error);
    stream._inFlightWriteRequest = undefined;
    wsDealWithRejection(stream, error);
  }
  function wsFinishInFlightClose(stream) {
    stream._inFlightCloseRequest.resolve(undefined);
    stream._inFlightCloseRequest = undefined;
    if (stream._state === 'erroring') {
      stream._storedError = undefined;
      if (stream._pendingAbortRequest) {
        stream._pendingAbortRequest.resolve(undefined);
        stream._pendingAbortRequest = undefined;
      }
    }
    stream._state = 'closed';
    const writer = stream._writer;
    if (writer) writer._closed.resolve(undefined);
  }
  function wsFinishInFlightCloseWithError(stream, error) {
    stream._inFlightCloseRequest.reject(error);
    stream._inFlightCloseRequest = undefined;
    if (stream._pendingAbortRequest) {
      stream._pendingAbortRequest.reject(error);
      stream._pendingAbortRequest = undefined;
    }
    wsDealWithRejection(stream, error);
  }
  const wsCloseQueuedOrInFlight = (s) => s._closeRequest !== undefined || s._inFlightCloseRequest !== undefined;
  const wsHasOperationInFlight = (s) => s._inFlightWriteRequest !== undefined || s._inFlightCloseRequest !== undefined;
  function wsRejectCloseAndClosedPromiseIfNeeded(stream) {
    if (stream._closeRequest) {
      stream._closeRequest.reject(stream._storedError);
      stream._closeRequest = undefined;
    }
    const writer = stream._writer;
    if (writer) {
      writer._closed.reject(stream._storedError);
      markHandled(writer._closed.promise);
    }
  }
  function wsUpdateBackpressure(stream, backpressure) {
    const writer = stream._writer;
    if (writer && backpressure !== stream._backpressure) {
      if (backpressure) writer._ready = deferred();
      else writer._ready.resolve(undefined);
    }
    stream._backpressure = backpressure;
  }

  function wsControllerClearAlgorithms(c) {
    c._writeAlgorithm = undefined;
    c._closeAlgorithm = undefined;
    c._abortAlgorithm = undefined;
    c._strategySize = undefined;
  }
  const wsControllerGetDesiredSize = (c) => c._strategyHWM - c._queueTotalSize;
  const wsControllerGetBackpressure = (c) => wsControllerGetDesiredSize(c) <= 0;
  function wsControllerError(c, e) {
    const stream = c._stream;
    wsControllerClearAlgorithms(c);
    wsStartErroring(stream, e);
  }
  function wsControllerErrorIfNeeded(c, e) {
    if (c._stream._state === 'writable') wsControllerError(c, e);
  }
  function wsControllerAdvanceQueueIfNeeded(c) {
    const stream = c._stream;
    if (!c._started || stream._inFlightWriteRequest !== undefined) return;
    if (stream._state === 'erroring') { wsFinishErroring(stream); return; }
    if (c._queue.length === 0) return;
    const value = c._queue[0].value;
    if (value === CLOSE_SENTINEL) {
      stream._inFlightCloseRequest = stream._closeRequest;
      stream._closeRequest = undefined;
      dequeueValue(c);
      const p = c._closeAlgorithm();
      wsControllerClearAlgorithms(c);
      p.then(() => wsFinishInFlightClose(stream), (e) => wsFinishInFlightCloseWithError(stream, e));
    } else {
      stream._inFlightWriteRequest = stream._writeRequests.shift();
      c._writeAlgorithm(value).then(() => {
        wsFinishInFlightWrite(stream);
        dequeueValue(c);
        if (!wsCloseQueuedOrInFlight(stream) && stream._state === 'writable') {
          wsUpdateBackpressure(stream, wsControllerGetBackpressure(c));
        }
        wsControllerAdvanceQueueIfNeeded(c);
      }, (e) => {
        if (stream._state === 'writable') wsControllerClearAlgorithms(c);
        wsFinishInFlightWriteWithError(stream, e);
      });
    }
  }

  class WritableStreamDefaultWriter {
    constructor(stream) {
      if (!(stream instanceof WritableStream)) throw new TypeError('WritableStreamDefaultWriter needs a WritableStream');
      if (wsIsLocked(stream)) throw new TypeError('WritableStream is locked');
      this._stream = stream;
      stream._writer = this;
      const state = stream._state;
      this._ready = deferred();
      this._closed = deferred();
      if (state === 'writable') {
        if (wsCloseQueuedOrInFlight(stream) || !stream._backpressure) this._ready.resolve(undefined);
      } else if (state === 'erroring') {
        this._ready.reject(stream._storedError);
        markHandled(this._ready.promise);
      } else if (state === 'closed') {
        this._ready.resolve(undefined);
        this._closed.resolve(undefined);
      } else {
        this._ready.reject(stream._storedError);
        markHandled(this._ready.promise);
        this._closed.reject(stream._storedError);
        markHandled(this._closed.promise);
      }
    }
    get closed() { return this._closed.promise; }
    get ready() { return this._ready.promise; }
    get desiredSize() {
      if (!this._stream) throw new TypeError('The writer has been released');
      const state = this._stream._state;
      if (state === 'errored' || state === 'erroring') return null;
      if (state === 'closed') return 0;
      return wsControllerGetDesiredSize(this._stream._controller);
    }
    abort(reason) {
      if (!this._stream) return rejected(new TypeError('The writer has been released'));
      return wsAbort(this._stream, reason);
    }
    close() {
      const stream = this._stream;
      if (!stream) return rejected(new TypeError('The writer has been released'));
      if (wsCloseQueuedOrInFlight(stream)) return rejected(new TypeError('The stream is already closing'));
      return wsClose(stream);
    }
    releaseLock() {
      const stream = this._stream;
      if (!stream) return;
      const err = new TypeError('The writer was released');
      writerEnsureReadyRejected(this, err);
      if (stream._state === 'writable' || wsCloseQueuedOrInFlight(stream)) {
        this._closed.reject(err);
      } else {
        this._closed = deferred();
        this._closed.reject(err);
      }
      markHandled(this._closed.promise);
      stream._writer = undefined;
      this._stream = undefined;
    }
    write(chunk) {
      if (!this._stream) return rejected(new TypeError('The writer has been released'));
      return writerWrite(this, chunk);
    }
  }
  tag(WritableStreamDefaultWriter, 'WritableStreamDefaultWriter');

  function writerEnsureReadyRejected(writer, error) {
    const old = writer._ready;
    writer._ready = deferred();
    writer._ready.reject(error);
    markHandled(writer._ready.promise);
    if (old && old !== writer._ready) markHandled(old.promise);
  }
  function writerCloseWithErrorPropagation(writer) {
    const stream = writer._stream;
    const state = stream._state;
    if (wsCloseQueuedOrInFlight(stream) || state === 'closed') return resolved();
    if (state === 'errored') return rejected(stream._storedError);
    return wsClose(stream);
  }
  function writerWrite(writer, chunk) {
    const stream = writer._stream;
    const c = stream._controller;
    let size;
    try { size = c._strategySize ? c._strategySize(chunk) : 1; } catch (e) {
      wsControllerErrorIfNeeded(c, e);
      size = 1;
    }
    if (stream !== writer._stream) return rejected(new TypeError('The writer has been released'));
    const state = stream._state;
    if (state === 'errored') return rejected(stream._storedError);
    if (wsCloseQueuedOrInFlight(stream) || state === 'closed') return rejected(new TypeError('The stream is closing or closed'));
    if (state === 'erroring') return rejected(stream._storedError);
    const p = wsAddWriteRequest(stream);
    try { enqueueValueWithSize(c, chunk, size); } catch (e) {
      wsControllerErrorIfNeeded(c, e);
      return p;
    }
    if (!wsCloseQueuedOrInFlight(stream) && stream._state === 'writable') {
      wsUpdateBackpressure(stream, wsControllerGetBackpressure(c));
    }
    wsControllerAdvanceQueueIfNeeded(c);
    return p;
  }

  class WritableStream {
    constructor(underlyingSink = undefined, strategy = {}) {
      initWS(this);
      const sink = underlyingSink ?? {};
      strategy = strategy ?? {};
      if (sink.type !== undefined) throw new RangeError('Invalid sink type');
      const hwm = extractHWM(strategy, 1);
      const size = extractSize(strategy);
      const start = getMethod(sink, 'start');
      const write = getMethod(sink, 'write');
      const close = getMethod(sink, 'close');
      const abort = getMethod(sink, 'abort');
      const c = new WritableStreamDefaultController(kInternal);
      setupWSController(this, c, () => (start ? start.call(sink, c) : undefined),
        (chunk) => promiseCall(write, sink, chunk, c), () => promiseCall(close, sink),
        (reason) => promiseCall(abort, sink, reason), hwm, size);
    }
    get locked() { return wsIsLocked(this); }
    abort(reason) {
      if (wsIsLocked(this)) return rejected(new TypeError('Cannot abort a locked stream'));
      return wsAbort(this, reason);
    }
    close() {
      if (wsIsLocked(this)) return rejected(new TypeError('Cannot close a locked stream'));
      if (wsCloseQueuedOrInFlight(this)) return rejected(new TypeError('The stream is already closing'));
      return wsClose(this);
    }
    getWriter() { return new WritableStreamDefaultWriter(this); }
  }
  tag(WritableStream, 'WritableStream');

  // ====================== TransformStream ======================
  class TransformStreamDefaultController {
    constructor(t) { if (t !== kInternal) throw new TypeError('Illegal constructor'); }
    get desiredSize() { return rsControllerDesiredSize(this._stream._readable._controller); }
    enqueue(chunk) { tsControllerEnqueue(this, chunk); }
    error(e) { tsError(this._stream, e); }
    terminate() { tsControllerTerminate(this); }
  }
  tag(TransformStreamDefaultController, 'TransformStreamDefaultController');

  function tsControllerEnqueue(c, chunk) {
    const stream = c._stream;
    const rc = stream._readable._controller;
    if (!rsControllerCanClose(rc)) throw new TypeError('Readable side is not in a state that permits enqueue');
    try { rsControllerEnqueue(rc, chunk); } catch (e) {
      tsErrorWritableAndUnblockWrite(stream, e);
      throw stream._readable._storedError;
    }
    const backpressure = !rsControllerShouldPull(rc) && rsControllerDesiredSize(rc) <= 0;
    if (backpressure !== stream._backpressure) tsSetBackpressure(stream, true);
  }
  function tsControllerTerminate(c) {
    const stream = c._stream;
    rsControllerClose(stream._readable._controller);
    tsErrorWritableAndUnblockWrite(stream, new TypeError('The transform stream has been terminated'));
  }
  function tsError(stream, e) {
    rsControllerError(stream._readable._controller, e);
    tsErrorWritableAndUnblockWrite(stream, e);
  }
  function tsErrorWritableAndUnblockWrite(stream, e) {
    const c = stream._controller;
    c._transformAlgorithm = c._flushAlgorithm = c._cancelAlgorithm = undefined;
    wsControllerErrorIfNeeded(stream._writable._controller, e);
    if (stream._backpressure) tsSetBackpressure(stream, false);
  }
  function tsSetBackpressure(stream, bp) {
    if (stream._backpressureChange) stream._backpressureChange.resolve(undefined);
    stream._backpressureChange = deferred();
    stream._backpressure = bp;
  }
  function tsPerformTransform(c, chunk) {
    return c._transformAlgorithm(chunk).catch((r) => {
      tsError(c._stream, r);
      throw r;
    });
  }

  class TransformStream {
    constructor(transformer = undefined, writableStrategy = {}, readableStrategy = {}) {
      const t = transformer ?? {};
      if (t.readableType !== undefined) throw new RangeError('Invalid readableType');
      if (t.writableType !== undefined) throw new RangeError('Invalid writableType');
      const readableHWM = extractHWM(readableStrategy ?? {}, 0);
      const readableSize = extractSize(readableStrategy ?? {});
      const writableHWM = extractHWM(writableStrategy ?? {}, 1);
      const writableSize = extractSize(writableStrategy ?? {});
      const startPromise = deferred();
      const stream = this;
      const c = new TransformStreamDefaultController(kInternal);
      c._stream = stream;
      stream._controller = c;
      const transform = getMethod(t, 'transform');
      const flush = getMethod(t, 'flush');
      const cancel = getMethod(t, 'cancel');
      c._transformAlgorithm = transform
        ? (chunk) => promiseCall(transform, t, chunk, c)
        : (chunk) => { try { tsControllerEnqueue(c, chunk); return resolved(); } catch (e) { return rejected(e); } };
      c._flushAlgorithm = () => promiseCall(flush, t, c);
      c._cancelAlgorithm = (reason) => promiseCall(cancel, t, reason);

      // Sink side.
      const sinkWrite = (chunk) => {
        if (stream._backpressure) {
          return stream._backpressureChange.promise.then(() => {
            const w = stream._writable;
            if (w._state === 'erroring') throw w._storedError;
            return tsPerformTransform(c, chunk);
          });
        }
        return tsPerformTransform(c, chunk);
      };
      const sinkAbort = (reason) => {
        const alg = c._cancelAlgorithm;
        c._transformAlgorithm = c._flushAlgorithm = c._cancelAlgorithm = undefined;
        return (alg ? alg(reason) : resolved()).then(() => {
          rsControllerError(stream._readable._controller, reason);
        }, (e) => { rsControllerError(stream._readable._controller, e); throw e; });
      };
      const sinkClose = () => {
        const alg = c._flushAlgorithm;
        c._transformAlgorithm = c._flushAlgorithm = c._cancelAlgorithm = undefined;
        return (alg ? alg() : resolved()).then(() => {
          const r = stream._readable;
          if (r._state === 'errored') throw r._storedError;
          rsControllerClose(r._controller);
        }, (e) => { tsError(stream, e); throw stream._readable._storedError; });
      };
      // Source side.
      const sourcePull = () => {
        tsSetBackpressure(stream, false);
        return stream._backpressureChange.promise;
      };
      const sourceCancel = (reason) => {
        const alg = c._cancelAlgorithm;
        c._transformAlgorithm = c._flushAlgorithm = c._cancelAlgorithm = undefined;
        return (alg ? alg(reason) : resolved()).then(() => {
          wsControllerErrorIfNeeded(stream._writable._controller, reason);
          if (stream._backpressure) tsSetBackpressure(stream, false);
        }, (e) => {
          wsControllerErrorIfNeeded(stream._writable._controller, e);
          if (stream._backpressure) tsSetBackpressure(stream, false);
          throw e;
        });
      };
      const startAlgorithm = () => startPromise.promise;
      stream._writable = createWritableStream(startAlgorithm, sinkWrite, sinkClose, sinkAbort, writableHWM, writableSize);
      stream._readable = createReadableStream(startAlgorithm, sourcePull, sourceCancel, readableHWM, readableSize);
      stream._backpressure = undefined;
      stream._backpressureChange = undefined;
      tsSetBackpressure(stream, true);
      const start = getMethod(t, 'start');
      try { startPromise.resolve(start ? start.call(t, c) : undefined); } catch (e) { startPromise.reject(e); }
    }
    get readable() { return this._readable; }
    get writable() { return this._writable; }
  }
  tag(TransformStream, 'TransformStream');

  // ---- queuing strategies ----
  class ByteLengthQueuingStrategy {
    constructor(init) { this._hwm = Number(init?.highWaterMark); }
    get highWaterMark() { return this._hwm; }
    get size() { return (chunk) => chunk.byteLength; }
  }
  class CountQueuingStrategy {
    constructor(init) { this._hwm = Number(init?.highWaterMark); }
    get highWaterMark() { return this._hwm; }
    get size() { return () => 1; }
  }
  tag(ByteLengthQueuingStrategy, 'ByteLengthQueuingStrategy');
  tag(CountQueuingStrategy, 'CountQueuingStrategy');

  // Internals for fetch: a pull-driven byte source, and stream state probes.
  internals.streams = Object.freeze({
      createReadableStream,
      enqueue: (s, chunk) => rsControllerEnqueue(s._controller, chunk),
      close: (s) => rsControllerClose(s._controller),
      error: (s, e) => rsControllerError(s._controller, e),
      desiredSize: (s) => rsControllerDesiredSize(s._controller),
      isDisturbed: (s) => s._disturbed,
      isLocked,
      state: (s) => s._state,
  });

  define('ReadableStream', ReadableStream);
  define('ReadableStreamDefaultReader', ReadableStreamDefaultReader);
  define('ReadableStreamDefaultController', ReadableStreamDefaultController);
  define('WritableStream', WritableStream);
  define('WritableStreamDefaultWriter', WritableStreamDefaultWriter);
  define('WritableStreamDefaultController', WritableStreamDefaultController);
  define('TransformStream', TransformStream);
  define('TransformStreamDefaultController', TransformStreamDefaultController);
  define('ByteLengthQueuingStrategy', ByteLengthQueuingStrategy);
  define('CountQueuingStrategy', CountQueuingStrategy);
});
