#pragma once
// The binding layer: natives declared by their C++ signature, grouped into extensions
// (in the spirit of workerd's jsg and deno_core's extension!/#[op2]).
//
//   std::string btoa(bind::UTF16String data);   // a plain C++ function
//   bind::native<"btoa", &btoa>()               // its JS native, put on `host` by an extension
//
// The trampoline converts each JS argument to the parameter's type (Convert<T> below), calls
// the function, converts its result back (set_return), and turns C++ exceptions of type
// bind::Exception into JS errors. A missing or wrong argument throws a TypeError naming the
// native and the argument. Parameters that take no JS argument: `Call&` (isolate, context,
// function data), `Rest` (the remaining arguments) and `S&` for the extension's per-module
// state S (bind::with_state<S>). docs/engine.md has the table and a worked example.
#include <v8.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "engine/v8/util.h"

namespace zinnia::engine::bind {

// --- Errors -------------------------------------------------------------------------------
// Thrown by a native (C++ exception); the trampoline throws the matching JS error.
class Exception : public std::exception {
 public:
  enum class Kind : std::uint8_t { kError, kTypeError, kRangeError, kDOMException, kPending };
  Exception(Kind kind, std::string message, std::string dom_name = {})
      : kind_(kind), message_(std::move(message)), dom_name_(std::move(dom_name)) {}
  const char* what() const noexcept override { return message_.c_str(); }
  Kind kind() const { return kind_; }
  const std::string& dom_name() const { return dom_name_; }
  // Schedules the JS error on `isolate`.
  void throw_js(v8::Isolate* isolate) const;

 private:
  Kind kind_;
  std::string message_;
  std::string dom_name_;
};
inline Exception Error(std::string message) {
  return {Exception::Kind::kError, std::move(message)};
}
inline Exception TypeError(std::string message) {
  return {Exception::Kind::kTypeError, std::move(message)};
}
inline Exception RangeError(std::string message) {
  return {Exception::Kind::kRangeError, std::move(message)};
}
// A WebIDL DOMException: `name` is one of its error names ("InvalidCharacterError", ...),
// which also gives its `code`.
inline Exception DOMException(std::string name, std::string message) {
  return {Exception::Kind::kDOMException, std::move(message), std::move(name)};
}
// A JS exception is already pending (a V8 call failed under this native): just return.
inline Exception Pending() { return {Exception::Kind::kPending, {}}; }

// UTF-16 code units as a JS string. Past V8's maximum string length V8 leaves a RangeError
// pending, and this throws Pending() (decoders of outside input can get there).
inline v8::Local<v8::String> utf16_string(v8::Isolate* isolate, std::u16string_view units) {
  v8::Local<v8::String> str;
  if (!v8::String::NewFromTwoByte(isolate, reinterpret_cast<const std::uint16_t*>(units.data()),
                                  v8::NewStringType::kNormal, static_cast<int>(units.size()))
           .ToLocal(&str))
    throw Pending();
  return str;
}

// Schedules `new DOMException(message, name)` with the class the web bootstrap registered
// (set_dom_exception_class); an Error with that name and a `code` before that.
void throw_dom_exception(v8::Isolate* isolate, std::string_view name, std::string_view message);
// Per isolate: the realm's DOMException constructor (bind::forget() drops it).
void set_dom_exception_class(v8::Isolate* isolate, v8::Local<v8::Function> ctor);

// --- Argument types -------------------------------------------------------------------------
// The bytes of an ArrayBufferView (Uint8Array, DataView, ...), valid during the call.
struct Bytes {
  std::uint8_t* data = nullptr;
  std::size_t size = 0;
};
// ToString of any value (WebIDL DOMString), as UTF-8. `std::string` instead demands a string.
struct DOMString {
  std::string value;
};
// ToString of any value as UTF-16 code units (WebIDL DOMString before a byte check, e.g. btoa).
struct UTF16String {
  std::u16string value;
};
// The JS arguments from this position on (e.g. setTimeout's extra arguments).
class Rest {
 public:
  Rest(const v8::FunctionCallbackInfo<v8::Value>& info, int from) : info_(&info), from_(from) {}
  int size() const { return info_->Length() > from_ ? info_->Length() - from_ : 0; }
  v8::Local<v8::Value> operator[](int i) const { return (*info_)[from_ + i]; }

