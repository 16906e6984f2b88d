#include "engine/api/code_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace zinnia::engine {
namespace {

constexpr char kMagic[8] = {'Z', 'N', 'N', 'C', 'A', 'C', 'H', 'E'};
constexpr std::uint32_t kFormat = 1;
constexpr std::size_t kMaxEntries = 4096;
constexpr std::size_t kMaxFileBytes = std::size_t{256} << 20;

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// Reads little-endian fields from a bounded buffer; any read past the end sets `bad`.
struct Reader {
  const std::vector<std::uint8_t>& data;
  std::size_t pos = 0;
  bool bad = false;
  bool has(std::size_t n) {
    if (n > data.size() - pos) bad = true;
    return !bad;
  }
  std::uint32_t u32() {
    if (!has(4)) return 0;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t{data[pos + i]} << (8 * i);
    pos += 4;
    return v;
  }
};

std::string_view as_chars(const std::vector<std::uint8_t>& data, std::size_t from, std::size_t n) {
  return {reinterpret_cast<const char*>(data.data()) + from, n};
}

bool env_flag(const char* name) {
  const char* v = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): the process never setenv()s
  return v && *v && std::strcmp(v, "0") != 0;
}

}  // namespace

std::uint64_t cache_hash(std::string_view data, std::uint64_t seed) {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ULL;
  std::uint64_t h = seed ^ (data.size() * kMul);
  std::size_t i = 0;
  for (; i + 8 <= data.size(); i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, data.data() + i, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 29;
  }
  std::uint64_t tail = 0;
  if (i < data.size()) std::memcpy(&tail, data.data() + i, data.size() - i);
  h = (h ^ tail) * kMul;
  h ^= h >> 32;
  return h;
}

std::vector<std::uint8_t> CodeCache::encode(std::string_view key,
                                            const std::vector<Bytes>& entries) {
  std::vector<std::uint8_t> out(kMagic, kMagic + sizeof kMagic);
  put_u32(out, kFormat);
  put_u32(out, static_cast<std::uint32_t>(key.size()));
  out.insert(out.end(), key.begin(), key.end());
  std::uint32_t count = 0;
  for (const auto& e : entries) count += e ? 1 : 0;
  put_u32(out, count);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i]) continue;
    put_u32(out, static_cast<std::uint32_t>(i));
    put_u32(out, static_cast<std::uint32_t>(entries[i]->size()));
    out.insert(out.end(), entries[i]->begin(), entries[i]->end());
  }
  const std::uint64_t sum = cache_hash(as_chars(out, 0, out.size()));
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(sum >> (8 * i)));
  return out;
}

