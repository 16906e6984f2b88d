#include "daemon/core/metrics.h"

#include <cstdio>

namespace zinnia::daemon {

std::string prom_label_value(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

class Writer {
 public:
  explicit Writer(const std::string& app) : app_(prom_label_value(app)) {}

  void family(const char* name, const char* type, std::string_view help) {
    name_ = name;
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  // One sample of the current family; `labels` are extra `k="v"` pairs, already escaped.
  void sample(const std::string& labels, std::uint64_t value) {
    head(labels);
    out_ += std::to_string(value);
    out_ += '\n';
  }
  void sample(const std::string& labels, double value) {
    head(labels);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", value);
    out_ += buf;
    out_ += '\n';
  }
  std::string take() { return std::move(out_); }

 private:
  void head(const std::string& labels) {
    out_ += name_;
    out_ += "{app=\"";
    out_ += app_;
    out_ += '"';
    if (!labels.empty()) {
      out_ += ',';
      out_ += labels;
    }
    out_ += "} ";
  }

  std::string app_;
  const char* name_ = "";
  std::string out_;
};

std::string component_label(const ComponentMetrics& c) {
  return "component=\"" + prom_label_value(c.status.name) + "\"";
}

}  // namespace

std::string metrics_prom(const std::string& app, const std::vector<ComponentMetrics>& components,
                         const ProcessMetrics& process) {
  Writer w(app);
  w.family("zinnia_component_jobs_completed_total", "counter",
           "Jobs the component reported with Zinnia.jobCompleted(), persisted across restarts.");
  for (const auto& c : components) w.sample(component_label(c), c.status.jobs_completed);
  w.family("zinnia_component_restarts_total", "counter",
           "Restarts of the component after a crash since zinniad started.");
  for (const auto& c : components) w.sample(component_label(c), c.status.restarts);
  w.family("zinnia_component_state", "gauge",
           "1 for the component's current state (running, restarting, exited, crashed), else 0.");
  for (const auto& c : components) {
    for (auto s : {ComponentState::kRunning, ComponentState::kRestarting, ComponentState::kExited,
                   ComponentState::kCrashed}) {
      w.sample(component_label(c) + ",state=\"" + state_name(s) + "\"",
               std::uint64_t{c.status.state == s ? 1u : 0u});
    }
  }
  w.family("zinnia_component_heap_used_bytes", "gauge",
           "V8 heap in use by the component's isolate (last sample).");
  for (const auto& c : components)
    w.sample(component_label(c), static_cast<std::uint64_t>(c.status.heap_used));
  w.family("zinnia_component_heap_limit_bytes", "gauge",
           "V8 heap limit of the component's isolate.");
  for (const auto& c : components)
    w.sample(component_label(c), static_cast<std::uint64_t>(c.status.heap_limit));
  w.family("zinnia_component_uptime_seconds", "gauge",
           "Time since the component's current run started; 0 when it is not running.");
  for (const auto& c : components)
    w.sample(component_label(c), static_cast<double>(c.status.uptime.count()) / 1000.0);
  // One series per component and stream, of the log counts' bytes or lines.
  auto per_stream = [&](const char* name, const char* what, auto field) {
    static const char* const kStreams[2] = {"stdout", "stderr"};
    w.family(name, "counter",
             std::string(what) +
                 " the component wrote to its log (stdout.txt or stderr.txt) since zinniad "
                 "started.");
    for (const auto& c : components)
      for (int i = 0; i < 2; ++i)
        w.sample(component_label(c) + ",stream=\"" + kStreams[i] + "\"", (c.logs.*field)[i]);
  };
  per_stream("zinnia_component_log_bytes_total", "Bytes", &LogCounts::bytes);
  per_stream("zinnia_component_log_lines_total", "Lines", &LogCounts::lines);
  w.family("zinnia_stderr_records_dropped_total", "counter",
           "Records dropped because zinniad's stderr was not being read (the oldest queued "
           "record goes, whichever component wrote it; every line is still in its log).");
  w.sample("", process.stderr_dropped);
  if (process.fuse_requests) {
    w.family("zinnia_fuse_requests_total", "counter",
             "Requests the monitor mount's FUSE server has answered.");
    w.sample("", *process.fuse_requests);
  }
  if (process.fuse_live_readers) {
    w.family("zinnia_fuse_live_readers", "gauge", "Files open on the monitor mount now.");
    w.sample("", *process.fuse_live_readers);
  }
  return w.take();
}

}  // namespace zinnia::daemon
