// Security promises: the mount is private to the daemon's user, modules cannot read the
// environment or import outside their folder, and zinnia:fs errors name no host path.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "fusefs/fuse/mount.h"
#include "fusefs/guest/guest_view.h"
#include "fusefs/tree/tree.h"
#include "tests/engine/engine_harness.h"
#include "tests/support/fuse_required.h"
#include "tests/support/process.h"
#include "tests/support/require.h"

namespace zinnia {
namespace {

namespace fs = std::filesystem;
using engine::ExitReason;
using engine::testing::options_for;
using engine::testing::run_file;
using engine::testing::run_js;
using engine::testing::write_file;
using testing::run_command;
using testing::TempDir;

// The mount options the kernel reports for `mnt` (from /proc/self/mountinfo).
std::string mount_options(const fs::path& mnt) {
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, devs, root, point, opts;
    fields >> id >> parent >> devs >> root >> point >> opts;
    if (point != mnt.string()) continue;
    // Super-block options come after " - fstype source ".
    const auto dash = line.find(" - ");
    return opts + " " + (dash == std::string::npos ? "" : line.substr(dash + 3));
  }
  return {};
}

std::vector<std::string> as_nobody(std::vector<std::string> cmd) {
  std::vector<std::string> argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  return argv;
}

TEST(Security, AnotherLocalUserCannotReadTheMount) {
  ZINNIA_REQUIRE_FUSE();
  ZINNIA_REQUIRE(::geteuid() == 0, "needs root to switch to a second uid");
  TempDir tmp;
  // Everyone may traverse the folders above the mount, so only the mount itself can refuse.
  fs::permissions(tmp.path(), fs::perms(0755));
  fusefs::TreeOptions opts;
  opts.spin_root = tmp.path() / "spin";
  opts.app = "station";
  fusefs::Tree tree(opts);
  tree.add_component("spark");
  auto log = tree.log("spark", fusefs::Stream::kStdout);
  log->append("wallet 0xsecret\n");
  log->flush();
  const fs::path mnt = tmp.path() / "mnt";
  fusefs::Mount mount(tree, mnt);
  const std::string file = (mnt / "monitor/logs/spark/stdout.txt").string();

  // Control: the second uid can read an ordinary world-readable file next to the mount.
  fs::create_directories(tmp.path() / "open");
  fs::permissions(tmp.path() / "open", fs::perms(0755));
  write_file(tmp.path() / "open/note.txt", "readable\n");
  fs::permissions(tmp.path() / "open/note.txt", fs::perms(0644));
  auto control = run_command(as_nobody({"cat", (tmp.path() / "open/note.txt").string()}));
  ASSERT_EQ(control.first, 0) << control.second;
  ASSERT_EQ(control.second, "readable\n");

  // The owner reads it.
  auto owner = run_command({"cat", file});
  ASSERT_EQ(owner.first, 0) << owner.second;
  EXPECT_EQ(owner.second, "wallet 0xsecret\n");

  // The second uid can neither stat, list nor read anything in it.
  for (const auto& cmd : std::vector<std::vector<std::string>>{{"stat", mnt.string()},
                                                               {"ls", mnt.string()},
                                                               {"ls", (mnt / "monitor").string()},
                                                               {"stat", file},
                                                               {"cat", file},
                                                               {"head", "-c1", file}}) {
    auto r = run_command(as_nobody(cmd));
    EXPECT_NE(r.first, 0) << cmd[0] << " " << cmd.back() << ": " << r.second;
    EXPECT_NE(r.second.find("Permission denied"), std::string::npos) << r.second;
    EXPECT_EQ(r.second.find("0xsecret"), std::string::npos) << r.second;
  }

  // Both layers of the refusal are in place: no allow_other (only the owner passes the FUSE
  // connection check) and default_permissions (the kernel checks modes too).
  const std::string options = mount_options(mnt);
  ASSERT_FALSE(options.empty());
  EXPECT_NE(options.find("default_permissions"), std::string::npos) << options;
  EXPECT_EQ(options.find("allow_other"), std::string::npos) << options;
  EXPECT_NE(options.find("ro"), std::string::npos) << options;
}

// A canary in the host environment must not be reachable from anything a module can see.
TEST(Security, ModulesCannotReadTheEnvironment) {
  ::setenv("ZINNIA_TEST_CANARY", "canary-7f3e9a", 1);
  auto run = run_js(R"js(
    console.log(typeof process, typeof Deno, typeof require, typeof Bun, typeof module,
                typeof host, typeof import.meta.host, typeof globalThis.env);
    // Walk everything reachable from the global object (and Zinnia) looking for the canary.
    const seen = new Set();
    let hits = 0, visited = 0;
    const walk = (v, depth) => {
      if (typeof v === "string") { if (v.includes("canary-7f3e9a")) hits++; return; }
      if ((typeof v !== "object" && typeof v !== "function") || v === null) return;
      if (seen.has(v) || depth > 6) return;
      seen.add(v); visited++;
      for (const key of Reflect.ownKeys(v)) {
        if (typeof key === "string" && key.includes("canary-7f3e9a")) hits++;
        let d;
        try { d = Object.getOwnPropertyDescriptor(v, key); } catch { continue; }
        if (d && "value" in d) walk(d.value, depth + 1);
      }
      try { walk(Object.getPrototypeOf(v), depth + 1); } catch {}
    };
    walk(globalThis, 0);
    console.log("hits", hits, visited > 200 ? "walked" : "too few: " + visited);
    console.log(JSON.stringify(Object.keys(Zinnia).sort()),
                JSON.stringify(Object.keys(Zinnia.versions).sort()),
                JSON.stringify(Object.keys(Zinnia.activity).sort()), Object.isFrozen(Zinnia));
    try { Zinnia.walletAddress = "x"; } catch {}
    console.log(Zinnia.walletAddress);
  )js");
  ::unsetenv("ZINNIA_TEST_CANARY");
  ASSERT_EQ(run.exit.reason, ExitReason::kFinished) << run.exit.message << run.exit.stack;
  ASSERT_EQ(run.lines.size(), 4u);
  EXPECT_EQ(run.lines[0],
            "undefined undefined undefined undefined undefined undefined undefined undefined");
  EXPECT_EQ(run.lines[1], "hits 0 walked");
  EXPECT_EQ(
      run.lines[2],
      R"(["activity","inspect","jobCompleted","peerId","requestProtocol","stationId","versions",)"
      R"("walletAddress"] )"
      R"(["v8","zinnia"] ["error","info"] true)");
  EXPECT_EQ(run.lines[3], "0x000000000000000000000000000000000000dEaD");
}

TEST(Security, ImportsCannotLeaveTheModuleFolder) {
  TempDir tmp;
  const fs::path app = tmp.path() / "app";
  write_file(tmp.path() / "secret.js", "export default 'SECRET';\n");
  write_file(tmp.path() / "secret.json", "{\"s\":\"SECRET\"}\n");
  write_file(app / "lib/ok.js", "export default 'ok';\n");
  fs::create_symlink(tmp.path() / "secret.js", app / "link.js");
  fs::create_symlink(tmp.path(), app / "up");
  write_file(app / "main.js", R"js(
    import ok from "./lib/ok.js";
    console.log(ok);
    const attempts = ["../secret.js", "./lib/../../secret.js", "./link.js", "./up/secret.js",
      ")js" + (tmp.path() / "secret.js").string() +
                                  R"js(",
      "file://)js" + (tmp.path() / "secret.js").string() +
                                  R"js(",
      "file://)js" + (app / "lib/%2e%2e/%2e%2e/secret.js").string() +
                                  R"js(",
      "./lib/..%2f..%2fsecret.js", "/etc/passwd", "https://example.com/x.js",
      "node:fs", "fs", "zinnia:../secret"];
    for (const a of attempts) {
      try { const m = await import(a); console.log("LEAK", a, m.default); }
      catch (e) { console.log("refused", e.name); }
    }
    try {
      const m = await import("../secret.json", { assert: { type: "json" } });
      console.log("LEAK json", JSON.stringify(m.default));
    } catch (e) { console.log("refused", e.name); }
  )js");
  auto run = run_file(app / "main.js");
  ASSERT_EQ(run.exit.reason, ExitReason::kFinished) << run.exit.message << run.exit.stack;
  ASSERT_EQ(run.lines.size(), 15u);
  EXPECT_EQ(run.lines[0], "ok");
  for (std::size_t i = 1; i < run.lines.size(); ++i) {
    EXPECT_EQ(run.lines[i].rfind("refused ", 0), 0u) << i << ": " << run.lines[i];
    EXPECT_EQ(run.lines[i].find("SECRET"), std::string::npos) << run.lines[i];
  }

  // A static import outside the folder stops the module before any of its code runs.
  write_file(app / "static.js", "import s from '../secret.js';\nconsole.log(s);\n");
  auto st = run_file(app / "static.js");
  EXPECT_EQ(st.exit.reason, ExitReason::kUncaught);
  EXPECT_TRUE(st.lines.empty());
}

// Issue 19 #12: an import() error named resolved host paths and told a file outside the
// folder from a missing one. Now each reads `Module not found "<specifier>" (...)`, the same
// whether the file exists or not, and names no host path: not the spin-root behind a planted
// link, not the binary's folder, not the folder above the module.
TEST(Security, ImportErrorsAreTheSameForOutsideAndMissingAndNameNoHostPath) {
  TempDir tmp, app_tmp;
  const fs::path spin = tmp.path() / "spin";
  const fs::path app = app_tmp.path() / "app";
  const std::string bin_dir = fs::canonical(ZINNIA_BINARY_DIR "/bin").string();
  ASSERT_TRUE(fs::exists(bin_dir + "/zinniad")) << bin_dir;
  fs::create_directories(app);
  fs::create_symlink(spin, app / "spinlink");
  const std::string up = fs::relative(tmp.path(), app).string();  // "../../tmp.xyz"
  const std::vector<std::string> specs = {
      up + "/secret.js",
      (tmp.path() / "secret.js").string(),
      "file://" + (tmp.path() / "secret.js").string(),
      "./spinlink/station/logs/spark/stdout.txt",
      "./spinlink/station/logs/spark",
  };
  std::string list;
  for (const auto& sp : specs) list += "\"" + sp + "\", ";
  write_file(app / "main.js", "const specs = [" + list + R"js(];
    const bin = [")js" + bin_dir + R"js(/zinniad", ")js" +
                                  bin_dir + R"js(/no-such-zinniad"];
    const shown = async (spec) => {
      try { await import(spec); return "LOADED " + spec; } catch (e) {
        // The message without the specifier, so files of two names compare.
        return [e.name, e.message.replace(spec, "<S>"), String(e).replace(spec, "<S>")].join(" | ");
      }
    };
    for (const s of specs) {
      try { await import(s); console.log("LOADED", s); } catch (e) {
        console.log(JSON.stringify([s, e.name, e.message, String(e)]));
        console.log("stack " + e.stack);
      }
    }
    console.log("binary " + await shown(bin[0]));
    console.log("binary " + await shown(bin[1]));
  )js");

  auto existing = [&] {
    write_file(tmp.path() / "secret.js", "export default 'SECRET';\n");
    write_file(spin / "station/logs/spark/stdout.txt", "SECRET\n");
  };
  existing();
  auto with_files = run_file(app / "main.js");
  fs::remove(tmp.path() / "secret.js");
  fs::remove_all(spin);
  auto without = run_file(app / "main.js");
  for (const auto* run : {&with_files, &without}) {
    ASSERT_EQ(run->exit.reason, ExitReason::kFinished) << run->exit.message << run->exit.stack;
    ASSERT_EQ(run->lines.size(), 2 * specs.size() + 2);
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const std::string msg = "Module not found \\\"" + specs[i] +
                              "\\\" (a module imports only files inside its own folder)";
      EXPECT_EQ(run->lines[2 * i],
                "[\"" + specs[i] + "\",\"TypeError\",\"" + msg + "\",\"TypeError: " + msg + "\"]");
    }
    for (std::string line : run->lines) {
      // What is left once the specifiers (as the module wrote them) are taken out.
      for (const auto& sp : {specs[2], specs[1], specs[0], specs[4], specs[3]})
        for (auto at = line.find(sp); at != std::string::npos; at = line.find(sp))
          line.erase(at, sp.size());
      EXPECT_EQ(line.find(tmp.path().string()), std::string::npos) << line;
      EXPECT_EQ(line.find(tmp.path().filename().string()), std::string::npos) << line;
      EXPECT_EQ(line.find("SECRET"), std::string::npos) << line;
      EXPECT_EQ(line.find("/spin"), std::string::npos) << line;
    }
    // The binary's folder shows only where the module named it itself.
    EXPECT_EQ(run->lines[2 * specs.size()], run->lines[2 * specs.size() + 1]);
    EXPECT_EQ(run->lines[2 * specs.size()].find(bin_dir), std::string::npos);
  }
  // Outside and existing, or missing: the very same lines.
  EXPECT_EQ(with_files.lines, without.lines);
}

