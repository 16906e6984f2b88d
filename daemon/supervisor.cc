#include "daemon/supervisor.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <thread>

#include "daemon/core/events.h"
#include "engine/p2p/p2p.h"
#include "fusefs/guest/guest_view.h"
#include "util/error.h"
#include "util/version.h"

namespace zinnia::daemon {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// The zinnia:fs view of one component: its `files` grants over the tree and host folders.
// Throws std::system_error naming a host folder that cannot be opened.
std::shared_ptr<GuestFs> make_guest_fs(const Component& component, fusefs::Tree& tree,
                                       std::size_t read_limit) {
  std::vector<fusefs::guest::Grant> grants;
  for (const auto& file : component.files) {
    fusefs::guest::Grant g;
    g.destination = file.destination;
    if (file.in_tree) {
      g.tree_path = file.tree_path;
    } else {
      g.host_dir = file.host_path;
    }
    grants.push_back(std::move(g));
  }
  return std::make_shared<fusefs::guest::GuestView>(std::move(grants), &tree, read_limit);
}

}  // namespace

struct Supervisor::Slot {
  Component spec;
  std::string fingerprint;
  std::shared_ptr<std::atomic<std::uint64_t>> jobs;
  std::shared_ptr<LogCounters> log_counts = std::make_shared<LogCounters>();
  std::unique_ptr<ComponentSink> sink;
  std::unique_ptr<engine::Module> module;  // destroyed before `sink`
  std::uint64_t generation = 0;
  ComponentState state = ComponentState::kRunning;
  std::uint64_t restarts = 0;
  std::string last_error;
  Backoff backoff;
  Clock::time_point started;
  std::chrono::system_clock::time_point started_at;
  Clock::time_point restart_at;
  engine::HeapUsage last_heap;
};

namespace {

std::string seconds_text(std::chrono::milliseconds d) {
  char buf[32];
  if (d.count() % 1000 == 0) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(d.count() / 1000));
  } else {
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(d.count()) / 1000.0);
  }
  return buf;
}

// FNV-1a over the bytes of a file; a cheap change detector for SIGHUP.
void hash_file(const fs::path& path, std::uint64_t& h) {
  std::ifstream in(path, std::ios::binary);
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      h ^= static_cast<unsigned char>(buf[i]);
      h *= 1099511628211ull;
    }
    if (!in) break;
  }
}

const char* reason_text(engine::ExitReason r) {
  switch (r) {
    case engine::ExitReason::kUncaught:
      return "uncaught error";
    case engine::ExitReason::kOutOfMemory:
      return "out of memory";
    case engine::ExitReason::kHung:
      return "hung";
    default:
      return "exited";
  }
}

}  // namespace

Supervisor::Supervisor(Config config, fusefs::Tree& tree, StderrLog& log, EventWriter& events)
    : config_(std::move(config)),
      tree_(tree),
      log_(log),
      events_(events),
      state_(config_.state_root) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  signal_fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_) throw_errno("signalfd", "SIGINT/SIGTERM/SIGHUP");
  wake_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_fd_) throw_errno("eventfd", "supervisor");
  // The libp2p node's lines (connections opened and closed, listening) at debug level.
  engine::set_process_libp2p_log(
      [this](const std::string& line) { log_.daemon().debug("{}", line); });
}

Supervisor::~Supervisor() {
  engine::set_process_libp2p_log(nullptr);
  shutdown();
}