 private:
  const v8::FunctionCallbackInfo<v8::Value>* info_;
  int from_;
};

// Passed to natives that ask for it: the call's isolate and context.
class Call {
 public:
  explicit Call(const v8::FunctionCallbackInfo<v8::Value>& info)
      : info_(info), isolate_(info.GetIsolate()) {}
  v8::Isolate* isolate() const { return isolate_; }
  // Looked up on first use: console.log's fast path never needs it (a handle per call).
  v8::Local<v8::Context> context() const {
    if (context_.IsEmpty()) context_ = isolate_->GetCurrentContext();
    return context_;
  }
  v8::Local<v8::Value> data() const { return info_.Data(); }
  int length() const { return info_.Length(); }
  const v8::FunctionCallbackInfo<v8::Value>& info() const { return info_; }

 private:
  const v8::FunctionCallbackInfo<v8::Value>& info_;
  v8::Isolate* isolate_;
  mutable v8::Local<v8::Context> context_;
};

// --- Conversions ----------------------------------------------------------------------------
// Convert<T>::from(call, value, out): kOk, kWrong (the trampoline throws a TypeError naming
// the native, the argument and kExpected), or kThrew (a JS exception is already pending, e.g.
// from a ToString that threw).
enum class Got : std::uint8_t { kOk, kWrong, kThrew };

template <class T, class = void>
struct Convert;

template <>
struct Convert<std::string> {
  static constexpr const char* kExpected = "a string";
  static Got from(Call& call, v8::Local<v8::Value> v, std::string& out) {
    if (!v->IsString()) return Got::kWrong;
    out = to_utf8(call.isolate(), v);
    return Got::kOk;
  }
};
template <>
struct Convert<DOMString> {
  static constexpr const char* kExpected = "a string";
  static Got from(Call& call, v8::Local<v8::Value> v, DOMString& out);
};
template <>
struct Convert<UTF16String> {
  static constexpr const char* kExpected = "a string";
  static Got from(Call& call, v8::Local<v8::Value> v, UTF16String& out);
};
template <>
struct Convert<double> {
  static constexpr const char* kExpected = "a number";
  // ToNumber (WebIDL unrestricted double).
  static Got from(Call& call, v8::Local<v8::Value> v, double& out) {
    if (v->IsNumber()) {
      out = v.As<v8::Number>()->Value();
      return Got::kOk;
    }
    return v->NumberValue(call.context()).To(&out) ? Got::kOk : Got::kThrew;
  }
};
template <>
struct Convert<std::int32_t> {
  static constexpr const char* kExpected = "a number";
  // ToInt32 (WebIDL long).
  static Got from(Call& call, v8::Local<v8::Value> v, std::int32_t& out) {
    if (v->IsInt32()) {
      out = v.As<v8::Int32>()->Value();
      return Got::kOk;
    }
    return v->Int32Value(call.context()).To(&out) ? Got::kOk : Got::kThrew;
  }
};
template <>
struct Convert<std::uint32_t> {
  static constexpr const char* kExpected = "an unsigned 32-bit integer";
  // Exact, no coercion: ids handed out by a native come back unchanged.
  static Got from(Call&, v8::Local<v8::Value> v, std::uint32_t& out) {
    if (!v->IsUint32()) return Got::kWrong;
    out = v.As<v8::Uint32>()->Value();
    return Got::kOk;
  }
};
template <>
struct Convert<bool> {
  static constexpr const char* kExpected = "a boolean";
  // ToBoolean.
  static Got from(Call& call, v8::Local<v8::Value> v, bool& out) {
    out = v->BooleanValue(call.isolate());
    return Got::kOk;
  }
};
template <>
struct Convert<Bytes> {
  static constexpr const char* kExpected = "an ArrayBufferView";
  static Got from(Call&, v8::Local<v8::Value> v, Bytes& out) {
    if (!v->IsArrayBufferView()) return Got::kWrong;
    auto view = v.As<v8::ArrayBufferView>();
    out.data = static_cast<std::uint8_t*>(view->Buffer()->Data()) + view->ByteOffset();
    out.size = view->ByteLength();
    return Got::kOk;
  }
};
template <>
struct Convert<v8::Local<v8::Value>> {
  static constexpr const char* kExpected = "a value";
  static Got from(Call&, v8::Local<v8::Value> v, v8::Local<v8::Value>& out) {
    out = v;
    return Got::kOk;
  }
};
#define ZINNIA_BIND_LOCAL(Type, test, what)                                    \
  template <>                                                                  \
  struct Convert<v8::Local<v8::Type>> {                                        \
    static constexpr const char* kExpected = what;                             \
    static Got from(Call&, v8::Local<v8::Value> v, v8::Local<v8::Type>& out) { \
      if (!v->test()) return Got::kWrong;                                      \
      out = v.As<v8::Type>();                                                  \
      return Got::kOk;                                                         \
    }                                                                          \
  };
ZINNIA_BIND_LOCAL(Function, IsFunction, "a function")
ZINNIA_BIND_LOCAL(Object, IsObject, "an object")
ZINNIA_BIND_LOCAL(Array, IsArray, "an array")
ZINNIA_BIND_LOCAL(Promise, IsPromise, "a promise")
ZINNIA_BIND_LOCAL(String, IsString, "a string")
ZINNIA_BIND_LOCAL(Uint8Array, IsUint8Array, "a Uint8Array")
#undef ZINNIA_BIND_LOCAL
// Missing, undefined or null: nullopt (WebIDL optional / nullable).
template <class T>
struct Convert<std::optional<T>> {
  static constexpr const char* kExpected = Convert<T>::kExpected;
  static Got from(Call& call, v8::Local<v8::Value> v, std::optional<T>& out) {
    if (v->IsNullOrUndefined()) {
      out.reset();
      return Got::kOk;
    }
    T value{};
    Got got = Convert<T>::from(call, v, value);
    if (got == Got::kOk) out = std::move(value);
    return got;
  }
};

// --- Return values --------------------------------------------------------------------------
inline void set_return(Call& call, const std::string& s) {
  call.info().GetReturnValue().Set(to_v8(call.isolate(), s));
}
inline void set_return(Call& call, double d) { call.info().GetReturnValue().Set(d); }
inline void set_return(Call& call, std::int32_t i) { call.info().GetReturnValue().Set(i); }
inline void set_return(Call& call, std::uint32_t u) { call.info().GetReturnValue().Set(u); }
inline void set_return(Call& call, bool b) { call.info().GetReturnValue().Set(b); }
template <class T>
void set_return(Call& call, v8::Local<T> v) {
  if (!v.IsEmpty()) call.info().GetReturnValue().Set(v);
}
// Empty: the native failed with a JS exception pending.
template <class T>
void set_return(Call& call, v8::MaybeLocal<T> v) {
  v8::Local<T> local;
  if (v.ToLocal(&local)) call.info().GetReturnValue().Set(local);
}
// nullopt: undefined.
template <class T>
void set_return(Call& call, std::optional<T> v) {
  if (v) set_return(call, std::move(*v));
}

// --- Natives --------------------------------------------------------------------------------
// A name known at compile time (template argument of native<>).
template <std::size_t N>
struct Name {
  constexpr Name(const char (&s)[N]) {  // NOLINT(google-explicit-constructor)
    for (std::size_t i = 0; i < N; ++i) text[i] = s[i];
  }
  constexpr std::string_view view() const { return {text, N - 1}; }
  char text[N]{};
};

// A tag naming a per-module state type (compared by address).
template <class S>
const void* state_tag() {
  static const char tag = 0;
  return &tag;
}

struct Native {
  std::string_view name;
  v8::FunctionCallback callback = nullptr;
  int length = 0;                   // JS parameters (the function's `length`)
  const void* state_tag = nullptr;  // the state type it takes (null: none)
};

namespace detail {

// The per-module state a native's function data names (null once the module has ended).
void* state_at(const Call& call);
// Error "<native>: the module has ended".
void throw_ended(v8::Isolate* isolate, std::string_view name);

// TypeError "<native>: argument <i+1>: expected <what>" / "<native>: N argument(s) required".
void throw_bad_argument(v8::Isolate* isolate, std::string_view name, int index,
                        std::string_view expected);
void throw_missing(v8::Isolate* isolate, std::string_view name, int required, int given);

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
using bare = std::remove_cv_t<std::remove_reference_t<T>>;
template <class T>
constexpr bool is_call = std::is_same_v<bare<T>, Call>;
template <class T>
constexpr bool is_rest = std::is_same_v<bare<T>, Rest>;
// `S&` (non-const lvalue reference to a class other than Call): the extension's state.
template <class T>
constexpr bool is_state =
    std::is_lvalue_reference_v<T> && !std::is_const_v<std::remove_reference_t<T>> && !is_call<T> &&
    std::is_class_v<bare<T>>;
template <class T>
constexpr int js_arity = is_call<T> || is_state<T> || is_rest<T> ? 0 : 1;

// Arguments before the last non-optional one are required.
template <class... A>
constexpr int required_arity() {
  constexpr int arity[] = {0, js_arity<A>...};
  constexpr bool optional[] = {false, is_optional<bare<A>>::value...};
  int n = 0, last = 0;
  for (std::size_t i = 1; i < std::size(arity); ++i) {
    n += arity[i];
    if (arity[i] && !optional[i]) last = n;
  }
  return last;
}
template <class... A>
const void* find_state_tag() {
  const void* tag = nullptr;
  ((tag = is_state<A> ? state_tag<bare<A>>() : tag), ...);
  return tag;
}

// Where parameter I's value lives while the native runs.
template <class T>
struct Slot {
  bare<T> value{};
  bare<T>&& get() { return std::move(value); }
};
template <class T>
requires(is_state<T> || is_call<T>) struct Slot<T> {
  bare<T>* value = nullptr;
  bare<T>& get() { return *value; }
};
template <class T>
requires(is_rest<T>) struct Slot<T> {
  std::optional<Rest> value;
  Rest get() { return *value; }
};

template <Name N, auto Fn, class R, class... A>
struct Trampoline {
  using Params = std::tuple<A...>;
  static constexpr int kRequired = required_arity<A...>();

