// scripts/bench/run libp2p's client through our node: libp2p_client ADDR PROTOCOL PAYLOAD N C
// [MUXER]. One warm-up request opens the connection, then N requests run with C in flight;
// prints {"ms": wall time, "bytes": response bytes} like peer.mjs's "request" command.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "engine/libp2p/node.h"

using namespace zinnia::libp2p;

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: libp2p_client ADDR PROTOCOL PAYLOAD N C [MUXER]\n");
    return 2;
  }
  const std::string addr = argv[1], protocol = argv[2], payload = argv[3];
  const long n = std::atol(argv[4]), c = std::atol(argv[5]);
  NodeOptions opts;
  if (argc > 6) opts.muxers = {argv[6]};
  opts.default_request_timeout = std::chrono::seconds(120);
  opts.max_requests_per_requester = static_cast<std::size_t>(c) + 1;
  Node node(opts);
  std::mutex mu;
  std::condition_variable cv;
  long started = 0, done = 0;
  std::size_t bytes = 0;
  std::string error;
  std::function<void()> launch = [&] {
    ++started;
    node.request(
        addr, protocol, to_bytes(payload), [&](Bytes chunk) { bytes += chunk.size(); },
        [&](std::optional<Error> err) {
          std::lock_guard lock(mu);
          if (err && error.empty()) error = err->message;
          ++done;
          if (started < n && error.empty()) launch();
          cv.notify_all();
        });
  };
  // Warm-up: the dial and handshakes are not measured.
  {
    std::unique_lock lock(mu);
    const long target = 1;
    ++started;
    node.request(addr, protocol, to_bytes(payload), nullptr, [&](std::optional<Error> err) {
      std::lock_guard l(mu);
      if (err) error = err->message;
      ++done;
      cv.notify_all();
    });
    cv.wait(lock, [&] { return done == target; });
    if (!error.empty()) {
      std::fprintf(stderr, "libp2p_client: %s\n", error.c_str());
      return 1;
    }
    started = done = 0;
    bytes = 0;
  }
  const auto t0 = std::chrono::steady_clock::now();
  {
    std::unique_lock lock(mu);
    for (long i = 0; i < c && i < n; ++i) launch();
    cv.wait(lock, [&] { return done == n || (!error.empty() && done == started); });
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!error.empty()) {
    std::fprintf(stderr, "libp2p_client: %s\n", error.c_str());
    return 1;
  }
  std::printf("{\"ms\": %.3f, \"bytes\": %zu}\n", ms, bytes);
  return 0;
}
