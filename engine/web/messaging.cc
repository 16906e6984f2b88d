// MessageChannel / MessagePort natives (js/messaging.js). A port is an object made from a
// template with an internal field, so that V8's serializer hands it to structuredClone's
// delegate as a host object (engine/api/clone.cc), which can then transfer it.

#include "engine/v8/bind.h"
#include "engine/web/web.h"

namespace zinnia::engine {
namespace web {
namespace {

struct MessagingState {
  explicit MessagingState(v8::Local<v8::Context>) {}
  MessagingState(const MessagingState&) = delete;
  MessagingState& operator=(const MessagingState&) = delete;
  ~MessagingState() { port_template.Reset(); }
  v8::Global<v8::ObjectTemplate> port_template;
};

// host.portObject() -> an empty object that V8's serializer treats as a host object.
v8::Local<v8::Object> port_object(bind::Call& call, MessagingState& st) {
  auto* isolate = call.isolate();
  if (st.port_template.IsEmpty()) {
    auto tmpl = v8::ObjectTemplate::New(isolate);
    tmpl->SetInternalFieldCount(1);
    st.port_template.Reset(isolate, tmpl);
  }
  v8::Local<v8::Object> obj;
  if (!st.port_template.Get(isolate)->NewInstance(call.context()).ToLocal(&obj))
    throw bind::Pending();
  obj->SetAlignedPointerInInternalField(0, nullptr);
  return obj;
}

}  // namespace
}  // namespace web

const bind::Extension& messaging_extension() {
  static const bind::Extension ext = bind::with_state<web::MessagingState>({
      .name = "messaging",
      .js = {"engine/web/js/messaging.js"},
      .natives = {bind::native<"portObject", &web::port_object>()},
  });
  return ext;
}

}  // namespace zinnia::engine
