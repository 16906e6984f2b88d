#pragma once
// Runs JS fixtures through real modules (engine::Module, real V8) and, for fetch, a real
// loopback HTTP server (tests/web/server.js on the machine's node, spawned with posix_spawn).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/engine/engine_harness.h"

extern char** environ;

namespace zinnia::web::testing {

using engine::testing::RecordingSink;

using zinnia::testing::read_file;

inline std::filesystem::path web_dir() {
  return std::filesystem::path(ZINNIA_SOURCE_DIR) / "tests/web";
}

// A prelude every fixture gets. A check is decided where it is made (the values may change
// later); done(), at the fixture's end, reports every check through zinnia:test, one test
// each: "ok <name>" per check, then "ok | N passed | 0 failed" (or FAIL lines, a
// "FAIL | ..." summary and exit code 1). A fixture that never reaches done() reports nothing.
inline const char* kPrelude = R"JS(
import { test as __test } from 'zinnia:test';
import { assert as __assert, assertEquals as __assertEquals } from 'zinnia:assert';
const checks = [];
const check = (name, cond, detail = '') => checks.push({ name, run: () => __assert(cond, detail) });
const eq = (name, got, want) => {
  const same = Object.is(got, want);
  const [g, w] = [JSON.stringify(got), JSON.stringify(want)];
  checks.push({ name, run: () => same || __assertEquals(g, w) });
};
const done = () => {
  for (const c of checks) __test(c.name, c.run);
  console.log('done');
};
)JS";

struct Result {
  std::vector<std::string> lines;
  std::vector<engine::testing::Event> events;
  engine::Exit exit;
  std::size_t max_heap_used = 0;
  bool timed_out = false;

  std::vector<std::string> failures() const {
    std::vector<std::string> out;
    for (auto& l : lines)
      if (l.rfind("FAIL", 0) == 0 || l.find("Uncaught") != std::string::npos) out.push_back(l);
    return out;
  }
  // zinnia:test's summary: "ok | N passed | 0 failed (Xms)" ("" if there is none).
  std::string summary() const {
    // A console record may hold several lines (the runner prints "\nok | ...\n").
    for (auto& record : lines) {
      std::string_view rest = record;
      while (!rest.empty()) {
        const auto nl = rest.find('\n');
        const std::string_view l = rest.substr(0, nl);
        if (l.starts_with("ok | ") || l.starts_with("FAIL | ")) return std::string(l);
        if (nl == std::string_view::npos) break;
        rest.remove_prefix(nl + 1);
      }
    }
    return {};
  }
  bool has(std::string_view line) const {
    return std::find(lines.begin(), lines.end(), line) != lines.end();
  }
};

// Writes `prefix + prelude + fixture` as main.js (plus `extra` files) and runs it to its end.
inline Result run_fixture(const std::string& fixture, const std::string& prefix = "",
                          const std::vector<std::filesystem::path>& extra = {},
                          std::chrono::seconds timeout = std::chrono::seconds(20),
                          std::size_t heap_limit = std::size_t{256} << 20) {
  engine::initialize_v8();
  zinnia::testing::TempDir dir;
  std::string source = prefix + kPrelude + read_file(web_dir() / "fixtures" / fixture);
  engine::testing::write_file(dir.path() / "main.js", source);
  for (auto& f : extra) std::filesystem::copy_file(f, dir.path() / f.filename());
  auto options = engine::testing::options_for(dir.path() / "main.js");
  options.name = "webtest";
  options.user_agent = "zinniad/test webtest";
  options.heap_limit_bytes = heap_limit;
  RecordingSink sink;
  Result r;
  {
    engine::Module module(options, sink);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    bool finished = false;
    while (!(finished = sink.wait(std::chrono::milliseconds(5)))) {
      r.max_heap_used = std::max(r.max_heap_used, module.heap_usage().used);
      if (std::chrono::steady_clock::now() > deadline) break;
    }
    if (!finished) {
      r.timed_out = true;
      module.stop();
    }
    module.join();
  }
  r.lines = sink.lines();
  r.events = sink.events();
  r.exit = sink.exit();
  return r;
}

// tests/web/server.js on 127.0.0.1, port 0; killed and reaped on destruction.
class TestServer {
 public:
  TestServer() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    std::string script = (web_dir() / "server.js").string();
    char node[] = "node";
    std::vector<char*> argv = {node, script.data(), nullptr};
    if (posix_spawnp(&pid_, "node", &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    std::string line;
    char c;
    while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    close(fds[0]);
    if (line.rfind("PORT ", 0) == 0) port_ = std::stoi(line.substr(5));
  }
  ~TestServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      int status;
      waitpid(pid_, &status, 0);
    }
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;
  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // `const BASE = "http://127.0.0.1:<port>";` for a fixture's prefix.
  std::string prefix() const { return "const BASE = " + std::string("\"") + base() + "\";\n"; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace zinnia::web::testing