std::string Supervisor::fingerprint(const Component& c) const {
  std::uint64_t h = 1469598103934665603ull;
  // A component in its own folder (spark/main.js) may import anything in it; a lone file
  // (ping.js beside others) is only itself.
  const std::string stem = c.entry.stem().string();
  if (stem == "main" || stem == "index") {
    std::error_code ec;
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(c.entry.parent_path(), ec);
         !ec && it != fs::recursive_directory_iterator() && files.size() < 2000; it.increment(ec)) {
      if (it->is_regular_file(ec)) files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      for (char ch : f.string()) {
        h ^= static_cast<unsigned char>(ch);
        h *= 1099511628211ull;
      }
      hash_file(f, h);
    }
  } else {
    hash_file(c.entry, h);
  }
  std::ostringstream out;
  out << c.entry.string() << '|' << c.spin_monitoring;
  for (const auto& f : c.files) out << '|' << f.source << '>' << f.destination;
  out << '|' << std::hex << h;
  return out.str();
}

void Supervisor::publish_manifest() {
  const std::string dir = "config/" + config_.manifest.app + "/";
  tree_.set_blob(dir + "manifest.json", manifest_json(config_.manifest));
  tree_.set_blob(dir + "manifest.toml", manifest_toml(config_.manifest));
}

JobTotals Supervisor::totals() const {
  JobTotals t = persisted_;
  for (const auto& [name, slot] : slots_) t[name] = slot->jobs->load(std::memory_order_acquire);
  return t;
}

void Supervisor::add(const Component& spec, std::string fp) {
  auto slot = std::make_unique<Slot>();
  slot->spec = spec;
  slot->fingerprint = std::move(fp);
  std::uint64_t base = 0;
  if (auto it = persisted_.find(spec.id); it != persisted_.end()) {
    base = it->second;
    persisted_.erase(it);
  }
  slot->jobs = std::make_shared<std::atomic<std::uint64_t>>(base);
  slot->backoff = Backoff(config_.backoff_initial);
  tree_.add_component(spec.id);
  Slot& s = *slot;
  slots_[spec.id] = std::move(slot);
  start(s);
}

void Supervisor::start(Slot& slot) {
  slot.module.reset();
  slot.sink.reset();
  const std::uint64_t generation = ++slot.generation;
  ComponentSink::Targets t;
  t.out = tree_.log(slot.spec.id, fusefs::Stream::kStdout);
  t.err = tree_.log(slot.spec.id, fusefs::Stream::kStderr);
  t.stderr_out = log_.module(slot.spec.id);
  t.daemon_log = &log_.daemon();
  t.events = &events_;
  t.jobs = slot.jobs;
  t.log_counts = slot.log_counts;
  t.job_changes = &job_changes_;
  t.jobs_wake_armed = &jobs_wake_armed_;
  t.wake = [this] {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_.get(), &one, sizeof one);
  };
  t.on_exit = [this, name = slot.spec.id, generation](const engine::Exit& exit) {
    {
      std::lock_guard lock(exits_mutex_);
      exits_.push_back(ExitNote{name, generation, exit});
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_.get(), &one, sizeof one);
  };
  slot.sink = std::make_unique<ComponentSink>(slot.spec.id, std::move(t));
  engine::ModuleOptions o;
  o.name = slot.spec.id;
  o.entry = slot.spec.entry;
  o.sandboxed = true;
  o.wallet_address = config_.wallet_address;
  o.station_id = config_.station_id;
  o.heap_limit_bytes = config_.heap_limit_bytes;
  o.external_limit_bytes = config_.external_limit_bytes;
  o.hang_timeout = config_.hang_timeout;
  o.share_cpu = true;
  o.user_agent = std::string("zinniad/") + kVersion + " " + slot.spec.id;
  try {
    o.fs = make_guest_fs(slot.spec, tree_, config_.read_limit_bytes);
  } catch (const std::exception& e) {
    // A granted host folder vanished since the manifest was loaded: the module sees nothing.
    log_.daemon().error("{}: zinnia:fs grants unavailable: {}", slot.spec.id, e.what());
  }
  slot.state = ComponentState::kRunning;
  slot.started = Clock::now();
  slot.started_at = std::chrono::system_clock::now();
  slot.module = std::make_unique<engine::Module>(std::move(o), *slot.sink);
  ever_started_ = true;
  status_dirty_ = true;
  log_.daemon().debug("started {} ({})", slot.spec.id, slot.spec.entry.string());
}

