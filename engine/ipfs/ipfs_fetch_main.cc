// zinnia-ipfs-fetch URL [OUT]: retrieves an ipfs:// URL with the library's retriever (config
// from the environment, as zinniad reads it) and writes the verified CAR to OUT or stdout.
// Exit 0 on success; otherwise the status and message on stderr, exit 1 (2 for usage).
#include <uv.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "engine/ipfs/retriever.h"
#include "engine/libp2p/node.h"

namespace {

using zinnia::ipfs::ByteView;

struct Sink : zinnia::ipfs::RetrievalSink {
  FILE* out;
  int* exit_code;
  Sink(FILE* o, int* code) : out(o), exit_code(code) {}
  void on_response(int status, const std::string& message) override {
    if (status != 200) {
      std::fprintf(stderr, "zinnia-ipfs-fetch: %d %s\n", status, message.c_str());
      *exit_code = 1;
    }
  }
  bool on_data(ByteView car) override {
    if (std::fwrite(car.data(), 1, car.size(), out) != car.size()) {
      std::perror("zinnia-ipfs-fetch: write");
      *exit_code = 1;
    }
    return true;
  }
  void on_end() override { *exit_code = 0; }
  void on_error(const std::string& message) override {
    std::fprintf(stderr, "zinnia-ipfs-fetch: %s\n", message.c_str());
    *exit_code = 1;
  }
  void on_provider_failed(const zinnia::ipfs::Provider& p, const std::string& reason) override {
    std::fprintf(stderr, "zinnia-ipfs-fetch: provider %s dropped: %s\n", p.address.c_str(),
                 reason.c_str());
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr, "usage: zinnia-ipfs-fetch ipfs://CID[/path][?params] [OUT]\n");
    return 2;
  }
  zinnia::ipfs::RetrieverConfig config;
  try {
    config = zinnia::ipfs::RetrieverConfig::from_env();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zinnia-ipfs-fetch: %s\n", e.what());
    return 2;
  }
  FILE* out = stdout;
  if (argc == 3) {
    out = std::fopen(argv[2], "wb");
    if (!out) {
      std::perror(argv[2]);
      return 1;
    }
  }
  // Bitswap providers are reached through a libp2p node of this process, made on first use.
  std::shared_ptr<zinnia::libp2p::Node> node;
  config.libp2p_node = [&node] {
    if (!node) node = std::make_shared<zinnia::libp2p::Node>();
    return node;
  };
  int code = 1;
  uv_loop_t loop;
  uv_loop_init(&loop);
  try {
    zinnia::ipfs::Retriever retriever(&loop, config);
    retriever.start(argv[1], std::make_unique<Sink>(out, &code));
    uv_run(&loop, UV_RUN_DEFAULT);
    retriever.shutdown();
    uv_run(&loop, UV_RUN_DEFAULT);
  } catch (const std::runtime_error& e) {  // libcurl cannot be loaded
    std::fprintf(stderr, "zinnia-ipfs-fetch: %s\n", e.what());
  }
  uv_loop_close(&loop);
  if (out != stdout) std::fclose(out);
  return code;
}
