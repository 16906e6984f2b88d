#include "engine/web/formdata.h"

#include <string_view>

#include "engine/v8/util.h"
#include "engine/web/multipart.h"

namespace zinnia::engine::web {

v8::Local<v8::Array> multipart_parse(bind::Call& call, bind::Bytes body,
                                     const std::string& boundary) {
  auto* isolate = call.isolate();
  auto context = call.context();
  std::vector<MultipartPart> parts;
  try {
    parts = parse_multipart(std::string_view(reinterpret_cast<const char*>(body.data), body.size),
                            boundary);
  } catch (const MultipartError& e) {
    throw bind::TypeError(e.what());
  }
  auto out = v8::Array::New(isolate, static_cast<int>(parts.size()));
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& p = parts[i];
    v8::Local<v8::Value> fields[] = {
        to_v8(isolate, p.name),
        p.filename ? v8::Local<v8::Value>(to_v8(isolate, *p.filename))
                   : v8::Local<v8::Value>(v8::Null(isolate)),
        to_v8(isolate, p.content_type),
        v8::Number::New(isolate, static_cast<double>(p.body_offset)),
        v8::Number::New(isolate, static_cast<double>(p.body_size)),
    };
    if (out->Set(context, static_cast<std::uint32_t>(i), v8::Array::New(isolate, fields, 5))
            .IsNothing())
      throw bind::Pending();
  }
  return out;
}

}  // namespace zinnia::engine::web