void Supervisor::stop_and_join(Slot& slot) {
  if (slot.module) {
    slot.module->stop();
    slot.module->join();
    slot.last_heap = slot.module->heap_usage();
  }
  slot.module.reset();
  slot.sink.reset();
}

void Supervisor::handle_exits() {
  std::vector<ExitNote> notes;
  {
    std::lock_guard lock(exits_mutex_);
    notes.swap(exits_);
  }
  for (auto& note : notes) {
    auto it = slots_.find(note.name);
    if (it == slots_.end() || it->second->generation != note.generation) continue;
    Slot& slot = *it->second;
    if (slot.module) {
      slot.module->join();
      slot.last_heap = slot.module->heap_usage();
    }
    slot.module.reset();
    slot.sink.reset();
    status_dirty_ = true;
    const auto& exit = note.exit;
    const std::string& name = note.name;
    if (exit.reason == engine::ExitReason::kFinished) {
      slot.state = ComponentState::kExited;
      if (exit.code != 0) slot.last_error = "exit code " + std::to_string(exit.code);
      events_.post(event_activity(false, name, name + " exited"));
      log_.daemon().info("{} exited", name);
      continue;
    }
    if (exit.reason == engine::ExitReason::kStopped) continue;
    const auto ran =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - slot.started);
    const auto delay = slot.backoff.next(ran);
    slot.state = ComponentState::kRestarting;
    slot.last_error = exit.message;
    slot.restart_at = Clock::now() + delay;
    events_.post(event_activity(
        true, name, name + " crashed (" + reason_text(exit.reason) + "): " + exit.message));
    events_.post(
        event_activity(false, name, name + " restarting in " + seconds_text(delay) + " s"));
    log_.daemon().error("{} crashed ({}): {}; restarting in {} s", name, reason_text(exit.reason),
                        exit.message, seconds_text(delay));
  }
}

void Supervisor::restart_due() {
  const auto now = Clock::now();
  for (auto& [name, slot] : slots_) {
    if (slot->state == ComponentState::kRestarting && now >= slot->restart_at) {
      ++slot->restarts;
      start(*slot);
    }
  }
}

void Supervisor::reload() {
  log_.daemon().info("SIGHUP: reloading {}", config_.manifest_path ? config_.manifest_path->string()
                                                                   : std::string("the modules"));
  Manifest next;
  try {
    next = effective_manifest(config_);
  } catch (const ConfigError& e) {
    events_.post(event_activity(true, std::nullopt, std::string("reload failed: ") + e.what()));
    log_.daemon().error("reload failed, keeping the running app: {}", e.what());
    return;
  }
  if (next.app != config_.manifest.app) {
    const std::string msg = "reload failed: the app name cannot change while running (" +
                            config_.manifest.app + " -> " + next.app + ")";
    events_.post(event_activity(true, std::nullopt, msg));
    log_.daemon().error("{}", msg);
    return;
  }
  std::map<std::string, const Component*> wanted;
  for (const auto& c : next.components) wanted[c.id] = &c;
  for (auto it = slots_.begin(); it != slots_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    const std::string name = it->first;
    stop_and_join(*it->second);
    persisted_[name] = it->second->jobs->load();
    it = slots_.erase(it);
    // Its log files and memory windows go with it (issue 19 #17); the files stay on disk.
    tree_.remove_component(name);
    events_.post(event_activity(false, name, name + " removed"));
    log_.daemon().info("{} removed", name);
  }
  for (const auto& c : next.components) {
    std::string fp = fingerprint(c);
    auto it = slots_.find(c.id);
    if (it == slots_.end()) {
      add(c, std::move(fp));
      events_.post(event_activity(false, c.id, c.id + " added"));
      log_.daemon().info("{} added", c.id);
    } else if (it->second->fingerprint != fp) {
      Slot& slot = *it->second;
      stop_and_join(slot);
      slot.spec = c;
      slot.fingerprint = std::move(fp);
      slot.backoff.reset();
      start(slot);
      events_.post(event_activity(false, c.id, c.id + " reloaded"));
      log_.daemon().info("{} reloaded", c.id);
    }
  }
  config_.manifest = std::move(next);
  order_.clear();
  for (const auto& c : config_.manifest.components) order_.push_back(c.id);
  publish_manifest();
  status_dirty_ = true;
}

