// Misbehaving modules are contained while a well-behaved sibling keeps its throughput within
// 10%: a real zinniad runs a sibling that ticks on a 5 ms timer doing a little work per tick,
// and we count its log lines over a fixed 2 s window alone and next to each misbehaving
// module, then next to all five at once. Three of them keep a core busy; the daemon moves
// such a module to background priority (nice 19), which is what keeps the sibling's pace on
// two cores. CTest runs this binary alone (RUN_SERIAL): it compares throughputs, and another
// test's load would make the two windows unequal.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/daemon_harness.h"

namespace zinnia::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSibling = R"js(
  let n = 0;
  setInterval(() => {
    let x = 0;
    for (let i = 0; i < 20000; i++) x = (x + i * 7) % 1000003;
    console.log(`tick ${++n} ${x}`);
  }, 5);
)js";

struct Misbehaver {
  const char* name;
  const char* source;
  const char* caught;  // what the daemon says about it, or "" when it never crashes
  bool busy;           // keeps a core busy for longer than a CPU window: moved to background
};

void PrintTo(const Misbehaver& m, std::ostream* os) { *os << m.name; }

const Misbehaver kMisbehavers[] = {
    {"spin", "for (;;) {}\n", "spin crashed (hung)", true},
    {"hog", "const keep = []; for (;;) keep.push(new Array(4096).fill(keep.length));\n",
     "hog crashed (out of memory)", false},  // out of memory before a window is over
    {"thrower", "setInterval(() => { throw new Error('boom'); }, 100);\n",
     "thrower crashed (uncaught error)", false},
    {"rejecter",
     "setInterval(() => { for (let i = 0; i < 1000; i++) Promise.reject(new Error('r' + i)); "
     "}, 1);\n",
     "rejecter crashed (uncaught error)", false},
    {"timers",
     "let fired = 0;\nfor (let i = 0; i < 10000; i++) setInterval(() => { fired++; }, 1 + (i % "
     "10));\n",
     "", true},
};

// The sibling must keep this much of its solo pace (the issue: within 10%).
constexpr std::size_t kPacePercent = 90;

std::string moved(std::string_view name) { return std::string(name) + " kept a core "; }

// Lines the sibling logs in 2 s (after a 700 ms warm-up) next to `others`.
std::size_t sibling_ticks(const std::vector<const Misbehaver*>& others, std::string* output) {
  Daemon d;
  d.module("sibling", kSibling);
  std::vector<std::string> names = {"sibling"};
  for (const auto* m : others) {
    d.module(m->name, m->source);
    names.push_back(m->name);
  }
  Env env = d.env;
  env["ZINNIA_HANG_TIMEOUT_MS"] = "700";
  env["ZINNIA_HEAP_LIMIT_MB"] = "64";
  env["ZINNIA_BACKOFF_MS"] = "200";
  Process daemon(d.argv(names, false), env, {});
  EXPECT_TRUE(wait_started(daemon));
  std::this_thread::sleep_for(700ms);  // every module started and misbehaving
  const auto before = count_of(read_file(d.log("sibling")), "\n");
  std::this_thread::sleep_for(2000ms);
  const auto after = count_of(read_file(d.log("sibling")), "\n");
  EXPECT_TRUE(daemon.running()) << "the daemon survives its modules";
  daemon.kill(SIGTERM);
  EXPECT_EQ(daemon.wait(), 0);
  if (output) *output = daemon.err() + daemon.out();
  return after - before;
}

struct Pace {
  std::size_t solo = 0, mixed = 0;
  std::string output;  // the daemon's stderr and stdout of the mixed run
};

// The sibling's pace alone and next to `others`, measured back to back. A pair that misses
// the mark is measured once more: on a loaded machine one 2 s window can be 10% slow by
// itself; a module that really slows the sibling down does it in both pairs.
Pace pace_next_to(const std::vector<const Misbehaver*>& others, std::string_view label) {
  Pace p;
  for (int attempt = 0; attempt < 2; ++attempt) {
    p.solo = sibling_ticks({}, nullptr);
    p.mixed = sibling_ticks(others, &p.output);
    std::cout << "sibling ticks: solo " << p.solo << ", next to " << label << " " << p.mixed
              << "\n";
    if (p.mixed * 100 >= p.solo * kPacePercent) break;
  }
  return p;
}

class SiblingPace : public ::testing::TestWithParam<Misbehaver> {};

TEST_P(SiblingPace, KeepsItsPaceNextToAMisbehavingModule) {
  const Misbehaver& m = GetParam();
  const auto [solo, mixed, output] = pace_next_to({&m}, m.name);
  EXPECT_GT(solo, 100u);
  EXPECT_GE(mixed * 100, solo * kPacePercent)
      << "solo " << solo << ", next to " << m.name << " " << mixed;
  if (*m.caught) {
    EXPECT_NE(output.find(m.caught), std::string::npos) << output.substr(0, 2000);
  }
  if (m.busy) {
    EXPECT_NE(output.find(moved(m.name)), std::string::npos) << output.substr(0, 2000);
    EXPECT_NE(output.find("background priority (nice 19) until it restarts"), std::string::npos);
  }
  EXPECT_EQ(output.find("sibling crashed"), std::string::npos);
  EXPECT_EQ(output.find(moved("sibling")), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(DaemonFaults, SiblingPace, ::testing::ValuesIn(kMisbehavers),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(DaemonFaults, AllMisbehavingModulesAtOnceAreContained) {
  std::vector<const Misbehaver*> all;
  for (const auto& m : kMisbehavers) all.push_back(&m);
  const auto [solo, mixed, output] = pace_next_to(all, "all five");
  EXPECT_GE(mixed * 100, solo * kPacePercent) << "solo " << solo << ", next to all five " << mixed;
  for (const auto& m : kMisbehavers) {
    if (*m.caught) {
      EXPECT_NE(output.find(m.caught), std::string::npos) << m.name;
    }
    if (m.busy) {
      EXPECT_NE(output.find(moved(m.name)), std::string::npos) << m.name;
    }
  }
  EXPECT_EQ(output.find("sibling crashed"), std::string::npos);
  EXPECT_EQ(output.find(moved("sibling")), std::string::npos);
  EXPECT_EQ(output.find("timers crashed"), std::string::npos);
}

}  // namespace
}  // namespace zinnia::testing
