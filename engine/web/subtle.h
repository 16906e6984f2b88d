// crypto.subtle's natives on OpenSSL (subtle.cc); the JS half is js/subtle.js.
#pragma once

#include <v8.h>

namespace zinnia::engine::web {

// Adds host.subtleSecret, subtleExport, subtleHmac, subtlePbkdf2, subtleHkdf, subtleAes and
// subtleAesKw. Secret key bytes live in native memory behind an opaque handle object and are
// wiped (OPENSSL_cleanse) when the handle is collected or the module ends.
void install_subtle(v8::Local<v8::Context> context, v8::Local<v8::Object> host);

}  // namespace zinnia::engine::web
