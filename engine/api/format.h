#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace zinnia::engine {

// One console argument, as the pure formatter sees it.
struct FormatArg {
  enum class Kind : std::uint8_t { kString, kNumber, kBigInt, kBoolean, kNull, kUndefined, kOther };
  Kind kind = Kind::kOther;
  std::string text;   // String(value) for every kind but kOther
  double number = 0;  // kNumber
};

// How args[index] looks: mode 'o'/'O' (%o/%O), 'j' (%j: JSON), 's' (%s of an object),
// 'i' (an argument printed after the format string is used up).
using InspectFn = std::function<std::string(std::size_t index, char mode)>;

// console.log's formatting (WHATWG console "Formatter", as Deno): when there are two or more
// arguments and the first is a string, it is a format with %s %d %i %f %o %O %j %c %%; the
// remaining arguments follow, separated by spaces (strings as they are, others inspected).
// Pure C++: no V8; `inspect` is only called for kOther values and for %o/%O/%j.
std::string format_console(std::span<const FormatArg> args, const InspectFn& inspect);

}  // namespace zinnia::engine
