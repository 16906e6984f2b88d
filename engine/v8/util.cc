#include "engine/v8/util.h"

namespace zinnia::engine {

v8::Local<v8::String> to_v8(v8::Isolate* isolate, std::string_view text, bool internalize) {
  return v8::String::NewFromUtf8(
             isolate, text.data(),
             internalize ? v8::NewStringType::kInternalized : v8::NewStringType::kNormal,
             static_cast<int>(text.size()))
      .ToLocalChecked();
}

std::string to_utf8(v8::Isolate* isolate, v8::Local<v8::Value> value) {
  if (value.IsEmpty()) return {};
  v8::Local<v8::String> s;
  if (value->IsString()) {
    s = value.As<v8::String>();
  } else {
    v8::TryCatch try_catch(isolate);
    if (!value->ToString(isolate->GetCurrentContext()).ToLocal(&s)) return {};
  }
  std::string out(static_cast<std::size_t>(s->Utf8Length(isolate)), '\0');
  s->WriteUtf8(isolate, out.data(), static_cast<int>(out.size()), nullptr,
               v8::String::NO_NULL_TERMINATION | v8::String::REPLACE_INVALID_UTF8);
  return out;
}

void throw_error(v8::Isolate* isolate, std::string_view message) {
  isolate->ThrowException(v8::Exception::Error(to_v8(isolate, message)));
}
void throw_type_error(v8::Isolate* isolate, std::string_view message) {
  isolate->ThrowException(v8::Exception::TypeError(to_v8(isolate, message)));
}
void throw_range_error(v8::Isolate* isolate, std::string_view message) {
  isolate->ThrowException(v8::Exception::RangeError(to_v8(isolate, message)));
}

std::string source_excerpt(v8::Local<v8::Context> context, v8::Local<v8::Message> message) {
  auto* isolate = context->GetIsolate();
  v8::Local<v8::String> line;
  if (!message->GetSourceLine(context).ToLocal(&line)) return {};
  std::string text = to_utf8(isolate, line);
  const int column = message->GetStartColumn(context).FromMaybe(-1);
  if (text.empty() || column < 0 || static_cast<std::size_t>(column) > text.size()) return {};
  // Tabs stay tabs so the caret lines up; every other character is one column.
  std::string caret;
  for (int i = 0; i < column; ++i) caret += text[static_cast<std::size_t>(i)] == '\t' ? '\t' : ' ';
  return text + "\n" + caret + "^";
}

ErrorReport describe_exception(v8::Isolate* isolate, v8::Local<v8::Context> context,
                               v8::Local<v8::Value> exception, v8::Local<v8::Message> message,
                               std::string_view prefix) {
  v8::HandleScope scope(isolate);
  v8::TryCatch try_catch(isolate);
  ErrorReport report;
  // Where the error was made (its captured stack) for errors, where it was thrown otherwise;
  // before error.stack is read, which replaces the captured frames with text.
  v8::Local<v8::Message> at = message;
  if (exception->IsNativeError() || at.IsEmpty()) {
    auto made = v8::Exception::CreateMessage(isolate, exception);
    if (!made.IsEmpty() && made->GetLineNumber(context).FromMaybe(0) > 0) at = made;
  }
  if (!at.IsEmpty()) report.source = source_excerpt(context, at);
  std::string text;
  if (exception->IsNativeError() || exception->IsObject()) {
    // "Error: boom" the way Error.prototype.toString says it; objects fall back to their
    // string form.
    text = to_utf8(isolate, exception);
    v8::Local<v8::Value> stack;
    if (exception->IsObject() &&
        exception.As<v8::Object>()->Get(context, to_v8(isolate, "stack")).ToLocal(&stack) &&
        stack->IsString())
      report.stack = to_utf8(isolate, stack);
  } else if (exception->IsString()) {
    text = to_utf8(isolate, exception);
  } else {
    text = to_utf8(isolate, exception);
  }
  // Syntax errors and thrown non-errors carry no frames: say where from the message.
  if (report.stack.find("\n    at ") == std::string::npos && !message.IsEmpty()) {
    std::string where = to_utf8(isolate, message->GetScriptResourceName());
    int line = message->GetLineNumber(context).FromMaybe(0);
    int column = message->GetStartColumn(context).FromMaybe(-1) + 1;
    if (!where.empty() && where != "undefined" && line > 0) {
      if (!report.stack.empty()) report.stack += "\n";
      report.stack += "    at " + where + ":" + std::to_string(line) + ":" + std::to_string(column);
    }
  }
  if (auto nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
  report.message = std::string(prefix) + text;
  return report;
}

void set_method(v8::Local<v8::Context> context, v8::Local<v8::Object> target, std::string_view name,
                v8::FunctionCallback callback, v8::Local<v8::Value> data) {
  auto* isolate = context->GetIsolate();
  auto key = to_v8(isolate, name, true);
  auto fn = v8::Function::New(context, callback, data, 0, v8::ConstructorBehavior::kThrow)
                .ToLocalChecked();
  fn->SetName(key);
  discard(target->Set(context, key, fn));
}

}  // namespace zinnia::engine
