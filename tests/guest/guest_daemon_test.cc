// The guest face inside zinniad: a guest's view of the tree agrees with the FUSE view and
// with the persisted files, and the manifest it reads is the loaded manifest.
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "daemon/core/manifest.h"
#include "tests/daemon/e2e_util.h"
#include "tests/support/eventually.h"
#include "tests/support/fuse_required.h"

namespace {

namespace fs = std::filesystem;
using zinnia::testing::Daemon;
using zinnia::testing::eventually;
using zinnia::testing::read_file;
using zinnia::testing::write_file;

constexpr const char* kManifest = R"(spin_manifest_version = 2
[application]
name = "app"
[component.writer]
source = "writer.js"
[component.guest]
source = "guest.js"
spin_monitoring = true
files = [{ source = ".spin/monitor/", destination = "/monitor" },
         { source = ".spin/config/", destination = "/config" }]
)";

constexpr const char* kWriter = R"(
for (let i = 0; i < 2000; i++) console.log(`line ${i} ${"x".repeat(i % 50)}`);
setInterval(() => {}, 1000);
)";

constexpr const char* kGuest = R"(
import { follow, stat, readTextFile } from "zinnia:fs";
let text = "";
for await (const t of follow("/monitor/logs/writer/stdout.txt", { from: "start" })) {
  text += t;
  if (text.split("\n").length > 2000) break;
}
const st = await stat("/monitor/logs/writer/stdout.txt");
console.log("size=" + st.size + " length=" + new TextEncoder().encode(text).length);
console.log("manifest=" + await readTextFile("/config/app/manifest.json"));
setInterval(() => {}, 1000);
)";

TEST(GuestInDaemon, StatMatchesTheMountAndManifestMatchesTheLoadedOne) {
  ZINNIA_REQUIRE_FUSE();
  Daemon env(/*fast_restarts=*/true);
  const fs::path app = env.dir.path() / "app";
  write_file(app / "spin.toml", kManifest);
  write_file(app / "writer.js", kWriter);
  write_file(app / "guest.js", kGuest);
  const fs::path mnt = env.dir.path() / "mnt";
  auto daemon = env.start({"--manifest", (app / "spin.toml").string(), "--mount", mnt.string()});

  const fs::path guest_out = env.logs("app") / "guest" / "stdout.txt";
  std::string printed;
  eventually([&] {
    printed = read_file(guest_out);
    return printed.find("manifest=") != std::string::npos;
  });
  ASSERT_NE(printed.find("manifest="), std::string::npos) << printed << daemon->err();

  // What the guest saw, what the mount says and what is on disk agree.
  const fs::path persisted = env.logs("app") / "writer" / "stdout.txt";
  const auto disk_size = fs::file_size(persisted);
  struct stat st {};
  ASSERT_EQ(::stat((mnt / "monitor/logs/writer/stdout.txt").c_str(), &st), 0);
  EXPECT_EQ(static_cast<std::uintmax_t>(st.st_size), disk_size);
  EXPECT_NE(printed.find("size=" + std::to_string(disk_size) +
                         " length=" + std::to_string(disk_size) + "\n"),
            std::string::npos)
      << printed;

  const std::string seen_manifest = printed.substr(printed.find("manifest=") + 9,
                                                   printed.size() - printed.find("manifest=") - 10);
  const std::string mounted_manifest = read_file(mnt / "config/app/manifest.json");
  EXPECT_EQ(seen_manifest, mounted_manifest);
  const auto loaded = zinnia::daemon::load_manifest(app / "spin.toml");
  EXPECT_EQ(nlohmann::json::parse(seen_manifest),
            nlohmann::json::parse(zinnia::daemon::manifest_json(loaded)));

  daemon->kill(SIGTERM);
  EXPECT_EQ(daemon->wait(std::chrono::seconds(5)), 0) << daemon->err();
}

}  // namespace

namespace {

TEST(GuestInDaemon, MonitorGrantWithoutSpinMonitoringStopsTheStartWithExit2) {
  Daemon env(/*fast_restarts=*/true);
  const fs::path app = env.dir.path() / "app";
  write_file(app / "spin.toml", R"(spin_manifest_version = 2
[application]
name = "app"
[component.insp]
source = "insp.js"
files = [{ source = ".spin/monitor/", destination = "/monitor" }]
)");
  write_file(app / "insp.js", "console.log('must not run')");
  auto daemon = env.start({"--no-mount", "--manifest", (app / "spin.toml").string()});
  EXPECT_EQ(daemon->wait(std::chrono::seconds(5)), 2);
  EXPECT_NE(daemon->err().find("spin.toml:6:22: component 'insp' reads '.spin/monitor/' from the "
                               "monitor tree but does not set spin_monitoring = true"),
            std::string::npos)
      << daemon->err();
  EXPECT_EQ(daemon->out(), "");
}

}  // namespace
