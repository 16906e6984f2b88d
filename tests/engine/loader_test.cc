#include <gtest/gtest.h>

#include <filesystem>

#include "engine/modules/resolver.h"
#include "tests/engine/engine_harness.h"

namespace zinnia::engine::testing {
namespace {

namespace fs = std::filesystem;
using zinnia::testing::TempDir;

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

TEST(Loader, StaticDynamicJsonBuiltinAndTopLevelAwait) {
  auto r = run_file(fixture("loader/main.js"));
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message << "\n" << r.exit.stack;
  EXPECT_EQ(r.lines, (std::vector<std::string>{
                         "static 42",
                         "json fixture 3",
                         "dynamic evaluated false",
                         "dynamic 7 true",
                         "same instance true",
                         "dynamic json true",
                         "meta true true true true",
                         "after await",
                     }));
}

// root/main.js plus a sibling outside the root, and a symlink inside pointing outside.
struct Sandbox {
  TempDir dir;
  fs::path root = dir.path() / "root";
  Sandbox() {
    write_file(dir.path() / "outside.js", "export const secret = 1;\n");
    write_file(root / "inside.js", "export const ok = 1;\n");
    fs::create_symlink(dir.path() / "outside.js", root / "link.js");
    fs::create_directories(root / "sub");
  }
  Run run(std::string_view main, bool sandboxed = true) {
    write_file(root / "main.js", main);
    auto o = options_for(root / "main.js");
    o.sandboxed = sandboxed;
    return run_file(root / "main.js", o);
  }
};

TEST(Loader, StaticImportOutsideRootIsRefusedNamingOnlyTheSpecifier) {
  Sandbox s;
  auto r = s.run("import { secret } from '../outside.js';\nconsole.log(secret);\n");
  EXPECT_EQ(r.exit.reason, ExitReason::kUncaught);
  EXPECT_EQ(r.exit.code, 1);
  EXPECT_TRUE(contains(r.exit.message,
                       "Module not found \"../outside.js\" (a module imports only "
                       "files inside its own folder)"))
      << r.exit.message;
  EXPECT_FALSE(contains(r.exit.message, s.dir.path().string())) << r.exit.message;
  EXPECT_TRUE(r.lines.empty());
}

TEST(Loader, SymlinkPointingOutsideIsRefused) {
  Sandbox s;
  auto r = s.run("import { secret } from './link.js';\nconsole.log(secret);\n");
  EXPECT_EQ(r.exit.reason, ExitReason::kUncaught);
  EXPECT_TRUE(contains(r.exit.message, "Module not found \"./link.js\"")) << r.exit.message;
  EXPECT_TRUE(r.lines.empty());
}

TEST(Loader, DynamicImportOutsideRootRejects) {
  Sandbox s;
  auto r = s.run(R"js(
    for (const spec of ["../outside.js", "./link.js", "/etc/passwd", "file:///etc/hostname",
                        "https://example.com/x.js", "node:fs", "lodash", "zinnia:nope", "./inside.js"]) {
      try { const m = await import(spec); console.log("loaded", spec, Object.keys(m).join()); }
      catch (e) { console.log("refused", spec, e.constructor.name, e.message.includes("refused") || e.message.includes("Module not found") || e.message.includes("not prefixed") || e.message.includes("Unknown built-in")); }
    }
  )js");
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message;
  EXPECT_EQ(r.lines, (std::vector<std::string>{
                         "refused ../outside.js TypeError true",
                         "refused ./link.js TypeError true",
                         "refused /etc/passwd TypeError true",
                         "refused file:///etc/hostname TypeError true",
                         "refused https://example.com/x.js TypeError true",
                         "refused node:fs TypeError true",
                         "refused lodash TypeError true",
                         "refused zinnia:nope TypeError true",
                         "loaded ./inside.js ok",
                     }));
}

TEST(Loader, RemoteSchemesRefusedWithClearError) {
  Sandbox s;
  auto r = s.run("import 'https://deno.land/std/assert/mod.ts';\n");
  EXPECT_EQ(r.exit.reason, ExitReason::kUncaught);
  EXPECT_TRUE(contains(r.exit.message, "https://deno.land/std/assert/mod.ts")) << r.exit.message;
  EXPECT_TRUE(contains(r.exit.message, "https: scheme is not supported")) << r.exit.message;
}

TEST(Loader, NotSandboxedAllowsOutsideButNotRemote) {
  Sandbox s;
  auto r = s.run(R"js(
    import { secret } from "../outside.js";
    console.log("secret", secret);
    await import("https://example.com/x.js").catch((e) => console.log(e.message.includes("not supported")));
  )js",
                 false);
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message;
  EXPECT_EQ(r.lines, (std::vector<std::string>{"secret 1", "true"}));
}

TEST(Loader, JsonNeedsAssertionAndMissingFilesAreNamed) {
  Sandbox s;
  write_file(s.root / "d.json", "{\"a\": 1}");
  write_file(s.root / "bad.json", "{oops");
  auto r = s.run(R"js(
    await import("./d.json").catch((e) => console.log("no assertion:", e.message.includes("assert { type: \"json\" }")));
    await import("./bad.json", { assert: { type: "json" } }).catch((e) => console.log("bad json:", e.name, e.message.startsWith('Unable to parse JSON module "./bad.json": ')));
    await import("./missing.js").catch((e) => console.log(e.message.includes("Module not found") && e.message.includes("missing.js")));
    await import("./d.json", { assert: { type: "css" } }).catch((e) => console.log("css:", e.message.includes("Invalid import assertion")));
  )js");
  EXPECT_EQ(r.exit.reason, ExitReason::kFinished) << r.exit.message;
  EXPECT_EQ(r.lines, (std::vector<std::string>{"no assertion: true", "bad json: SyntaxError true",
                                               "true", "css: true"}));
}

TEST(Resolver, PureFunction) {
  TempDir dir;
  write_file(dir.path() / "a" / "m.js", "");
  write_file(dir.path() / "b.js", "");
  auto root = fs::canonical(dir.path() / "a");
  ResolveOptions opts{root, true};
  std::string referrer = (root / "main.js").string();
  auto ok = resolve_specifier("./m.js", referrer, opts);
  EXPECT_EQ(ok.kind, Resolved::Kind::kFile);
  EXPECT_EQ(ok.value, (root / "m.js").string());
  EXPECT_EQ(resolve_specifier("./sub/../m.js", referrer, opts).kind, Resolved::Kind::kFile);
  EXPECT_EQ(resolve_specifier("./nope.js", referrer, opts).kind, Resolved::Kind::kError);
  EXPECT_EQ(resolve_specifier("../b.js", referrer, opts).kind, Resolved::Kind::kError);
  EXPECT_EQ(resolve_specifier("../b.js", referrer, {root, false}).kind, Resolved::Kind::kFile);
  EXPECT_EQ(resolve_specifier("zinnia:test", referrer, opts).kind, Resolved::Kind::kBuiltin);
  EXPECT_EQ(resolve_specifier("./m.js", "zinnia:test", opts).kind, Resolved::Kind::kError);
  EXPECT_EQ(resolve_specifier(path_to_file_url((root / "m.js").string()), referrer, opts).kind,
            Resolved::Kind::kFile);
  EXPECT_EQ(resolve_specifier("data:text/javascript,1", referrer, opts).kind,
            Resolved::Kind::kError);
  EXPECT_EQ(resolve_specifier(std::string_view("./m.js\0x", 8), referrer, opts).kind,
            Resolved::Kind::kError);
  EXPECT_EQ(path_to_file_url("/a b/c%.js"), "file:///a%20b/c%25.js");
}

}  // namespace
}  // namespace zinnia::engine::testing
