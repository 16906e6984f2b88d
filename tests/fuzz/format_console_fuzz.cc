// Fuzzes console.log's formatter: any arguments, any format string. The formatter must not
// crash, must only ask `inspect` about arguments that exist, and must keep plain text as is.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "engine/api/format.h"

using zinnia::engine::format_console;
using zinnia::engine::FormatArg;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

// Input: a sequence of arguments, each a kind byte, a length byte and that many text bytes;
// numbers take 8 bytes of double.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<FormatArg> args;
  std::size_t i = 0;
  while (i < size && args.size() < 64) {
    FormatArg a;
    a.kind = static_cast<FormatArg::Kind>(data[i++] % 7);
    if (a.kind == FormatArg::Kind::kNumber) {
      if (size - i < sizeof(double)) break;
      std::memcpy(&a.number, data + i, sizeof(double));
      i += sizeof(double);
      a.text = "num";
    } else {
      std::size_t n = i < size ? data[i++] : 0;
      if (n > size - i) n = size - i;
      a.text.assign(reinterpret_cast<const char*>(data + i), n);
      i += n;
    }
    args.push_back(std::move(a));
  }
  std::size_t calls = 0;
  const std::string out = format_console(args, [&](std::size_t index, char mode) {
    CHECK(index < args.size());
    CHECK(mode == 'o' || mode == 'O' || mode == 'j' || mode == 's' || mode == 'i');
    CHECK(args[index].kind == FormatArg::Kind::kOther || mode == 'o' || mode == 'O' || mode == 'j');
    ++calls;
    return std::string("<obj>");
  });
  CHECK(calls <= args.size());
  // A lone string (or anything with no format string) is printed as it is, joined by spaces.
  if (args.size() == 1 && args[0].kind == FormatArg::Kind::kString) CHECK(out == args[0].text);
  if (!args.empty() && args[0].kind != FormatArg::Kind::kString) {
    std::string joined;
    for (std::size_t k = 0; k < args.size(); ++k) {
      if (k > 0) joined += ' ';
      const auto& a = args[k];
      if (a.kind == FormatArg::Kind::kOther)
        joined += "<obj>";
      else
        joined += a.kind == FormatArg::Kind::kBigInt ? a.text + "n" : a.text;
    }
    CHECK(out == joined);
  }
  return 0;
}
