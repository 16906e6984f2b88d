// `zinnia run --watch`: real processes and files. A change reruns the module in the same
// process; a syntax error is reported and the watcher keeps waiting; SIGINT exits 0.
#include <gtest/gtest.h>

#include <csignal>

#include "tests/daemon/e2e_util.h"

namespace zinnia::testing {
namespace {
using namespace std::chrono_literals;

class ZinniaWatch : public ::testing::Test {
 protected:
  std::unique_ptr<Process> start(const std::string& source) {
    write_file(module_, source);
    auto p = std::make_unique<Process>(
        std::vector<std::string>{bin("zinnia").string(), "run", "--watch", module_.string()},
        Env{{"NO_COLOR", "1"}, {"PATH", "/usr/bin:/bin"}}, Process::Options{.cwd = dir_.path()});
    return p;
  }
  void edit(const std::string& source) { write_file(module_, source); }

  void SetUp() override {
    std::filesystem::create_directories(dir_.path() / "mod/lib");
    module_ = dir_.path() / "mod/main.js";
  }

  TempDir dir_;
  std::filesystem::path module_;
};

TEST_F(ZinniaWatch, ChangeRerunsInTheSameProcess) {
  auto p = start("console.log('run', 1);\n");
  ASSERT_TRUE(p->wait_out("run 1\n")) << p->err();
  ASSERT_TRUE(p->wait_err("Process finished. Restarting on file change...")) << p->err();
  const pid_t pid = p->pid();
  edit("console.log('run', 2);\n");
  ASSERT_TRUE(p->wait_out("run 2\n")) << p->out() << p->err();
  EXPECT_NE(p->err().find("File change detected! Restarting!"), std::string::npos);
  EXPECT_TRUE(p->running());
  EXPECT_EQ(p->pid(), pid);

  // A module still running is stopped and started again; an imported file in a subfolder
  // counts too, a non-source file (a log the module writes) does not.
  write_file(dir_.path() / "mod/lib/dep.js", "export const n = 3;\n");
  edit("import { n } from './lib/dep.js';\nconsole.log('run', n);\nsetInterval(() => {}, 1000);\n");
  ASSERT_TRUE(p->wait_out("run 3\n")) << p->out() << p->err();
  write_file(dir_.path() / "mod/lib/dep.js", "export const n = 4;\n");
  ASSERT_TRUE(p->wait_out("run 4\n")) << p->out() << p->err();
  // A restart for out.log would print "run 4" again before dep.js's change is seen.
  write_file(dir_.path() / "mod/out.log", "not a source file\n");
  write_file(dir_.path() / "mod/lib/dep.js", "export const n = 5;\n");
  ASSERT_TRUE(p->wait_out("run 5\n")) << p->out() << p->err();
  EXPECT_EQ(count_of(p->out(), "run 4\n"), 1u) << p->out();
  // Not a terminal: the screen is never cleared.
  EXPECT_EQ(p->out().find("\x1b["), std::string::npos);
  p->kill(SIGINT);
  EXPECT_EQ(p->wait(10s), 0) << p->err();
}

TEST_F(ZinniaWatch, SyntaxErrorIsReportedAndTheWatcherKeepsWaiting) {
  auto p = start("console.log('good');\n");
  ASSERT_TRUE(p->wait_out("good\n")) << p->err();
  edit("console.log('broken' ;\n");
  ASSERT_TRUE(p->wait_err("Process failed. Restarting on file change...")) << p->err();
  EXPECT_NE(p->err().find("error: Uncaught SyntaxError: missing ) after argument list"),
            std::string::npos)
      << p->err();
  EXPECT_NE(p->err().find("main.js:1:"), std::string::npos) << p->err();
  EXPECT_TRUE(p->running());
  edit("console.log('fixed');\n");
  ASSERT_TRUE(p->wait_out("fixed\n")) << p->out() << p->err();
  ASSERT_TRUE(p->wait_err([](const std::string& e) {
    return count_of(e, "Process finished. Restarting on file change...") >= 2;
  })) << p->err();
  p->kill(SIGINT);
  EXPECT_EQ(p->wait(10s), 0) << p->err();
}

TEST_F(ZinniaWatch, CtrlCExitsZeroWhileTheModuleRuns) {
  auto p = start("console.log('busy');\nsetInterval(() => {}, 10);\n");
  ASSERT_TRUE(p->wait_out("busy\n")) << p->err();
  p->kill(SIGINT);
  EXPECT_EQ(p->wait(10s), 0) << p->err();
  EXPECT_EQ(p->err().find("error:"), std::string::npos) << p->err();
}

TEST_F(ZinniaWatch, CtrlCExitsZeroInsideAnEndlessTurn) {
  // The line is flushed at the end of the first turn; the next turn never ends.
  auto p = start("console.log('spin');\nsetTimeout(() => { for (;;) {} }, 0);\n");
  ASSERT_TRUE(p->wait_out("spin\n")) << p->err();
  p->kill(SIGINT);
  EXPECT_EQ(p->wait(10s), 0) << p->err();
}

}  // namespace
}  // namespace zinnia::testing
