#pragma once
// libcurl, loaded on first use (dlopen of libcurl.so.4) instead of at process start: a module
// that never fetches does not map libcurl and its ~25 libraries (gnutls, krb5, ldap, ssh2...),
// ~10% of a start's instructions (docs/benchmarks.md). Only <curl/curl.h>'s types and
// constants are compiled in; every call goes through the typed table below, so the binaries
// do not link -lcurl at all (the linker refuses a stray curl_* call).
#include <curl/curl.h>

#include <memory>
#include <string>

namespace zinnia::curl {

// The functions zinnia uses, typed from curl.h's own declarations.
struct Lib {
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_pause) easy_pause;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
  decltype(&::curl_multi_init) multi_init;
  decltype(&::curl_multi_cleanup) multi_cleanup;
  decltype(&::curl_multi_setopt) multi_setopt;
  decltype(&::curl_multi_add_handle) multi_add_handle;
  decltype(&::curl_multi_remove_handle) multi_remove_handle;
  decltype(&::curl_multi_socket_action) multi_socket_action;
  decltype(&::curl_multi_info_read) multi_info_read;
  decltype(&::curl_multi_assign) multi_assign;
  decltype(&::curl_multi_strerror) multi_strerror;
};

// Loads libcurl once per process (thread-safe; curl_global_init runs then) and returns the
// table, or nullptr with `error` set to why ("libcurl is not available: libcurl.so.4: cannot
// open shared object file: ..."). $ZINNIA_LIBCURL names another file to load (tests).
const Lib* load(std::string* error = nullptr);
// The table after a successful load(); calling it before is a bug (aborts with a message).
const Lib& lib();
// True once load() succeeded in this process (for tests: nothing loaded it before a fetch).
bool loaded();
// The CA certificates to trust, as curl and OpenSSL take them from the environment:
// $SSL_CERT_FILE (a PEM bundle) and $SSL_CERT_DIR (a hashed directory) replace libcurl's
// built-in bundle and directory for this easy handle. Unset: the system's. Read at load().
// Proxies need nothing here: libcurl itself honours https_proxy/HTTPS_PROXY, http_proxy,
// ALL_PROXY and NO_PROXY, as reqwest (the real Zinnia) and Deno do.
void apply_trust_env(CURL* easy);

// Thin wrappers, so call sites read like the C API.
inline CURL* easy_init() { return lib().easy_init(); }
inline void easy_cleanup(CURL* e) { lib().easy_cleanup(e); }
inline void easy_reset(CURL* e) { lib().easy_reset(e); }
template <typename T>
CURLcode easy_setopt(CURL* e, CURLoption option, T value) {
  return lib().easy_setopt(e, option, value);
}
template <typename T>
CURLcode easy_getinfo(CURL* e, CURLINFO info, T* out) {
  return lib().easy_getinfo(e, info, out);
}
inline CURLcode easy_pause(CURL* e, int mask) { return lib().easy_pause(e, mask); }
inline const char* easy_strerror(CURLcode rc) { return lib().easy_strerror(rc); }
inline curl_slist* slist_append(curl_slist* list, const char* s) {
  return lib().slist_append(list, s);
}
inline CURLM* multi_init() { return lib().multi_init(); }
template <typename T>
CURLMcode multi_setopt(CURLM* m, CURLMoption option, T value) {
  return lib().multi_setopt(m, option, value);
}
inline const char* multi_strerror(CURLMcode rc) { return lib().multi_strerror(rc); }

struct EasyDeleter {
  void operator()(CURL* easy) const { lib().easy_cleanup(easy); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { lib().slist_free_all(list); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

}  // namespace zinnia::curl