  template <std::size_t I>
  static constexpr int js_index() {
    return []<std::size_t... J>(std::index_sequence<J...>) {
      return (0 + ... + js_arity<std::tuple_element_t<J, Params>>);
    }
    (std::make_index_sequence<I>{});
  }

  template <std::size_t I, class T = std::tuple_element_t<I, Params>>
  static bool load(Call& call, Slot<T>& slot) {
    if constexpr (is_call<T>) {
      slot.value = &call;
    } else if constexpr (is_state<T>) {
      slot.value = static_cast<bare<T>*>(state_at(call));
      if (!slot.value) {
        throw_ended(call.isolate(), N.view());
        return false;
      }
    } else if constexpr (is_rest<T>) {
      slot.value.emplace(call.info(), js_index<I>());
    } else {
      constexpr int index = js_index<I>();
      switch (Convert<bare<T>>::from(call, call.info()[index], slot.value)) {
        case Got::kOk:
          return true;
        case Got::kWrong:
          throw_bad_argument(call.isolate(), N.view(), index, Convert<bare<T>>::kExpected);
          return false;
        case Got::kThrew:
          return false;
      }
    }
    return true;
  }

  static void callback(const v8::FunctionCallbackInfo<v8::Value>& info) {
    if (info.Length() < kRequired)
      return throw_missing(info.GetIsolate(), N.view(), kRequired, info.Length());
    Call call(info);
    std::tuple<Slot<A>...> slots;
    const bool ok = [&]<std::size_t... I>(std::index_sequence<I...>) {
      return (load<I>(call, std::get<I>(slots)) && ...);
    }
    (std::index_sequence_for<A...>{});
    if (!ok) return;
    try {
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        if constexpr (std::is_void_v<R>) {
          Fn(std::get<I>(slots).get()...);
        } else {
          set_return(call, Fn(std::get<I>(slots).get()...));
        }
      }
      (std::index_sequence_for<A...>{});
    } catch (const Exception& e) {
      e.throw_js(call.isolate());
    }
  }
};

template <Name N, auto Fn, class F = decltype(Fn)>
struct Make;
template <Name N, auto Fn, class R, class... A>
struct Make<N, Fn, R (*)(A...)> {
  static constexpr bool kStateless = (!is_state<A> && ...);
  static Native make() {
    return Native{N.view(), &Trampoline<N, Fn, R, A...>::callback, (0 + ... + js_arity<A>),
                  find_state_tag<A...>()};
  }
};

}  // namespace detail