std::string CodeCache::decode(std::string_view key, const std::vector<std::uint8_t>& data,
                              std::vector<Bytes>& entries) {
  entries.clear();
  if (data.size() < sizeof kMagic + 8 || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
    return "not a zinnia code cache file";
  const std::size_t body = data.size() - 8;
  std::uint64_t sum = 0;
  for (int i = 0; i < 8; ++i) sum |= std::uint64_t{data[body + i]} << (8 * i);
  if (sum != cache_hash(as_chars(data, 0, body))) return "checksum mismatch (torn or corrupt)";
  Reader r{data, sizeof kMagic};
  if (r.u32() != kFormat) return "another file format";
  const std::uint32_t key_size = r.u32();
  if (!r.has(key_size) || r.pos + key_size > body) return "truncated key";
  if (as_chars(data, r.pos, key_size) != key) return "made for another key (binary, V8 or flags)";
  r.pos += key_size;
  const std::uint32_t count = r.u32();
  if (count > kMaxEntries) return "too many entries";
  std::vector<Bytes> out;
  for (std::uint32_t n = 0; n < count && !r.bad; ++n) {
    const std::uint32_t index = r.u32();
    const std::uint32_t size = r.u32();
    if (r.bad || index >= kMaxEntries || size > body - r.pos) return "truncated entry";
    if (out.size() <= index) out.resize(index + 1);
    if (out[index]) return "entry listed twice";
    out[index] = std::make_shared<const std::vector<std::uint8_t>>(data.begin() + r.pos,
                                                                   data.begin() + r.pos + size);
    r.pos += size;
  }
  if (r.bad || r.pos != body) return "malformed entries";
  entries = std::move(out);
  return {};
}

CodeCache::CodeCache() : log_(env_flag("ZINNIA_CODE_CACHE_LOG")) {}

void CodeCache::persist(std::filesystem::path dir, std::string key) {
  std::lock_guard lock(mu_);
  char name[40];
  std::snprintf(name, sizeof name, "bootstrap-%016llx.bin",
                static_cast<unsigned long long>(cache_hash(key)));
  dir_ = std::move(dir);
  file_ = dir_ / name;
  key_ = std::move(key);
  loaded_ = false;
}

void CodeCache::load() {
  if (loaded_ || file_.empty()) return;
  loaded_ = true;
  const int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    totals_.load_problem = errno == ENOENT ? "no file yet" : std::generic_category().message(errno);
  } else {
    std::vector<std::uint8_t> data;
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size < 0 ||
        static_cast<std::size_t>(st.st_size) > kMaxFileBytes) {
      totals_.load_problem = "unreadable or too large";
    } else {
      data.resize(static_cast<std::size_t>(st.st_size));
      std::size_t got = 0;
      while (got < data.size()) {
        const ssize_t n = ::read(fd, data.data() + got, data.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
      data.resize(got);
      std::vector<Bytes> entries;
      totals_.load_problem = decode(key_, data, entries);
      if (totals_.load_problem.empty()) {
        for (std::size_t i = 0; i < entries.size(); ++i)
          if (entries[i] && (files_.size() <= i || !files_[i])) {
            if (files_.size() <= i) files_.resize(i + 1);
            files_[i] = std::move(entries[i]);
          }
      }
    }
    ::close(fd);
  }
  if (log_ && !totals_.load_problem.empty())
    std::fprintf(stderr, "zinnia: code cache: not using %s: %s\n", file_.c_str(),
                 totals_.load_problem.c_str());
}

bool CodeCache::begin() {
  std::lock_guard lock(mu_);
  load();
  // On disk every bootstrap stores what is missing (worth it for the next process); in memory
  // only from the second bootstrap on.
  return !file_.empty() || bootstraps_++ > 0;
}

CodeCache::Bytes CodeCache::get(std::size_t file) {
  std::lock_guard lock(mu_);
  return file < files_.size() ? files_[file] : nullptr;
}

void CodeCache::reject(std::size_t file) {
  std::lock_guard lock(mu_);
  if (file < files_.size()) files_[file] = nullptr;
}

bool CodeCache::put(std::size_t file, Bytes bytes) {
  std::lock_guard lock(mu_);
  if (files_.size() <= file) files_.resize(file + 1);
  if (files_[file]) return false;
  files_[file] = std::move(bytes);
  dirty_ = true;
  return true;
}

void CodeCache::end(const Use& use) {
  std::lock_guard lock(mu_);
  totals_.consumed += use.consumed;
  totals_.rejected += use.rejected;
  totals_.compiled += use.compiled;
  if (log_)
    std::fprintf(stderr, "zinnia: code cache: %zu consumed, %zu rejected, %zu compiled (%s)\n",
                 use.consumed, use.rejected, use.compiled,
                 file_.empty() ? "in memory" : file_.c_str());
  if (dirty_ && !file_.empty()) write();
}

void CodeCache::write() {
  dirty_ = false;  // one attempt per change: a read-only cache folder is not retried per module
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  const auto bytes = encode(key_, files_);
  static std::atomic<unsigned> serial{0};
  const std::string tmp =
      file_.string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(++serial);
  std::string problem;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    problem = std::string("cannot create ") + tmp + ": " + std::generic_category().message(errno);
  } else {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    // No fsync: a file torn by a crash fails the checksum and is rebuilt.
    if (::close(fd) != 0 || done != bytes.size())
      problem = std::string("cannot write ") + tmp + ": " + std::generic_category().message(errno);
    else if (::rename(tmp.c_str(), file_.c_str()) != 0)
      problem = std::string("cannot rename to ") + file_.string() + ": " +
                std::generic_category().message(errno);
    if (!problem.empty()) ::unlink(tmp.c_str());
  }
  if (problem.empty()) ++totals_.writes;
  if (log_) {
    if (problem.empty())
      std::fprintf(stderr, "zinnia: code cache: wrote %s (%zu bytes)\n", file_.c_str(),
                   bytes.size());
    else
      std::fprintf(stderr, "zinnia: code cache: %s\n", problem.c_str());
  }
}

CodeCache::Totals CodeCache::totals() {
  std::lock_guard lock(mu_);
  return totals_;
}

std::filesystem::path CodeCache::file() const { return file_; }

}  // namespace zinnia::engine
