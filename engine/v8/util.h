#pragma once
#include <v8.h>

#include <string>
#include <string_view>

// Small helpers over the V8 API used by every engine layer.
namespace zinnia::engine {

// Drops a V8 Maybe/MaybeLocal whose failure is already handled by a TryCatch (GCC ignores a
// (void) cast on warn_unused_result).
template <class T>
inline void discard(T&&) {}

// A UTF-8 std::string_view as a V8 string (internalized when `internalize`).
v8::Local<v8::String> to_v8(v8::Isolate* isolate, std::string_view text, bool internalize = false);
// For `text` that lives as long as the process (embedded JS): a resource through which V8
// reads it in place as Latin-1, so only for ASCII text (is_ascii). Made once and never freed:
// one serves every isolate, and a startup snapshot refers to it by address (an external
// reference).
v8::String::ExternalOneByteStringResource* static_resource(std::string_view text);
bool is_ascii(std::string_view text);
// A string over `text` through `resource` (static_resource(text)); decoded like to_v8() when
// the resource is null.
v8::Local<v8::String> static_string(v8::Isolate* isolate,
                                    v8::String::ExternalOneByteStringResource* resource,
                                    std::string_view text);
// Any value as UTF-8 text (ToString semantics; "" if ToString throws).
std::string to_utf8(v8::Isolate* isolate, v8::Local<v8::Value> value);

// Schedule `new Error(message)` (or TypeError/RangeError) as the pending exception.
void throw_error(v8::Isolate* isolate, std::string_view message);
void throw_type_error(v8::Isolate* isolate, std::string_view message);
void throw_range_error(v8::Isolate* isolate, std::string_view message);

// What an exception says: "Uncaught Error: boom" and the stack "Error: boom\n    at file:1:7".
struct ErrorReport {
  std::string message;  // one line, prefixed as asked (e.g. "Uncaught ", "Uncaught (in promise) ")
  std::string stack;    // error.stack if it has one, else "    at file:line:col"; may be empty
  std::string source;   // the source line and a caret under the column, as Deno shows; may be empty
};
// "  throw new Error(x);\n        ^": the line `message` points at and a caret under its
// column; empty when the message has no source line.
std::string source_excerpt(v8::Local<v8::Context> context, v8::Local<v8::Message> message);
ErrorReport describe_exception(v8::Isolate* isolate, v8::Local<v8::Context> context,
                               v8::Local<v8::Value> exception, v8::Local<v8::Message> message,
                               std::string_view prefix);

// Sets `name` on `target` to a function calling `callback` (data: `data`).
void set_method(v8::Local<v8::Context> context, v8::Local<v8::Object> target, std::string_view name,
                v8::FunctionCallback callback, v8::Local<v8::Value> data = {});

}  // namespace zinnia::engine