// The native `N` calling `Fn`, a function known at compile time: bind::native<"btoa", &btoa>().
template <Name N, auto Fn>
Native native() {
  return detail::Make<N, Fn>::make();
}

// A function object for a native used inside the engine (a promise reaction, ...), not put
// on `host`; `data` is what Call::data() returns.
template <Name N, auto Fn>
v8::Local<v8::Function> function(v8::Local<v8::Context> context, v8::Local<v8::Value> data = {}) {
  static_assert(detail::Make<N, Fn>::kStateless, "a state needs an extension");
  Native n = native<N, Fn>();
  auto fn = v8::Function::New(context, n.callback, data, n.length, v8::ConstructorBehavior::kThrow)
                .ToLocalChecked();
  fn->SetName(to_v8(context->GetIsolate(), N.view(), true));
  return fn;
}

// --- Extensions -----------------------------------------------------------------------------
// A number shared by JS and C++ (e.g. fetch's event kinds), declared once on the C++ side.
struct Constant {
  std::string_view name;
  double value;
};
// host[name] = a frozen object of constants (e.g. host.fetchEvent.DATA).
struct ConstantGroup {
  std::string_view name;
  std::vector<Constant> values;
};

// One API group: its bootstrap JS, its built-in modules, its natives and constants on `host`,
// and its typed per-module state. Declared once (bind::extension<S>(...)), listed once
// (engine/runtime/extensions.cc).
struct Extension {
  std::string_view name = {};
  std::vector<std::string_view> js = {};       // bootstrap files (repo paths), run in this order
  std::vector<std::string_view> modules = {};  // built-in modules ("zinnia:fs") it provides
  std::vector<Native> natives = {};            // on `host`; "a.b" puts b on host.a
  std::vector<ConstantGroup> constants = {};
  // Per-module state given to natives taking `S&`: made before the natives are installed
  // (module thread, inside the context), destroyed when the module's loop closes.
  const void* state_tag = nullptr;
  void* (*create)(v8::Local<v8::Context> context) = nullptr;
  void (*destroy)(void* state) = nullptr;
  // Plain values on `host` for this module (may be null).
  void (*values)(v8::Local<v8::Context> context, void* state,
                 const std::function<void(std::string_view, v8::Local<v8::Value>)>& set) = nullptr;
};

