#pragma once
// Runs fixture modules the project wrote, reproducing what real Station modules (SPARK v1.15.1)
// and the real Zinnia's tests do, through the real `zinnia run` binary.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/files.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/web/web_harness.h"

namespace zinnia::compat::testing {

using zinnia::testing::Env;
using zinnia::testing::Process;
using zinnia::testing::TempDir;

inline std::filesystem::path compat_dir() {
  return std::filesystem::path(ZINNIA_SOURCE_DIR) / "tests/compat";
}

struct RunResult {
  int code = 0;
  std::string out, err;
  std::vector<std::string> lines() const {
    std::vector<std::string> v;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) v.push_back(l);
    return v;
  }
};

// `zinnia run main.js` in a fresh folder holding `files` (from tests/compat/fixtures/).
inline RunResult zinnia_run(const std::filesystem::path& dir, const std::string& main_js,
                            Env env = zinnia::testing::current_env(),
                            std::chrono::seconds timeout = std::chrono::seconds(60)) {
  std::ofstream(dir / "main.js") << main_js;
  env["NO_COLOR"] = "1";
  Process p({zinnia::testing::bin("zinnia").string(), "run", (dir / "main.js").string()}, env,
            Process::Options{dir});
  RunResult r;
  r.code = p.wait(timeout);
  r.out = p.out();
  r.err = p.err();
  return r;
}

// Runs fixtures/<name> with the check()/eq() prelude and `prefix`; every check must pass.
inline void expect_fixture(const std::string& name, const std::string& prefix = "",
                           const std::vector<std::string>& extra = {}, int min_oks = 1,
                           Env env = zinnia::testing::current_env()) {
  TempDir dir;
  for (auto& f : extra) std::filesystem::copy_file(compat_dir() / "fixtures" / f, dir.path() / f);
  std::string src = prefix + zinnia::web::testing::kPrelude +
                    zinnia::testing::read_file(compat_dir() / "fixtures" / name) + "\ndone();\n";
  auto r = zinnia_run(dir.path(), src, std::move(env));
  // zinnia:test's summary, "ok | N passed | 0 failed (Xms)", counts the checks that ran.
  int oks = 0;
  bool done = false;
  for (auto& l : r.lines()) {
    if (l.rfind("FAIL", 0) == 0) ADD_FAILURE() << l;
    if (l.rfind("ok | ", 0) == 0) oks = std::atoi(l.c_str() + 5);
    if (l == "done") done = true;
  }
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(done) << "the fixture did not reach its end\n" << r.out << r.err;
  EXPECT_GE(oks, min_oks);
  if (::testing::Test::HasFailure()) std::printf("%s\n%s\n", r.out.c_str(), r.err.c_str());
}

// A loopback port with nothing listening on it (bound, then closed).
inline int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace zinnia::compat::testing