// Every zinnia:fs failure -- not found, denied, escapes, symlinks out, wrong kinds, writes --
// names only the guest path; the host folders behind the grants never show.
TEST(Security, ZinniaFsErrorsNameNoHostPath) {
  // The granted host folders and the spin-root live apart from the module's own folder (which
  // its stack traces name, as any module's do).
  TempDir tmp, app_tmp;
  fusefs::TreeOptions opts;
  opts.spin_root = tmp.path() / "spin";
  opts.app = "station";
  fusefs::Tree tree(opts);
  tree.add_component("spark");
  const fs::path assets = tmp.path() / "assets";
  write_file(assets / "sub/file.txt", "x");
  write_file(tmp.path() / "secret.txt", "SECRET");
  fs::create_symlink(tmp.path() / "secret.txt", assets / "planted");
  fs::create_symlink(tmp.path(), assets / "uplink");
  fs::create_symlink(assets / "nowhere", assets / "dangling");
  fs::create_directories(assets / "locked");
  write_file(assets / "locked/f.txt", "x");
  std::vector<fusefs::guest::Grant> grants;
  grants.push_back({"/monitor", std::string("monitor"), {}});
  grants.push_back({"/assets", std::nullopt, assets});
  auto view = std::make_shared<fusefs::guest::GuestView>(std::move(grants), &tree);
  const fs::path app = app_tmp.path() / "app";
  write_file(app / "main.js", R"js(
    import * as fs from "zinnia:fs";
    const calls = [];
    const paths = ["/assets/missing", "/assets/sub/file.txt/x", "/assets/sub", "/assets/planted",
      "/assets/uplink/secret.txt", "/assets/dangling", "/assets/../../secret.txt", "/etc/passwd",
      "/monitor/logs/nobody/stdout.txt", "/monitor/logs", "/assets/sub/\u0000x", "/assets/%2e%2e",
      "/assets/" + "x".repeat(300), "relative/../../x", "/assets/locked/f.txt/"];
    for (const p of paths)
      for (const op of ["readFile", "readTextFile", "readDir", "stat"]) calls.push([op, p]);
    for (const op of ["writeFile", "mkdir", "remove"]) calls.push([op, "/assets/sub/file.txt"]);
    let n = 0;
    for (const [op, p] of calls) {
      try { await fs[op](p, "x"); continue; } catch (e) {
        n++;
        const text = [String(e), e.message, e.stack ?? "", JSON.stringify(e),
                      Zinnia.inspect(e)].join("\n");
        console.log(e.name + " " + op + "\n" + text);
      }
    }
    try {
      for await (const t of fs.follow("/assets/sub/file.txt")) break;
    } catch (e) { n++; console.log(e.name + " follow\n" + String(e) + "\n" + e.stack); }
    console.log("errors", n);
  )js");
  auto options = options_for(app / "main.js");
  options.fs = view;
  auto run = run_file(app / "main.js", std::move(options));
  ASSERT_EQ(run.exit.reason, ExitReason::kFinished) << run.exit.message << run.exit.stack;
  ASSERT_FALSE(run.lines.empty());
  ASSERT_EQ(run.lines.back().rfind("errors ", 0), 0u) << run.lines.back();
  EXPECT_GE(std::stoi(run.lines.back().substr(7)), 50) << run.lines.back();
  for (const auto& line : run.lines) {
    EXPECT_EQ(line.find(tmp.path().string()), std::string::npos) << line;
    EXPECT_EQ(line.find(tmp.path().filename().string()), std::string::npos) << line;
    EXPECT_EQ(line.find("SECRET"), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace zinnia