void Supervisor::tick(bool force, bool final_totals) {
  const auto now = Clock::now();
  const std::uint64_t changes = job_changes_.load(std::memory_order_acquire);
  if ((changes != job_changes_reported_ && (force || now - last_jobs_ >= 200ms)) || final_totals) {
    job_changes_reported_ = changes;
    last_jobs_ = now;
    jobs_wake_armed_.store(true, std::memory_order_release);
    const JobTotals t = totals();
    // Never dropped: a Station that stalled gets the latest totals once it reads again.
    events_.post_latest(event_jobs_completed(t));
    try {
      state_.save(t);
      state_error_reported_ = false;
    } catch (const std::exception& e) {
      if (!state_error_reported_) log_.daemon().error("cannot persist job totals: {}", e.what());
      state_error_reported_ = true;
    }
    status_dirty_ = true;
  }
  // Heap and uptime move all the time: refresh each second, sooner after a change.
  if (force || (status_dirty_ && now - last_status_ >= 200ms) || now - last_status_ >= 1s) {
    write_status();
    last_status_ = now;
    status_dirty_ = false;
  }
  log_.report_drops();
}

void Supervisor::write_status() {
  std::vector<ComponentStatus> list;
  std::vector<ComponentMetrics> metrics;
  const auto now = Clock::now();
  for (const auto& name : order_) {
    auto it = slots_.find(name);
    if (it == slots_.end()) continue;
    const Slot& s = *it->second;
    ComponentStatus c;
    c.name = name;
    c.state = s.state;
    c.restarts = s.restarts;
    c.last_error = s.last_error;
    c.jobs_completed = s.jobs->load();
    const auto heap = s.module ? s.module->heap_usage() : s.last_heap;
    c.heap_used = heap.used;
    c.heap_limit = heap.limit ? heap.limit : config_.heap_limit_bytes;
    if (s.state == ComponentState::kRunning) {
      c.uptime = std::chrono::duration_cast<std::chrono::milliseconds>(now - s.started);
      c.started_at = s.started_at;
    }
    ComponentMetrics m;
    m.status = c;
    for (int i = 0; i < 2; ++i) {
      m.logs.bytes[i] = s.log_counts->bytes[i].load(std::memory_order_relaxed);
      m.logs.lines[i] = s.log_counts->lines[i].load(std::memory_order_relaxed);
    }
    metrics.push_back(std::move(m));
    list.push_back(std::move(c));
  }
  try {
    std::optional<Libp2pStatus> p2p;
    if (auto st = engine::process_libp2p_stats()) {
      p2p = Libp2pStatus{"running",          st->peer_id,        st->listen_addrs,
                         st->connections,    st->streams,        st->requests_in_flight,
                         st->requests_total, st->requests_failed};
    } else if (ever_started_) {
      p2p.emplace();  // no module has used it yet
      p2p->state = "not started";
    }
    tree_.set_blob("monitor/status.json",
                   status_json(config_.manifest.app, list, std::chrono::system_clock::now(),
                               p2p ? &*p2p : nullptr));
  } catch (const std::exception& e) {
    log_.daemon().error("cannot update monitor/status.json: {}", e.what());
  }
  // The same numbers for Prometheus (node_exporter's textfile collector), at the same pace.
  try {
    ProcessMetrics process = process_metrics_ ? process_metrics_() : ProcessMetrics{};
    process.stderr_dropped = log_.dropped();
    tree_.set_blob("monitor/metrics.prom", metrics_prom(config_.manifest.app, metrics, process));
  } catch (const std::exception& e) {
    log_.daemon().error("cannot update monitor/metrics.prom: {}", e.what());
  }
}

