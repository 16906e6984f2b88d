#include <uv.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "engine/api/host.h"
#include "engine/loop/loop.h"
#include "engine/v8/bind.h"
#include "engine/v8/isolate.h"
#include "engine/v8/platform.h"
#include "engine/v8/util.h"
#include "util/version.h"

namespace zinnia::engine {
namespace {

// The delay is a WebIDL `long`: ToInt32, so 2**32 wraps to 0 and 2**31 is negative (0), as in
// browsers and Deno.
std::uint32_t start_timer(Api& api, v8::Local<v8::Function> callback,
                          std::optional<std::int32_t> delay, bind::Rest rest, bool repeat) {
  std::vector<v8::Local<v8::Value>> args;
  args.reserve(static_cast<std::size_t>(rest.size()));
  for (int i = 0; i < rest.size(); ++i) args.push_back(rest[i]);
  return api.timers().start(callback, std::move(args), delay.value_or(0), repeat);
}
std::uint32_t set_timeout(Api& api, v8::Local<v8::Function> callback,
                          std::optional<std::int32_t> delay, bind::Rest rest) {
  return start_timer(api, callback, delay, rest, false);
}
std::uint32_t set_interval(Api& api, v8::Local<v8::Function> callback,
                           std::optional<std::int32_t> delay, bind::Rest rest) {
  return start_timer(api, callback, delay, rest, true);
}
// clearTimeout(anything): ids that are not ours are ignored, as the web platform does.
void clear_timer(Api& api, v8::Local<v8::Value> id) {
  if (!id->IsNumber()) return;
  double n = id.As<v8::Number>()->Value();
  if (n >= 1 && n <= 4294967295.0) api.timers().clear(static_cast<std::uint32_t>(n));
}

void queue_microtask(bind::Call& call, v8::Local<v8::Function> callback) {
  call.isolate()->EnqueueMicrotask(callback);
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string btoa(const bind::UTF16String& data) {
  const std::u16string& units = data.value;
  for (auto u : units)
    if (u > 0xFF)
      throw bind::DOMException("InvalidCharacterError",
                               "btoa: the string contains characters outside Latin1");
  std::string out;
  out.reserve((units.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < units.size(); i += 3) {
    std::uint32_t n = static_cast<std::uint32_t>(units[i]) << 16;
    if (i + 1 < units.size()) n |= static_cast<std::uint32_t>(units[i + 1]) << 8;
    if (i + 2 < units.size()) n |= units[i + 2];
    out.push_back(kB64[(n >> 18) & 63]);
    out.push_back(kB64[(n >> 12) & 63]);
    out.push_back(i + 1 < units.size() ? kB64[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < units.size() ? kB64[n & 63] : '=');
  }
  return out;
}

v8::MaybeLocal<v8::String> atob(bind::Call& call, const bind::DOMString& data) {
  std::string clean;
  for (char c : data.value)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\f' && c != '\r') clean.push_back(c);
  // Forgiving-base64: "=" / "==" padding may be dropped, never misplaced.
  if (clean.size() % 4 == 0 && !clean.empty() && clean.back() == '=') {
    clean.pop_back();
    if (!clean.empty() && clean.back() == '=') clean.pop_back();
  }
  if (clean.size() % 4 == 1)
    throw bind::DOMException("InvalidCharacterError", "atob: invalid base64");
  std::vector<std::uint8_t> bytes;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : clean) {
    const char* p = c ? std::strchr(kB64, c) : nullptr;
    if (!p) throw bind::DOMException("InvalidCharacterError", "atob: invalid base64");
    acc = (acc << 6) | static_cast<std::uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xFF));
    }
  }
  return v8::String::NewFromOneByte(call.isolate(), bytes.data(), v8::NewStringType::kNormal,
                                    static_cast<int>(bytes.size()));
}

// host.promiseState(p) -> [state, result] for inspect.
// Anything else gives undefined: inspect asks for every `instanceof Promise`.
v8::Local<v8::Value> promise_state(bind::Call& call, v8::Local<v8::Value> value) {
  auto* isolate = call.isolate();
  if (!value->IsPromise()) return {};
  auto p = value.As<v8::Promise>();
  const char* state = p->State() == v8::Promise::kPending    ? "pending"
                      : p->State() == v8::Promise::kRejected ? "rejected"
                                                             : "fulfilled";
  v8::Local<v8::Value> items[] = {
      to_v8(isolate, state),
      p->State() == v8::Promise::kPending ? v8::Undefined(isolate).As<v8::Value>() : p->Result()};
  return v8::Array::New(isolate, items, 2);
}

// host.trackResizable(buffer), from ArrayBuffer.prototype.resize before a buffer's first
// resize (00_core.js): see ExternalAllocator::track_resizable. Every isolate that runs the
// bootstrap is made by IsolateHolder, with an ExternalAllocator.
void track_resizable(bind::Call& call, v8::Local<v8::Value> value) {
  if (!value->IsArrayBuffer()) return;
  auto* allocator = static_cast<ExternalAllocator*>(call.isolate()->GetArrayBufferAllocator());
  allocator->track_resizable(call.isolate(), value.As<v8::ArrayBuffer>());
}

void activity_info(Api& api, const bind::DOMString& message) {
  api.sink().activity(Level::kInfo, message.value);
}
void activity_error(Api& api, const bind::DOMString& message) {
  api.sink().activity(Level::kError, message.value);
}
void job_completed(Api& api) { api.sink().job_completed(); }

// sourceLine(url, line): line `line` (1-based) of a local module file, for zinnia:test's
// failure report (the source line under the failing frame, as the real Zinnia prints it);
// "" when it cannot be read. Only file: URLs; the text of a module the module could import.
std::string source_line(const bind::DOMString& url, std::int32_t wanted) {
  const std::string& u = url.value;
  if (!u.starts_with("file://") || wanted < 1) return {};
  std::string path;
  for (std::size_t i = 7; i < u.size(); ++i) {
    if (u[i] == '%' && i + 2 < u.size() && std::isxdigit(static_cast<unsigned char>(u[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(u[i + 2]))) {
      path += static_cast<char>(std::stoi(u.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      path += u[i];
    }
  }
  std::ifstream in(path);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n)
    if (n == wanted) return line;
  return {};
}
void set_exit_code(Api& api, std::int32_t code) { api.set_exit_code(code); }

}  // namespace

const bind::Extension& timers_extension() {
  static const bind::Extension ext = bind::with_state<Api>({
      .name = "timers",
      .natives = {bind::native<"setTimeout", &set_timeout>(),
                  bind::native<"setInterval", &set_interval>(),
                  bind::native<"clearTimeout", &clear_timer>(),
                  bind::native<"clearInterval", &clear_timer>()},
  });
  return ext;
}

const bind::Extension& globals_extension() {
  static const bind::Extension ext = bind::with_state<Api>({
      .name = "globals",
      // core-js first (engine/js/polyfills/, built into the build dir): everything after sees it.
      .js = {"generated/js/05_polyfills.js", "engine/js/00_core.js", "engine/js/10_inspect.js"},
      .natives = {bind::native<"queueMicrotask", &queue_microtask>(),
                  bind::native<"structuredClone", &structured_clone>(),
                  bind::native<"atob", &atob>(), bind::native<"btoa", &btoa>(),
                  bind::native<"promiseState", &promise_state>(),
                  bind::native<"trackResizable", &track_resizable>()},
  });
  return ext;
}

const bind::Extension& zinnia_extension() {
  static const bind::Extension ext = bind::with_state<Api>({
      .name = "zinnia",
      .js = {"engine/js/30_zinnia.js"},
      .modules = {"zinnia:assert", "zinnia:test"},
      .natives = {bind::native<"activityInfo", &activity_info>(),
                  bind::native<"activityError", &activity_error>(),
                  bind::native<"jobCompleted", &job_completed>(),
                  bind::native<"setExitCode", &set_exit_code>(),
                  bind::native<"sourceLine", &source_line>()},
      .values =
          [](v8::Local<v8::Context> context, void* state,
             const std::function<void(std::string_view, v8::Local<v8::Value>)>& set) {
            auto* isolate = context->GetIsolate();
            const auto& config = static_cast<Api*>(state)->config();
            set("walletAddress", to_v8(isolate, config.wallet_address));
            set("stationId", to_v8(isolate, config.station_id));
            set("moduleName", to_v8(isolate, config.module_name));
            set("userAgent", to_v8(isolate, config.user_agent));
            set("zinniaVersion", to_v8(isolate, kVersion));
            // Four numbers, as V8 reports itself elsewhere: Debian's build adds "-node.37".
            std::string_view v8 = v8_version();
            set("v8Version", to_v8(isolate, v8.substr(0, v8.find('-'))));
            set("colors", v8::Boolean::New(isolate, config.colors));
          },
  });
  return ext;
}

}  // namespace zinnia::engine
