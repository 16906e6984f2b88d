#pragma once
// The natives of js/formdata.js (the file extension, install.cc).
#include "engine/v8/bind.h"

namespace zinnia::engine::web {

// host.multipartParse(bytes, boundary) -> [[name, filename | null, type, offset, size], ...]
// (multipart.h); TypeError on a malformed body.
v8::Local<v8::Array> multipart_parse(bind::Call& call, bind::Bytes body,
                                     const std::string& boundary);

}  // namespace zinnia::engine::web
