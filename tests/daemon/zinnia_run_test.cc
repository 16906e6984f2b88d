// `zinnia run`: golden output (timestamps and the fixture folder masked) and exit codes.
#include <gtest/gtest.h>

#include <cctype>
#include <ostream>

#include "tests/daemon/e2e_util.h"

namespace zinnia::testing {
namespace {
using namespace std::chrono_literals;

// "[12:34:56.789 " at a line start -> "[HH:MM:SS.mmm " (no std::regex: GCC 12 warns in it
// under the sanitizers).
std::string mask(std::string text) {
  const std::string shape = "[dd:dd:dd.ddd ";
  for (std::size_t pos = 0; pos + shape.size() <= text.size();) {
    bool match = true;
    for (std::size_t i = 0; i < shape.size() && match; ++i)
      match = shape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(text[pos + i])) != 0
                              : text[pos + i] == shape[i];
    if (match) text.replace(pos, shape.size(), "[HH:MM:SS.mmm ");
    const auto nl = text.find('\n', pos);
    if (nl == std::string::npos) break;
    pos = nl + 1;
  }
  const auto dir = fixture("").parent_path();
  for (const auto& d :
       std::vector<std::string>{std::filesystem::weakly_canonical(dir).string(), dir.string()}) {
    for (auto pos = text.find(d); pos != std::string::npos; pos = text.find(d))
      text.replace(pos, d.size(), "<FIXTURES>");
  }
  return text;
}

struct Golden {
  const char* name;
  int exit_code;
};

// Names the parameter in CTest's test list (the default is its raw bytes, a pointer included).
void PrintTo(const Golden& g, std::ostream* os) { *os << g.name; }

struct GoldenName {
  std::string operator()(const ::testing::TestParamInfo<Golden>& p) const { return p.param.name; }
};

class ZinniaRun : public ::testing::TestWithParam<Golden> {};

TEST_P(ZinniaRun, MatchesGoldenOutput) {
  TempDir dir;
  const std::string name = GetParam().name;
  Process p({bin("zinnia").string(), "run", fixture(name + ".js").string()},
            {{"NO_COLOR", "1"}, {"PATH", "/usr/bin:/bin"}}, {.cwd = dir.path()});
  EXPECT_EQ(p.wait(10s), GetParam().exit_code);
  EXPECT_EQ(mask(p.out()), read_file(fixture(name + ".stdout")));
  EXPECT_EQ(mask(p.err()), read_file(fixture(name + ".stderr")));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ZinniaRun,
                         ::testing::Values(Golden{"golden", 0}, Golden{"golden_throw", 1}),
                         GoldenName());

TEST(ZinniaRunUsage, BadUsageExitsTwo) {
  TempDir dir;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {}, {"walk"}, {"run"}, {"run", "missing.js"}, {"run", "--fast", "x.js"}}) {
    std::vector<std::string> argv = args;
    argv.insert(argv.begin(), bin("zinnia").string());
    Process p(argv, {{"PATH", "/usr/bin:/bin"}}, {.cwd = dir.path()});
    EXPECT_EQ(p.wait(5s), 2);
    EXPECT_EQ(p.err().rfind("zinnia: ", 0), 0u) << p.err();
    EXPECT_EQ(p.out(), "");
  }
}

}  // namespace
}  // namespace zinnia::testing
