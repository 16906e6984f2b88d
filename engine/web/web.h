#pragma once
#include "engine/v8/bind.h"

// The web APIs' extensions, in the order their JS must run (later files capture globals
// defined by earlier ones). See docs/web-apis.md.
namespace zinnia::engine {

// DOMException, Event, EventTarget, AbortSignal; the global as an EventTarget with its error
// events, reportError, ErrorEvent & co., navigator (global.js); lazy globals (lazy.js)
const bind::Extension& events_extension();
const bind::Extension& url_extension();          // URL, URLSearchParams, URLPattern
const bind::Extension& streams_extension();      // ReadableStream, WritableStream, ...
const bind::Extension& encoding_extension();     // TextEncoder, TextDecoder (every encoding)
const bind::Extension& file_extension();         // Blob, File, FormData
const bind::Extension& compression_extension();  // CompressionStream (zlib.cc)
const bind::Extension& crypto_extension();       // crypto, performance, User Timing
const bind::Extension& subtle_extension();       // crypto.subtle (subtle.cc)
const bind::Extension& fetch_extension();        // fetch, Headers, Request, Response
// MessageChannel, MessagePort, MessageEvent, structuredClone's transfer (messaging.cc)
const bind::Extension& messaging_extension();

}  // namespace zinnia::engine