// How the state S of an extension is made: owned (new S(context) / delete) unless S declares
// `static S* borrow(v8::Local<v8::Context>)` (state owned elsewhere, e.g. the module's Api).
template <class S>
Extension with_state(Extension e) {
  e.state_tag = state_tag<S>();
  if constexpr (requires(v8::Local<v8::Context> c) { S::borrow(c); }) {
    e.create = [](v8::Local<v8::Context> c) -> void* { return S::borrow(c); };
  } else {
    e.create = [](v8::Local<v8::Context> c) -> void* { return new S(c); };
    e.destroy = [](void* p) { delete static_cast<S*>(p); };
  }
  return e;
}

// Checks a list of extensions: every native and constant group name used once across all of
// them (a name registered twice is an error, not "the last one wins"), every native's state
// type its extension's. Returns the problems found, one per line ("" if none).
std::string check(std::span<const Extension* const> extensions);

// Installs `ext`'s natives and constants on `host` with `state` (module thread). Throws a JS
// Error and returns false when a name is already on `host`. `values`: false when making a
// startup snapshot (the values are per module: attach_values() puts them on after).
bool install(v8::Local<v8::Context> context, v8::Local<v8::Object> host, const Extension& ext,
             void* state, bool values = true);

// A native's function data is not a pointer to its state (a startup snapshot cannot hold
// one) but the index of the state in the isolate's table, in install order. For a context
// deserialized from a snapshot, the states are registered again in the same order.
void register_state(v8::Isolate* isolate, void* state);
// Puts `ext`'s per-module values on `host` (a context from a startup snapshot).
bool attach_values(v8::Local<v8::Context> context, v8::Local<v8::Object> host, const Extension& ext,
                   void* state);
// Forgets the isolate's states and DOMException class (before disposal; idempotent).
void forget(v8::Isolate* isolate);

}  // namespace zinnia::engine::bind
