#include "engine/curl/lib.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace zinnia::curl {

namespace {

struct State {
  Lib lib{};
  std::atomic<bool> ok{false};
  std::string error;
  std::string ca_file, ca_dir;  // $SSL_CERT_FILE, $SSL_CERT_DIR at load
};

State& state() {
  static State s;
  return s;
}

template <typename F>
bool bind(void* handle, const char* name, F& out, std::string& error) {
  void* sym = ::dlsym(handle, name);
  if (!sym) {
    error = std::string("libcurl is not usable: it has no ") + name;
    return false;
  }
  out = reinterpret_cast<F>(sym);
  return true;
}

void load_once() {
  State& s = state();
  const char* env =
      std::getenv("ZINNIA_LIBCURL");  // NOLINT(concurrency-mt-unsafe): under call_once
  const std::string file = env && *env ? env : "libcurl.so.4";
  // Read once, before any transfer: the environment is not read again on other threads.
  const auto read = [](const char* name, std::string& out) {
    const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): under call_once
    if (v && *v) out = v;
  };
  read("SSL_CERT_FILE", s.ca_file);
  read("SSL_CERT_DIR", s.ca_dir);
  // Never closed: curl keeps global state, and handles may live until the process ends.
  void* h = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* why = ::dlerror();  // NOLINT(concurrency-mt-unsafe): under the loader's once
    s.error = "libcurl is not available: " + std::string(why ? why : file);
    return;
  }
  Lib& l = s.lib;
  std::string& e = s.error;
  // clang-format off
  bool ok = bind(h, "curl_easy_init", l.easy_init, e) &&
            bind(h, "curl_easy_cleanup", l.easy_cleanup, e) &&
            bind(h, "curl_easy_reset", l.easy_reset, e) &&
            bind(h, "curl_easy_setopt", l.easy_setopt, e) &&
            bind(h, "curl_easy_getinfo", l.easy_getinfo, e) &&
            bind(h, "curl_easy_pause", l.easy_pause, e) &&
            bind(h, "curl_easy_strerror", l.easy_strerror, e) &&
            bind(h, "curl_slist_append", l.slist_append, e) &&
            bind(h, "curl_slist_free_all", l.slist_free_all, e) &&
            bind(h, "curl_multi_init", l.multi_init, e) &&
            bind(h, "curl_multi_cleanup", l.multi_cleanup, e) &&
            bind(h, "curl_multi_setopt", l.multi_setopt, e) &&
            bind(h, "curl_multi_add_handle", l.multi_add_handle, e) &&
            bind(h, "curl_multi_remove_handle", l.multi_remove_handle, e) &&
            bind(h, "curl_multi_socket_action", l.multi_socket_action, e) &&
            bind(h, "curl_multi_info_read", l.multi_info_read, e) &&
            bind(h, "curl_multi_assign", l.multi_assign, e) &&
            bind(h, "curl_multi_strerror", l.multi_strerror, e);
  // clang-format on
  if (!ok) return;
  using GlobalInit = decltype(&::curl_global_init);
  GlobalInit global_init = nullptr;
  if (!bind(h, "curl_global_init", global_init, e)) return;
  if (CURLcode rc = global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    e = "libcurl is not usable: curl_global_init failed (" + std::string(l.easy_strerror(rc)) + ")";
    return;
  }
  s.ok.store(true, std::memory_order_release);
}

}  // namespace

const Lib* load(std::string* error) {
  static std::once_flag once;
  std::call_once(once, load_once);
  State& s = state();
  if (s.ok.load(std::memory_order_acquire)) return &s.lib;
  if (error) *error = s.error;
  return nullptr;
}

const Lib& lib() {
  State& s = state();
  if (!s.ok.load(std::memory_order_acquire)) {
    std::fputs("zinnia: libcurl used before curl::load() succeeded\n", stderr);
    std::abort();
  }
  return s.lib;
}

bool loaded() { return state().ok.load(std::memory_order_acquire); }

void apply_trust_env(CURL* easy) {
  const State& s = state();
  if (!s.ca_file.empty()) s.lib.easy_setopt(easy, CURLOPT_CAINFO, s.ca_file.c_str());
  if (!s.ca_dir.empty()) s.lib.easy_setopt(easy, CURLOPT_CAPATH, s.ca_dir.c_str());
}

}  // namespace zinnia::curl
