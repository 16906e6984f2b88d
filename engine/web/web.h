#pragma once
#include "engine/v8/bind.h"

// The web APIs' extensions, in the order their JS must run (later files capture globals
// defined by earlier ones). See docs/web-apis.md.
namespace zinnia::engine {

const bind::Extension& events_extension();    // DOMException, Event, EventTarget, AbortSignal
const bind::Extension& url_extension();       // URL, URLSearchParams
const bind::Extension& streams_extension();   // ReadableStream, WritableStream, ...
const bind::Extension& encoding_extension();  // TextEncoder, TextDecoder
const bind::Extension& crypto_extension();    // crypto, performance
const bind::Extension& fetch_extension();     // fetch, Headers, Request, Response

}  // namespace zinnia::engine
