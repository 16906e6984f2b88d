#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/core/status.h"

namespace zinnia::daemon {

// What a component wrote to its logs in this process: index 0 stdout, 1 stderr.
struct LogCounts {
  std::uint64_t bytes[2] = {0, 0};
  std::uint64_t lines[2] = {0, 0};
};

struct ComponentMetrics {
  ComponentStatus status;
  LogCounts logs;
};

// The process's own numbers.
struct ProcessMetrics {
  std::uint64_t stderr_dropped = 0;  // records the stderr queue dropped (oldest first)
  // The FUSE mount's; absent without a mount.
  std::optional<std::uint64_t> fuse_requests;
  std::optional<std::uint64_t> fuse_live_readers;
};

// monitor/metrics.prom: the Prometheus text format (version 0.0.4) as node_exporter's
// textfile collector reads it: HELP and TYPE before each family, every sample of a family
// together, label values escaped, ending in a newline. Components in the given order.
std::string metrics_prom(const std::string& app, const std::vector<ComponentMetrics>& components,
                         const ProcessMetrics& process);

// A label value in the text format: backslash, double quote and newline escaped.
std::string prom_label_value(const std::string& value);

}  // namespace zinnia::daemon
