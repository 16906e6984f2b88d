#include <uv.h>

#include <cctype>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "engine/api/host.h"
#include "engine/loop/loop.h"
#include "engine/v8/platform.h"
#include "engine/v8/util.h"
#include "util/version.h"

namespace zinnia::engine {
namespace {

void StartTimer(const v8::FunctionCallbackInfo<v8::Value>& info, bool repeat) {
  auto* isolate = info.GetIsolate();
  if (!info[0]->IsFunction()) {
    throw_type_error(isolate, "The callback must be a function");
    return;
  }
  double delay = 0;
  if (info.Length() > 1) delay = info[1]->NumberValue(isolate->GetCurrentContext()).FromMaybe(0);
  std::vector<v8::Local<v8::Value>> args;
  for (int i = 2; i < info.Length(); ++i) args.push_back(info[i]);
  auto id =
      Api::from(isolate).timers().start(info[0].As<v8::Function>(), std::move(args), delay, repeat);
  info.GetReturnValue().Set(static_cast<double>(id));
}
void SetTimeout(const v8::FunctionCallbackInfo<v8::Value>& info) { StartTimer(info, false); }
void SetInterval(const v8::FunctionCallbackInfo<v8::Value>& info) { StartTimer(info, true); }
void ClearTimer(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  if (!info[0]->IsNumber()) return;
  double id = info[0].As<v8::Number>()->Value();
  if (id >= 1 && id <= 4294967295.0)
    Api::from(isolate).timers().clear(static_cast<std::uint32_t>(id));
}

// sourceLine(url, line): line `line` (1-based) of a local module file, for zinnia:test's
// failure report (the source line under the failing frame, as the real Zinnia prints it);
// "" when it cannot be read. Only file: URLs; the text of a module the module could import.
void SourceLine(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  info.GetReturnValue().SetEmptyString();
  const std::string url = to_utf8(isolate, info[0]);
  const int wanted = info[1]->Int32Value(isolate->GetCurrentContext()).FromMaybe(0);
  if (!url.starts_with("file://") || wanted < 1) return;
  std::string path;
  for (std::size_t i = 7; i < url.size(); ++i) {
    if (url[i] == '%' && i + 2 < url.size() &&
        std::isxdigit(static_cast<unsigned char>(url[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(url[i + 2]))) {
      path += static_cast<char>(std::stoi(url.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      path += url[i];
    }
  }
  std::ifstream in(path);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n)
    if (n == wanted) return info.GetReturnValue().Set(to_v8(isolate, line));
}

void QueueMicrotask(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  if (!info[0]->IsFunction()) {
    throw_type_error(isolate, "queueMicrotask: the callback must be a function");
    return;
  }
  isolate->EnqueueMicrotask(info[0].As<v8::Function>());
}

void ThrowInvalidCharacter(v8::Isolate* isolate, std::string_view message) {
  auto error = v8::Exception::Error(to_v8(isolate, message)).As<v8::Object>();
  discard(error->Set(isolate->GetCurrentContext(), to_v8(isolate, "name"),
                     to_v8(isolate, "InvalidCharacterError")));
  isolate->ThrowException(error);
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void Btoa(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  v8::Local<v8::String> s;
  if (info.Length() < 1) {
    throw_type_error(isolate, "btoa: 1 argument required");
    return;
  }
  if (!info[0]->ToString(isolate->GetCurrentContext()).ToLocal(&s)) return;
  std::vector<std::uint16_t> units(static_cast<std::size_t>(s->Length()));
  s->Write(isolate, units.data(), 0, s->Length(), v8::String::NO_NULL_TERMINATION);
  std::string out;
  out.reserve((units.size() + 2) / 3 * 4);
  for (auto u : units)
    if (u > 0xFF) {
      ThrowInvalidCharacter(isolate, "btoa: the string contains characters outside Latin1");
      return;
    }
  for (std::size_t i = 0; i < units.size(); i += 3) {
    std::uint32_t n = units[i] << 16;
    if (i + 1 < units.size()) n |= static_cast<std::uint32_t>(units[i + 1]) << 8;
    if (i + 2 < units.size()) n |= units[i + 2];
    out.push_back(kB64[(n >> 18) & 63]);
    out.push_back(kB64[(n >> 12) & 63]);
    out.push_back(i + 1 < units.size() ? kB64[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < units.size() ? kB64[n & 63] : '=');
  }
  info.GetReturnValue().Set(to_v8(isolate, out));
}

void Atob(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  if (info.Length() < 1) {
    throw_type_error(isolate, "atob: 1 argument required");
    return;
  }
  std::string in = to_utf8(isolate, info[0]);
  std::string clean;
  for (char c : in)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\f' && c != '\r') clean.push_back(c);
  // Forgiving-base64: "=" / "==" padding may be dropped, never misplaced.
  if (clean.size() % 4 == 0 && !clean.empty() && clean.back() == '=') {
    clean.pop_back();
    if (!clean.empty() && clean.back() == '=') clean.pop_back();
  }
  if (clean.size() % 4 == 1) {
    ThrowInvalidCharacter(isolate, "atob: invalid base64");
    return;
  }
  std::vector<std::uint8_t> bytes;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : clean) {
    const char* p = c ? std::strchr(kB64, c) : nullptr;
    if (!p) {
      ThrowInvalidCharacter(isolate, "atob: invalid base64");
      return;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xFF));
    }
  }
  v8::Local<v8::String> out;
  if (v8::String::NewFromOneByte(isolate, bytes.data(), v8::NewStringType::kNormal,
                                 static_cast<int>(bytes.size()))
          .ToLocal(&out))
    info.GetReturnValue().Set(out);
}

void ActivityInfo(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  Api::from(isolate).sink().activity(Level::kInfo, to_utf8(isolate, info[0]));
}
void ActivityError(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  Api::from(isolate).sink().activity(Level::kError, to_utf8(isolate, info[0]));
}
void JobCompleted(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Api::from(info.GetIsolate()).sink().job_completed();
}
void SetExitCode(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  Api::from(isolate).set_exit_code(info[0]->Int32Value(isolate->GetCurrentContext()).FromMaybe(1));
}
// Milliseconds on a monotonic clock (console.time, zinnia:test durations).
void Now(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(static_cast<double>(uv_hrtime()) / 1e6);
}

// host.promiseState(p) -> [state, result] for inspect.
void PromiseState(const v8::FunctionCallbackInfo<v8::Value>& info) {
  auto* isolate = info.GetIsolate();
  if (!info[0]->IsPromise()) return;
  auto p = info[0].As<v8::Promise>();
  const char* state = p->State() == v8::Promise::kPending    ? "pending"
                      : p->State() == v8::Promise::kRejected ? "rejected"
                                                             : "fulfilled";
  v8::Local<v8::Value> items[] = {
      to_v8(isolate, state),
      p->State() == v8::Promise::kPending ? v8::Undefined(isolate).As<v8::Value>() : p->Result()};
  info.GetReturnValue().Set(v8::Array::New(isolate, items, 2));
}

}  // namespace

void install_globals(v8::Local<v8::Context> context, v8::Local<v8::Object> host) {
  auto* isolate = context->GetIsolate();
  set_method(context, host, "setTimeout", &SetTimeout);
  set_method(context, host, "setInterval", &SetInterval);
  set_method(context, host, "clearTimeout", &ClearTimer);
  set_method(context, host, "clearInterval", &ClearTimer);
  set_method(context, host, "queueMicrotask", &QueueMicrotask);
  set_method(context, host, "sourceLine", &SourceLine);
  install_clone(context, host);
  set_method(context, host, "atob", &Atob);
  set_method(context, host, "btoa", &Btoa);
  set_method(context, host, "activityInfo", &ActivityInfo);
  set_method(context, host, "activityError", &ActivityError);
  set_method(context, host, "jobCompleted", &JobCompleted);
  set_method(context, host, "setExitCode", &SetExitCode);
  set_method(context, host, "now", &Now);
  set_method(context, host, "promiseState", &PromiseState);
  const auto& config = Api::from(isolate).config();
  auto set = [&](std::string_view k, std::string_view v) {
    discard(host->Set(context, to_v8(isolate, k), to_v8(isolate, v)));
  };
  set("walletAddress", config.wallet_address);
  set("stationId", config.station_id);
  set("moduleName", config.module_name);
  set("userAgent", config.user_agent);
  discard(host->Set(context, to_v8(isolate, "colors"), v8::Boolean::New(isolate, config.colors)));
  set("zinniaVersion", kVersion);
  // Four numbers, as V8 reports itself elsewhere: Debian's build adds "-node.37".
  std::string_view v8 = v8_version();
  set("v8Version", v8.substr(0, v8.find('-')));
}

}  // namespace zinnia::engine
