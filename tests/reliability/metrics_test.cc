// monitor/metrics.prom read the way an operator reads it (issue 21 #4): Debian's
// prometheus-node-exporter with its textfile collector pointed at <mount>/monitor, scraped
// over HTTP on 127.0.0.1.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/support/daemon_harness.h"
#include "tests/support/eventually.h"
#include "tests/support/fuse_required.h"
#include "tests/support/require.h"

namespace zinnia::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kNodeExporter = "/usr/bin/prometheus-node-exporter";

// A port nobody listens on now (the kernel's pick for an ephemeral bind).
int free_port() {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(s);
  return port;
}

// GET http://127.0.0.1:<port><path>; the body, or "" when nothing answers.
std::string http_get(int port, const std::string& path) {
  const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  std::string response;
  if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(s, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buf[65536];
      ssize_t n;
      while ((n = ::read(s, buf, sizeof buf)) > 0)
        response.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(s);
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// "name{labels}" -> value of every sample in a text-format exposition.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    out[line.substr(0, space)] = std::strtod(line.c_str() + space + 1, nullptr);
  }
  return out;
}

TEST(Metrics, NodeExporterReadsOurSeriesWithTheRightValues) {
  ZINNIA_REQUIRE_FUSE();
  ZINNIA_REQUIRE(::access(kNodeExporter, X_OK) == 0,
                 "prometheus-node-exporter is not installed (scripts/setup installs it)");
  Daemon d(/*fast_restarts=*/true);
  d.env["ZINNIA_HEAP_LIMIT_MB"] = "64";
  const auto app = d.app_dir();
  write_file(app / "j.js",
             "for (let i = 0; i < 42; i++) Zinnia.jobCompleted();\n"
             "console.log('a'); console.log('b\\nc'); console.error('boom');\n"
             "setInterval(() => {}, 1000);\n");
  write_file(app / "c.js", "console.log('up'); throw new Error('again');\n");
  write_file(app / "spin.toml",
             "spin_manifest_version = 2\n[application]\nname = \"metrics\"\n"
             "[component.j]\nsource = \"j.js\"\n[component.c]\nsource = \"c.js\"\n");
  const auto mnt = d.mountpoint();
  MountGuard guard{mnt};
  auto z = d.start({"--manifest", (app / "spin.toml").string(), "--mount", mnt.string()});
  ASSERT_TRUE(z->wait_err("monitor tree mounted at", 60s)) << z->err();

  // The file itself: what the textfile collector needs.
  std::string file;
  ASSERT_TRUE(eventually([&] {
    file = read_file(mnt / "monitor/metrics.prom");
    return file.find(
               "zinnia_component_jobs_completed_total{app=\"metrics\",component=\"j\"} 42\n") !=
           std::string::npos;
  })) << file
      << z->err();
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(file.back(), '\n');
  for (const char* family :
       {"zinnia_component_jobs_completed_total counter", "zinnia_component_restarts_total counter",
        "zinnia_component_state gauge", "zinnia_component_heap_used_bytes gauge",
        "zinnia_component_heap_limit_bytes gauge", "zinnia_component_uptime_seconds gauge",
        "zinnia_component_log_bytes_total counter", "zinnia_component_log_lines_total counter",
        "zinnia_stderr_records_dropped_total counter", "zinnia_fuse_requests_total counter",
        "zinnia_fuse_live_readers gauge"}) {
    EXPECT_NE(file.find(std::string("\n# TYPE ") + family + "\n"), std::string::npos) << family;
  }

  // A reader holds a log open: the mount's live readers count it.
  const int reader = ::open((mnt / "monitor/logs/j/stdout.txt").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(reader, 0);

  const int port = free_port();
  ASSERT_GT(port, 0);
  Process exporter({kNodeExporter, "--collector.disable-defaults", "--collector.textfile",
                    "--collector.textfile.directory=" + (mnt / "monitor").string(),
                    "--web.listen-address=127.0.0.1:" + std::to_string(port)},
                   current_env());
  std::map<std::string, double> got;
  const std::string j = "{app=\"metrics\",component=\"j\"";
  const std::string c = "{app=\"metrics\",component=\"c\"";
  const bool scraped = eventually(
      [&] {
        got = samples(http_get(port, "/metrics"));
        return got.count("zinnia_component_jobs_completed_total" + j + "}") &&
               got["zinnia_component_restarts_total" + c + "}"] >= 2 &&
               got["zinnia_fuse_live_readers{app=\"metrics\"}"] >= 1;
      },
      60s, 100ms);
  ::close(reader);
  ASSERT_TRUE(scraped) << "node_exporter: " << exporter.err() << "\nmetrics.prom:\n"
                       << read_file(mnt / "monitor/metrics.prom");
  EXPECT_EQ(got["node_textfile_scrape_error"], 0);
  EXPECT_EQ(got["zinnia_component_jobs_completed_total" + j + "}"], 42);
  EXPECT_EQ(got["zinnia_component_jobs_completed_total" + c + "}"], 0);
  EXPECT_EQ(got["zinnia_component_restarts_total" + j + "}"], 0);
  EXPECT_EQ(got["zinnia_component_state" + j + ",state=\"running\"}"], 1);
  EXPECT_EQ(got["zinnia_component_state" + j + ",state=\"restarting\"}"], 0);
  EXPECT_EQ(got["zinnia_component_heap_limit_bytes" + j + "}"], 64.0 * 1024 * 1024);
  EXPECT_GT(got["zinnia_component_heap_used_bytes" + j + "}"], 0);
  EXPECT_GT(got["zinnia_component_uptime_seconds" + j + "}"], 0);
  // stdout.txt holds "a\nb\nc\n", stderr.txt "boom\n".
  EXPECT_EQ(got["zinnia_component_log_lines_total" + j + ",stream=\"stdout\"}"], 3);
  EXPECT_EQ(got["zinnia_component_log_bytes_total" + j + ",stream=\"stdout\"}"], 6);
  EXPECT_EQ(got["zinnia_component_log_lines_total" + j + ",stream=\"stderr\"}"], 1);
  EXPECT_EQ(got["zinnia_component_log_bytes_total" + j + ",stream=\"stderr\"}"], 5);
  EXPECT_EQ(read_file(d.logs("metrics") / "j/stdout.txt"), "a\nb\nc\n");
  EXPECT_EQ(got["zinnia_stderr_records_dropped_total{app=\"metrics\"}"], 0);
  EXPECT_GT(got["zinnia_fuse_requests_total{app=\"metrics\"}"], 0);

  z->kill(SIGTERM);
  EXPECT_EQ(z->wait(10s), 0) << z->err();
}

}  // namespace
}  // namespace zinnia::testing
