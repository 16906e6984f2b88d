// Test helper: mounts a tree and appends numbered lines until killed.
//   fusefs_mount_helper SPIN_ROOT MOUNTPOINT
// Prints "ready" on stdout once mounted; then appends "line N\n" to component c's stdout,
// flushing every line, about every millisecond.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "fusefs/fuse/mount.h"
#include "fusefs/tree/tree.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s SPIN_ROOT MOUNTPOINT\n", argv[0]);
    return 2;
  }
  zinnia::fusefs::TreeOptions o;
  o.spin_root = argv[1];
  o.app = "app";
  zinnia::fusefs::Tree tree(o);
  tree.add_component("c");
  zinnia::fusefs::Mount mount(tree, argv[2]);
  std::printf("ready\n");
  std::fflush(stdout);
  auto log = tree.log("c", zinnia::fusefs::Stream::kStdout);
  for (long i = 0;; ++i) {
    log->append("line " + std::to_string(i) + "\n");
    log->flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}
