#pragma once
// Bitswap 1.2.0 (ipfs/specs, bitswap-protocol.md) as a client: the Message protobuf, its
// varint-length framing on a stream, and the per-node Client that receives the providers'
// answers. A provider answers on a stream it opens back to us on the same connection, so one
// inbound handler per libp2p node routes each decoded message to the retrievals that wait on
// that peer.
#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "engine/ipfs/bytes.h"
#include "engine/ipfs/cid.h"

namespace zinnia::libp2p {
class Node;
}

namespace zinnia::ipfs::bitswap {

constexpr std::string_view kProtocol = "/ipfs/bitswap/1.2.0";
constexpr std::string_view kProtocol11 = "/ipfs/bitswap/1.1.0";
// go-bitswap and @helia/bitswap cap a message at 4 MiB; a block may be 4 MiB, plus framing.
constexpr std::size_t kMaxMessage = (std::size_t{4} << 20) + (std::size_t{64} << 10);

struct WantEntry {
  Cid cid;
  bool cancel = false;
  bool want_have = false;  // WantType Have; otherwise Block
  bool send_dont_have = true;
  std::int32_t priority = 1;
};

// One Message with a Wantlist of `entries`, length-prefixed as it goes on a stream.
Bytes encode_wantlist(const std::vector<WantEntry>& entries, bool full);

struct Block {
  Cid cid;  // from the block's prefix and the hash of its data: matching a wanted CID verifies it
  Bytes data;
};
struct Presence {
  Cid cid;
  bool have = false;  // false: DONT_HAVE
};
struct Message {
  std::vector<Block> blocks;
  std::vector<Presence> presences;
};

// Decodes one Message (without its length prefix): payload blocks (1.1+: CID prefix + data),
// 1.0 blocks (CIDv0 dag-pb), block presences; the wantlist and pendingBytes are skipped.
// Each block's CID is computed from its data (sha2-256 or identity). Throws Error.
Message decode_message(ByteView in);

// Splits a stream into varint-length-prefixed messages of at most kMaxMessage bytes.
class Framer {
 public:
  void feed(ByteView chunk);
  // The next whole message, if any. Throws Error on a length over kMaxMessage.
  std::optional<Bytes> next();

 private:
  Bytes buf_;
  std::size_t off_ = 0;
};

// What a retrieval receives from a peer, on the loop that made it.
struct Event {
  std::optional<Message> message;  // or a failure to send our wantlist:
  std::string error;
  bool shared = false;  // other retrievals wait on the same peer (unknown blocks may be theirs)
};

// A retrieval's mailbox: filled on the libp2p node's thread, emptied on the retrieval's loop.
class Inbox {
 public:
  // `on_ready` runs on `loop` (its thread makes and closes this) after events were posted.
  Inbox(uv_loop_t* loop, std::function<void()> on_ready);
  ~Inbox();  // closes, if not closed: on the loop's thread
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;
  // Closes the uv handle; nothing is delivered after.
  void close();
  void post(Event e);
  std::deque<Event> take();

 private:
  std::mutex mu_;
  std::deque<Event> events_;
  uv_async_t* async_ = nullptr;
  std::function<void()> on_ready_;
};

// One per libp2p node: handles kProtocol (and 1.1.0) streams, decodes their messages and hands
// each to the inboxes subscribed to its peer. Thread-safe.
class Client {
 public:
  // The node's client, made (and its handler installed) on first use.
  static std::shared_ptr<Client> of(const std::shared_ptr<libp2p::Node>& node);

  void subscribe(const std::string& peer, const std::shared_ptr<Inbox>& inbox);
  void unsubscribe(const std::string& peer, const Inbox* inbox);

  // Node thread: stream data and ends.
  void on_data(std::uint64_t stream, const std::string& peer, ByteView chunk);
  void on_end(std::uint64_t stream);

  // CIDs asked of a peer by any retrieval of the process (the last kRecentWants per peer). A
  // block is named by the hash of its own bytes, so an unasked one is either a lie or a late
  // answer to a want: a repeat that arrives after its retrieval ended, or another's block.
  static constexpr std::size_t kRecentWants = 4096;
  void wanted(const std::string& peer, const std::string& cid_key);
  bool was_wanted(const std::string& peer, const std::string& cid_key);

 private:
  struct RecentWants {
    std::deque<std::string> order;
    std::unordered_set<std::string> keys;
  };
  std::map<std::string, RecentWants> recent_;  // under mu_
  struct StreamState {
    std::string peer;
    Framer framer;
    bool bad = false;
  };
  std::mutex mu_;
  std::multimap<std::string, std::weak_ptr<Inbox>> inboxes_;
  std::map<std::uint64_t, StreamState> streams_;  // node thread only
};

}  // namespace zinnia::ipfs::bitswap
