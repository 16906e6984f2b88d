#pragma once
// The process's libp2p node (docs/libp2p.md): one Ed25519 identity, outbound requests over
// TCP + Noise + yamux/mplex with one connection per peer, and a listener answering ping and
// identify. It runs on its own libuv thread, owned by the Node object: the destructor stops
// and joins it. Every public method is thread-safe.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/libp2p/codec.h"

namespace zinnia::libp2p {

struct Error {
  enum class Kind {
    kInvalidArgument,  // not a multiaddr, no /p2p part, empty protocol name
    kDial,             // DNS, TCP connect (refused, unreachable)
    kSecurity,         // Noise handshake failed, or the remote's identity is invalid
    kPeerIdMismatch,   // the remote is not the peer named by /p2p
    kNegotiation,      // multistream-select: the peer does not speak a protocol we asked for
    kTooLarge,         // the response passed the cap
    kCancelled,        // cancel(), cancel_requester() or the node shutting down
    kTimeout,          // the request's deadline passed
    kConnection,       // the connection or stream closed or reset mid-request
    kLimit,            // the requester has too many requests in flight
  };
  Kind kind;
  std::string message;  // names the address and the cause
};

const char* to_string(Error::Kind k);

struct NodeOptions {
  // Multiaddrs to listen on (/ip4|/ip6/<addr>/tcp/<port>; port 0 picks one); empty: none.
  std::vector<std::string> listen;
  std::string agent_version = "zinnia";
  // Muxers offered when dialling, in order of preference ("/yamux/1.0.0", "/mplex/6.7.0").
  std::vector<std::string> muxers = {"/yamux/1.0.0", "/mplex/6.7.0"};
  std::chrono::milliseconds dial_timeout{10000};             // TCP + Noise + muxer negotiation
  std::chrono::milliseconds default_request_timeout{10000};  // as real Zinnia
  std::chrono::milliseconds idle_timeout{10000};             // a connection with no streams closes
  std::size_t max_requests_per_requester = 256;
  // Debug log lines (listening, connections opened and closed with their cause), called on
  // the node's thread; the daemon sends them to its log at debug level.
  std::function<void(const std::string&)> log;
};

struct RequestOptions {
  std::string requester;                 // e.g. a module id: limits and cancel_requester()
  std::chrono::milliseconds timeout{0};  // 0: NodeOptions::default_request_timeout
  std::size_t max_response = std::size_t{10} * 1024 * 1024;
};

using RequestId = std::uint64_t;

// Called on the node's thread: keep them short, hand work to your own thread, and never
// destroy the Node from one (its destructor joins that thread).
using ChunkCallback = std::function<void(Bytes chunk)>;
// Called exactly once per request, after its last chunk; nullopt on success.
using DoneCallback = std::function<void(std::optional<Error>)>;

// Streams a remote opens to us for a protocol (Node::handle), on any connection: also one we
// dialled, since a Bitswap provider answers on a stream of its own. Called on the node's thread.
struct InboundStreamHandler {
  // Each chunk of stream `stream` (a number unique in this node) from `peer` (base58), in order.
  std::function<void(std::uint64_t stream, const std::string& peer, Bytes chunk)> on_data;
  // Once per stream, after its last chunk: the remote closed it (clean), or it was reset or
  // its connection closed (not clean).
  std::function<void(std::uint64_t stream, bool clean)> on_end;
};

struct NodeStats {
  std::string peer_id;
  std::vector<std::string> listen_addrs;  // with the actual ports
  std::uint64_t connections = 0;          // open (secured and muxed) connections
  std::uint64_t inbound_connections = 0;
  std::uint64_t streams = 0;  // open streams, both directions
  std::uint64_t requests_in_flight = 0;
  std::uint64_t requests_total = 0;
  std::uint64_t requests_failed = 0;
  std::uint64_t dials = 0;  // TCP connections we opened
};

class Node {
 public:
  // Starts the thread and the listeners; throws std::runtime_error naming a listen address
  // that is invalid or cannot be bound. The destructor completes every request still in
  // flight with kCancelled (on the node's thread), closes every connection and joins.
  explicit Node(NodeOptions options = {});
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const std::string& peer_id() const;

  // Dials `address` (with a /p2p part) or reuses the open connection to that peer, opens a
  // stream for `protocol`, writes `payload`, closes the write side and streams the response
  // into on_chunk until the remote closes; then on_done. Invalid arguments are reported
  // through on_done too (kind kInvalidArgument), on the node's thread.
  RequestId request(std::string address, std::string protocol, Bytes payload,
                    ChunkCallback on_chunk, DoneCallback on_done, RequestOptions options = {});
  // Resets the request's stream and completes it with kCancelled (no-op if already done).
  void cancel(RequestId id);
  // Cancels every request of a requester (a module stopped, restarted or killed).
  void cancel_requester(const std::string& requester);

  // Answers inbound streams for `protocol` with `handler` (replacing an earlier one) and lists
  // the protocol in identify. Applies to streams negotiated after the node's thread takes it.
  void handle(std::string protocol, InboundStreamHandler handler);

  NodeStats stats() const;

  // The implementation lives on the node thread; public for the .cc only.
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace zinnia::libp2p
