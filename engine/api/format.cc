#include "engine/api/format.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace zinnia::engine {
namespace {

std::string number_text(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  if (x == std::trunc(x) && std::fabs(x) < 1e21) {
    std::snprintf(buf, sizeof buf, "%.0f", x);
  } else {
    std::snprintf(buf, sizeof buf, "%.17g", x);
    // Shortest form that reads back the same, like JS's Number#toString.
    for (int p = 1; p <= 17; ++p) {
      char t[64];
      std::snprintf(t, sizeof t, "%.*g", p, x);
      if (std::strtod(t, nullptr) == x) {
        std::snprintf(buf, sizeof buf, "%s", t);
        break;
      }
    }
  }
  return buf;
}

// parseInt / parseFloat of a string's leading number; NaN when there is none.
double parse_prefix(const std::string& s, bool integer) {
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  const char* begin = s.c_str() + i;
  char* end = nullptr;
  double v =
      integer ? static_cast<double>(std::strtoll(begin, &end, 10)) : std::strtod(begin, &end);
  if (end == begin) return NAN;
  return v;
}

}  // namespace

std::string format_console(std::span<const FormatArg> args, const InspectFn& inspect) {
  using Kind = FormatArg::Kind;
  std::string out;
  std::size_t next = 0;
  if (args.size() >= 2 && args[0].kind == Kind::kString) {
    const std::string& f = args[0].text;
    next = 1;
    out.reserve(f.size() + 16);
    for (std::size_t i = 0; i < f.size(); ++i) {
      char c = f[i];
      if (c != '%' || i + 1 >= f.size()) {
        out.push_back(c);
        continue;
      }
      char spec = f[i + 1];
      if (spec == '%') {
        out.push_back('%');
        ++i;
        continue;
      }
      if (std::string_view("sdifoOjc").find(spec) == std::string_view::npos ||
          next >= args.size()) {
        out.push_back(c);
        continue;
      }
      ++i;
      const FormatArg& a = args[next];
      std::size_t index = next++;
      switch (spec) {
        case 's':
          if (a.kind == Kind::kOther)
            out += inspect(index, 's');
          else
            out += a.kind == Kind::kBigInt ? a.text + "n" : a.text;
          break;
        case 'd':
        case 'i': {
          if (a.kind == Kind::kBigInt) {
            out += a.text + "n";
          } else if (a.kind == Kind::kNumber) {
            out += number_text(std::trunc(a.number));
          } else if (a.kind == Kind::kString) {
            out += number_text(parse_prefix(a.text, true));
          } else {
            out += "NaN";
          }
          break;
        }
        case 'f':
          if (a.kind == Kind::kNumber)
            out += a.text;
          else if (a.kind == Kind::kString)
            out += number_text(parse_prefix(a.text, false));
          else
            out += "NaN";
          break;
        case 'o':
        case 'O':
        case 'j':
          out += inspect(index, spec);
          break;
        case 'c':  // CSS: no colour in text output
          break;
      }
    }
  }
  for (; next < args.size(); ++next) {
    if (!out.empty() || next > 0) out.push_back(' ');
    const FormatArg& a = args[next];
    if (a.kind == Kind::kOther)
      out += inspect(next, 'i');
    else
      out += a.kind == Kind::kBigInt ? a.text + "n" : a.text;
  }
  return out;
}

}  // namespace zinnia::engine
