// Fuzzes the module specifier resolver against a real folder layout with a symlink that
// leads out of the module root. Whatever the specifier: no crash; a file result is an
// existing regular file inside the root, in canonical form; only "zinnia:" names are
// built-ins.
#include <unistd.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "engine/modules/resolver.h"

namespace fs = std::filesystem;
using zinnia::engine::resolve_specifier;
using zinnia::engine::Resolved;
using zinnia::engine::ResolveOptions;

#define CHECK(cond)                \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

namespace {

struct Layout {
  fs::path base;
  ResolveOptions options;
  std::string referrer;
  std::string referrer_nested;

  Layout() {
    char tmpl[] = "/tmp/zinnia-fuzz-resolver-XXXXXX";
    base = fs::canonical(::mkdtemp(tmpl));
    fs::create_directories(base / "root/sub/deeper");
    fs::create_directories(base / "outside");
    for (const char* f : {"root/main.js", "root/a.js", "root/sub/b.js", "root/sub/deeper/c.js",
                          "root/data.json", "root/a b.js", "outside/secret.js"})
      std::ofstream(base / f) << "export default 1;\n";
    fs::create_symlink(base / "outside", base / "root/escape");
    fs::create_symlink(base / "outside/secret.js", base / "root/secret.js");
    fs::create_symlink(base / "root/a.js", base / "root/alias.js");
    options.root = base / "root";
    referrer = (base / "root/main.js").string();
    referrer_nested = (base / "root/sub/deeper/c.js").string();
  }
  ~Layout() {
    std::error_code ec;
    fs::remove_all(base, ec);
  }
};

bool inside(const std::string& path, const std::string& root) {
  return path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
         path[root.size()] == '/';
}

void check(const Resolved& r, const Layout& l) {
  switch (r.kind) {
    case Resolved::Kind::kFile: {
      CHECK(inside(r.value, l.options.root.string()));
      std::error_code ec;
      CHECK(fs::is_regular_file(r.value, ec));
      char real[PATH_MAX];
      CHECK(::realpath(r.value.c_str(), real) != nullptr && r.value == real);
      break;
    }
    case Resolved::Kind::kBuiltin:
      CHECK(r.value.starts_with("zinnia:"));
      break;
    case Resolved::Kind::kError:
      CHECK(!r.value.empty());
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Layout layout;
  // Absolute-path specifiers in the corpus are written against "/ROOT/"; map them here so
  // seeds can name real files of this run's layout.
  std::string spec(reinterpret_cast<const char*>(data), size);
  for (std::size_t at; (at = spec.find("/ROOT")) != std::string::npos;)
    spec.replace(at, 5, layout.options.root.string());
  check(resolve_specifier(spec, layout.referrer, layout.options), layout);
  check(resolve_specifier(spec, layout.referrer_nested, layout.options), layout);
  // From a built-in, only names resolve.
  const Resolved b = resolve_specifier(spec, "zinnia:test", layout.options);
  CHECK(b.kind != Resolved::Kind::kFile || spec.starts_with("file:"));
  check(b, layout);
  return 0;
}