bool Supervisor::all_finished() const {
  if (!ever_started_ || slots_.empty()) return false;
  for (const auto& [name, slot] : slots_)
    if (slot->state != ComponentState::kExited) return false;
  return true;
}

int Supervisor::run() {
  auto step = [this](const std::string& what) {
    if (on_startup_step_) on_startup_step_(what);
  };
  step("read " + state_.path().string());
  std::string warning;
  persisted_ = state_.load(&warning);
  if (!warning.empty()) log_.daemon().warn("{}", warning);
  if (auto legacy = persisted_.find(std::string(StateFile::kLegacyTotal));
      legacy != persisted_.end() && !config_.manifest.components.empty()) {
    persisted_[config_.manifest.components.front().id] += legacy->second;
    persisted_.erase(std::string(StateFile::kLegacyTotal));
  }
  step("write " + state_.path().string());
  state_.save(totals());  // fails early (exit 1) when STATE_ROOT is unusable

  publish_manifest();
  events_.post(event_started());
  for (const auto& c : config_.manifest.components) persisted_.try_emplace(c.id, 0);
  events_.post_latest(event_jobs_completed(persisted_));
  // The start-up report does not open a coalescing window: the first job goes out at once.
  last_jobs_ = Clock::now() - 200ms;
  for (const auto& c : config_.manifest.components) {
    step("start " + c.id + " (" + c.entry.string() + ")");
    order_.push_back(c.id);
    add(c, fingerprint(c));
  }
  tick(true);
  step("");

  for (;;) {
    pollfd fds[2] = {{signal_fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
    int timeout = 50;
    for (const auto& [name, slot] : slots_) {
      if (slot->state == ComponentState::kRestarting) {
        auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(slot->restart_at - Clock::now());
        timeout = std::max(0, std::min<int>(timeout, static_cast<int>(left.count())));
      }
    }
    int n = ::poll(fds, 2, timeout);
    if (n < 0 && errno != EINTR) throw_errno("poll", "supervisor");
    if (fds[1].revents & POLLIN) {
      std::uint64_t v;
      [[maybe_unused]] auto r = ::read(wake_fd_.get(), &v, sizeof v);
    }
    handle_exits();
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      bool stop = false, hup = false;
      while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
        if (info.ssi_signo == SIGHUP) hup = true;
        if (info.ssi_signo == SIGINT || info.ssi_signo == SIGTERM) stop = true;
      }
      if (stop) {
        log_.daemon().info("stopping (signal)");
        shutdown();
        return 0;
      }
      if (hup) reload();
    }
    restart_due();
    tick(false);
    if (all_finished()) {
      log_.daemon().info("every module has finished");
      shutdown();
      return 0;
    }
  }
}

void Supervisor::shutdown() {
  if (slots_.empty() && job_changes_.load() == job_changes_reported_) return;
  if (auto f = std::exchange(on_stopping_, nullptr)) f();
  for (auto& [name, slot] : slots_)
    if (slot->module) slot->module->stop();
  for (auto& [name, slot] : slots_) {
    stop_and_join(*slot);
    if (slot->state == ComponentState::kRunning) slot->state = ComponentState::kExited;
    // Stopped while waiting out a back-off: its last run crashed.
    if (slot->state == ComponentState::kRestarting) slot->state = ComponentState::kCrashed;
  }
  handle_exits();
  // The Station always gets a final total, changed or not (issue 19 #6).
  tick(true, /*final_totals=*/true);
  for (auto& [name, slot] : slots_) persisted_[name] = slot->jobs->load();
  slots_.clear();
}

}  // namespace zinnia::daemon
