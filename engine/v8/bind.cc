#include "engine/v8/bind.h"

#include <map>
#include <set>
#include <vector>

namespace zinnia::engine::bind {
namespace {

constexpr int kBindSlot = 3;  // isolate data slot holding the binding layer's IsolateData

// Per isolate: the realm's DOMException class and the extensions' states (by index).
struct IsolateData {
  v8::Global<v8::Function> dom_exception;
  std::vector<void*> states;
};

IsolateData* isolate_data(v8::Isolate* isolate) {
  return static_cast<IsolateData*>(isolate->GetData(kBindSlot));
}
IsolateData& isolate_data_or_new(v8::Isolate* isolate) {
  auto* data = isolate_data(isolate);
  if (!data) {
    data = new IsolateData;
    isolate->SetData(kBindSlot, data);
  }
  return *data;
}

// WebIDL's legacy codes of the DOMException names a native may throw (the JS class has them
// all; this is the fallback before it exists).
int legacy_code(std::string_view name) {
  static const std::map<std::string_view, int> codes = {
      {"IndexSizeError", 1},      {"InvalidCharacterError", 5}, {"NotFoundError", 8},
      {"NotSupportedError", 9},   {"InvalidStateError", 11},    {"SyntaxError", 12},
      {"InvalidAccessError", 15}, {"TypeMismatchError", 17},    {"SecurityError", 18},
      {"NetworkError", 19},       {"AbortError", 20},           {"QuotaExceededError", 22},
      {"TimeoutError", 23},       {"DataCloneError", 25}};
  auto it = codes.find(name);
  return it == codes.end() ? 0 : it->second;
}

}  // namespace

void set_dom_exception_class(v8::Isolate* isolate, v8::Local<v8::Function> ctor) {
  isolate_data_or_new(isolate).dom_exception.Reset(isolate, ctor);
}

void forget(v8::Isolate* isolate) {
  if (auto* data = isolate_data(isolate)) {
    data->dom_exception.Reset();
    delete data;
    isolate->SetData(kBindSlot, nullptr);
  }
}

void register_state(v8::Isolate* isolate, void* state) {
  isolate_data_or_new(isolate).states.push_back(state);
}

void throw_dom_exception(v8::Isolate* isolate, std::string_view name, std::string_view message) {
  auto context = isolate->GetCurrentContext();
  if (auto* data = isolate_data(isolate); data && !data->dom_exception.IsEmpty()) {
    v8::Local<v8::Value> argv[] = {to_v8(isolate, message), to_v8(isolate, name)};
    v8::Local<v8::Object> error;
    // The constructor may itself throw (stack overflow): that exception then stands.
    if (data->dom_exception.Get(isolate)->NewInstance(context, 2, argv).ToLocal(&error))
      isolate->ThrowException(error);
    return;
  }
  auto error = v8::Exception::Error(to_v8(isolate, message)).As<v8::Object>();
  discard(error->Set(context, to_v8(isolate, "name"), to_v8(isolate, name)));
  discard(
      error->Set(context, to_v8(isolate, "code"), v8::Integer::New(isolate, legacy_code(name))));
  isolate->ThrowException(error);
}

void Exception::throw_js(v8::Isolate* isolate) const {
  switch (kind_) {
    case Kind::kError:
      return throw_error(isolate, message_);
    case Kind::kTypeError:
      return throw_type_error(isolate, message_);
    case Kind::kRangeError:
      return throw_range_error(isolate, message_);
    case Kind::kDOMException:
      return throw_dom_exception(isolate, dom_name_, message_);
    case Kind::kPending:
      return;
  }
}

Got Convert<DOMString>::from(Call& call, v8::Local<v8::Value> v, DOMString& out) {
  if (v->IsString()) {
    out.value = to_utf8(call.isolate(), v);
    return Got::kOk;
  }
  v8::Local<v8::String> s;
  if (!v->ToString(call.context()).ToLocal(&s)) return Got::kThrew;
  out.value = to_utf8(call.isolate(), s);
  return Got::kOk;
}

Got Convert<UTF16String>::from(Call& call, v8::Local<v8::Value> v, UTF16String& out) {
  v8::Local<v8::String> s;
  if (!v->ToString(call.context()).ToLocal(&s)) return Got::kThrew;
  out.value.resize(static_cast<std::size_t>(s->Length()));
  s->Write(call.isolate(), reinterpret_cast<std::uint16_t*>(out.value.data()), 0, s->Length(),
           v8::String::NO_NULL_TERMINATION);
  return Got::kOk;
}

namespace detail {

void* state_at(const Call& call) {
  auto* data = isolate_data(call.isolate());
  auto index = static_cast<std::size_t>(call.data().As<v8::Int32>()->Value());
  return data && index < data->states.size() ? data->states[index] : nullptr;
}

void throw_ended(v8::Isolate* isolate, std::string_view name) {
  throw_error(isolate, std::string(name) + ": the module has ended");
}

void throw_bad_argument(v8::Isolate* isolate, std::string_view name, int index,
                        std::string_view expected) {
  throw_type_error(isolate, std::string(name) + ": argument " + std::to_string(index + 1) +
                                " must be " + std::string(expected));
}

void throw_missing(v8::Isolate* isolate, std::string_view name, int required, int given) {
  throw_type_error(isolate, std::string(name) + ": " + std::to_string(required) + " argument" +
                                (required == 1 ? "" : "s") + " required, but only " +
                                std::to_string(given) + " present");
}

}  // namespace detail

std::string check(std::span<const Extension* const> extensions) {
  std::string problems;
  std::map<std::string, std::string_view> owner;  // name on host -> extension
  std::set<std::string_view> extension_names;
  auto claim = [&](const Extension& ext, std::string name) {
    auto [it, fresh] = owner.emplace(name, ext.name);
    if (!fresh)
      problems += "host." + name + " is registered twice (by extension '" +
                  std::string(it->second) + "' and '" + std::string(ext.name) + "')\n";
  };
  for (const Extension* ext : extensions) {
    if (!extension_names.insert(ext->name).second)
      problems += "extension '" + std::string(ext->name) + "' is listed twice\n";
    for (const Native& n : ext->natives) {
      claim(*ext, std::string(n.name));
      if (n.state_tag && n.state_tag != ext->state_tag)
        problems += "native " + std::string(n.name) + " takes a state that extension '" +
                    std::string(ext->name) + "' does not have\n";
    }
    for (const ConstantGroup& g : ext->constants) {
      claim(*ext, std::string(g.name));
      std::set<std::string_view> seen;
      for (const Constant& c : g.values)
        if (!seen.insert(c.name).second)
          problems += "constant " + std::string(g.name) + "." + std::string(c.name) +
                      " is declared twice\n";
    }
  }
  // A native "a.b" needs host.a to be its own namespace, not also a native.
  for (const auto& [name, ext] : owner) {
    auto dot = name.find('.');
    if (dot != std::string::npos && owner.count(name.substr(0, dot)))
      problems += "host." + name.substr(0, dot) + " is both a native and a namespace\n";
  }
  return problems;
}

namespace {
// Every name at most once on host, whatever the list looks like.
bool put(v8::Local<v8::Context> context, const Extension& ext, v8::Local<v8::Object> target,
         std::string_view name, v8::Local<v8::Value> value) {
  auto* isolate = context->GetIsolate();
  auto key = to_v8(isolate, name, true);
  if (target->HasOwnProperty(context, key).FromMaybe(true)) {
    throw_error(isolate, "extension '" + std::string(ext.name) + "': host name '" +
                             std::string(name) + "' is registered twice");
    return false;
  }
  return target->CreateDataProperty(context, key, value).FromMaybe(false);
}
}  // namespace

bool attach_values(v8::Local<v8::Context> context, v8::Local<v8::Object> host, const Extension& ext,
                   void* state) {
  if (!ext.values) return true;
  bool ok = true;
  ext.values(context, state, [&](std::string_view name, v8::Local<v8::Value> value) {
    if (ok) ok = put(context, ext, host, name, value);
  });
  return ok;
}

bool install(v8::Local<v8::Context> context, v8::Local<v8::Object> host, const Extension& ext,
             void* state, bool values) {
  auto* isolate = context->GetIsolate();
  auto put = [&](v8::Local<v8::Object> target, std::string_view name, v8::Local<v8::Value> value) {
    return bind::put(context, ext, target, name, value);
  };
  v8::Local<v8::Value> data;
  if (state) {
    auto& table = isolate_data_or_new(isolate).states;
    data = v8::Integer::New(isolate, static_cast<std::int32_t>(table.size()));
    table.push_back(state);
  }
  for (const Native& n : ext.natives) {
    v8::Local<v8::Object> target = host;
    std::string_view leaf = n.name;
    if (auto dot = n.name.find('.'); dot != std::string_view::npos) {
      auto ns_key = to_v8(isolate, n.name.substr(0, dot), true);
      v8::Local<v8::Value> ns;
      if (!host->Get(context, ns_key).ToLocal(&ns)) return false;
      if (!ns->IsObject()) {
        ns = v8::Object::New(isolate);
        if (!put(host, n.name.substr(0, dot), ns)) return false;
      }
      target = ns.As<v8::Object>();
      leaf = n.name.substr(dot + 1);
    }
    auto fn =
        v8::Function::New(context, n.callback, data, n.length, v8::ConstructorBehavior::kThrow)
            .ToLocalChecked();
    fn->SetName(to_v8(isolate, leaf, true));
    if (!put(target, leaf, fn)) return false;
  }
  for (const ConstantGroup& g : ext.constants) {
    auto obj = v8::Object::New(isolate);
    for (const Constant& c : g.values)
      discard(obj->CreateDataProperty(context, to_v8(isolate, c.name, true),
                                      v8::Number::New(isolate, c.value)));
    discard(obj->SetIntegrityLevel(context, v8::IntegrityLevel::kFrozen));
    if (!put(host, g.name, obj)) return false;
  }
  return !values || attach_values(context, host, ext, state);
}

}  // namespace zinnia::engine::bind
