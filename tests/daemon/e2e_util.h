#pragma once
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/daemon/core_test_util.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace zinnia::testing {

inline std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(ZINNIA_SOURCE_DIR) / "tests/daemon/fixtures" / name;
}

// A scratch HOME with the daemon's environment.
struct DaemonEnv {
  TempDir dir;
  Env env;
  DaemonEnv() {
    env = {{"HOME", (dir.path() / "home").string()},
           {"FIL_WALLET_ADDRESS", "f1testwallet"},
           {"PATH", "/usr/bin:/bin"},
           {"ZINNIA_BACKOFF_MS", "100"}};
  }
  std::filesystem::path home() const { return dir.path() / "home"; }
  std::filesystem::path logs(const std::string& app = "zinniad") const {
    return home() / ".spin" / app / "logs";
  }
  std::filesystem::path state() const { return home() / ".local/state/zinniad/state.json"; }
  std::unique_ptr<Process> start(std::vector<std::string> args) const {
    args.insert(args.begin(), bin("zinniad").string());
    return std::make_unique<Process>(args, env, Process::Options{.cwd = dir.path()});
  }
};

// Every stdout line parsed as JSON (a parse failure fails the test).
inline std::vector<nlohmann::json> events(const std::string& out) {
  std::vector<nlohmann::json> list;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    try {
      list.push_back(nlohmann::json::parse(line));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "stdout line is not JSON: " << line;
    }
  }
  return list;
}

inline std::vector<std::string> messages(const std::vector<nlohmann::json>& list,
                                         const std::string& type) {
  std::vector<std::string> out;
  for (const auto& e : list)
    if (e["type"] == type)
      out.push_back(e["module"].is_null()
                        ? "null: " + e["message"].get<std::string>()
                        : e["module"].get<std::string>() + ": " + e["message"].get<std::string>());
  return out;
}

inline std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

}  // namespace zinnia::testing
