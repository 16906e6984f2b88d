#pragma once
// The sans-IO parts of the libp2p stack: each decoder takes bytes from the network (a Buffer)
// and returns whole messages, or nullopt when it needs more; malformed input throws
// DecodeError. The Node (node.h) drives them; the fuzzers (tests/fuzz/libp2p_*) feed them.
#include <optional>
#include <string>

#include "engine/libp2p/codec.h"
#include "engine/libp2p/crypto.h"

namespace zinnia::libp2p {

// --- multistream-select 1.0 (libp2p/specs connections) ----------------------------------------
namespace multistream {
inline constexpr std::string_view kProtocol = "/multistream/1.0.0";
inline constexpr std::string_view kNa = "na";
inline constexpr std::size_t kMaxMessage = 1024;
// <uvarint length><text>\n
Bytes encode(std::string_view message);
// The next message without its '\n'; throws DecodeError for a message over kMaxMessage, one
// not ending in '\n', or one with another newline inside.
std::optional<std::string> take(Buffer& in);
}  // namespace multistream

// --- Noise XX (libp2p/specs noise): Noise_XX_25519_ChaChaPoly_SHA256 ---------------------------
namespace noise {
inline constexpr std::size_t kMaxFrame = 65535;
inline constexpr std::size_t kMaxPlaintext = kMaxFrame - 16;
// A frame is a 2-byte big-endian length and that many bytes.
Bytes frame(const Bytes& body);
std::optional<Bytes> take_frame(Buffer& in);

struct Payload {
  Bytes identity_key;  // protobuf PublicKey
  Bytes identity_sig;  // signature of "noise-libp2p-static-key:" + the Noise static key
};
Bytes encode_payload(const Payload& p);
Payload decode_payload(const Bytes& b);  // throws DecodeError
Payload make_payload(const Identity& id, const Key32& static_key);
// Checks the signature against the remote's Noise static key and returns the remote's peer
// id; throws DecodeError naming what is wrong.
PeerId verify_payload(const Payload& p, const Key32& remote_static);

class CipherState {
 public:
  CipherState() = default;
  explicit CipherState(const Key32& k) : k_(k), has_key_(true) {}
  bool has_key() const { return has_key_; }
  Bytes encrypt(const Bytes& ad, const std::uint8_t* p, std::size_t n);
  // Throws DecodeError when the ciphertext does not authenticate.
  Bytes decrypt(const Bytes& ad, const std::uint8_t* p, std::size_t n);

 private:
  Key32 k_{};
  bool has_key_ = false;
  std::uint64_t n_ = 0;
};

// One side of an XX handshake. Messages are the frame bodies (without the length prefix).
// Initiator: write(msg1, empty) -> read(msg2) -> write(msg3, payload).
// Responder: read(msg1) -> write(msg2, payload) -> read(msg3).
class Handshake {
 public:
  explicit Handshake(bool initiator);
  Bytes write_message(const Bytes& payload);
  Bytes read_message(const Bytes& message);  // returns the payload; throws DecodeError
  bool done() const { return step_ == 3; }
  int step() const { return step_; }  // messages processed so far
  const Key32& local_static() const { return s_.public_key(); }
  const Key32& remote_static() const { return rs_; }
  // After the third message: (send, receive) cipher states.
  std::pair<CipherState, CipherState> split() const;

 private:
  void mix_hash(const std::uint8_t* p, std::size_t n);
  void mix_key(const Key32& ikm);
  Bytes encrypt_and_hash(const Bytes& plaintext);
  Bytes decrypt_and_hash(const std::uint8_t* p, std::size_t n);

  bool initiator_;
  int step_ = 0;
  X25519 s_, e_;
  Key32 re_{}, rs_{};
  Key32 h_{}, ck_{};
  CipherState cs_;
};
}  // namespace noise

// --- yamux (/yamux/1.0.0, hashicorp's spec) ------------------------------------------------------
namespace yamux {
enum Type : std::uint8_t { kData = 0, kWindowUpdate = 1, kPing = 2, kGoAway = 3 };
enum Flags : std::uint16_t { kSyn = 1, kAck = 2, kFin = 4, kRst = 8 };
inline constexpr std::uint32_t kInitialWindow = 256 * 1024;
inline constexpr std::size_t kHeaderSize = 12;
struct Frame {
  Type type = kData;
  std::uint16_t flags = 0;
  std::uint32_t stream = 0;
  std::uint32_t length = 0;  // data length, window delta, ping value or go-away code
  Bytes data;                // kData only
};
Bytes encode(const Frame& f);
// Throws DecodeError for a version other than 0, an unknown type, or a data frame longer than
// max_data (the receive window bounds it).
std::optional<Frame> take(Buffer& in, std::size_t max_data);
}  // namespace yamux

// --- mplex (/mplex/6.7.0) -----------------------------------------------------------------------
namespace mplex {
enum Flag : std::uint8_t {
  kNewStream = 0,
  kMessageReceiver = 1,
  kMessageInitiator = 2,
  kCloseReceiver = 3,
  kCloseInitiator = 4,
  kResetReceiver = 5,
  kResetInitiator = 6,
};
inline constexpr std::size_t kMaxMessage = 1 << 20;  // js-libp2p's and rust-libp2p's limit
struct Message {
  std::uint64_t stream = 0;
  Flag flag = kNewStream;
  Bytes data;
};
Bytes encode(const Message& m);
// Throws DecodeError for an unknown flag, a stream id over 2^60 or data over kMaxMessage.
std::optional<Message> take(Buffer& in);
}  // namespace mplex

// --- identify (/ipfs/id/1.0.0) and ping (/ipfs/ping/1.0.0) -------------------------------------
namespace identify {
struct Info {
  std::string protocol_version;
  std::string agent_version;
  Bytes public_key;
  std::vector<Bytes> listen_addrs;  // binary multiaddrs
  Bytes observed_addr;
  std::vector<std::string> protocols;
};
Bytes encode(const Info& i);
Info decode(const Bytes& b);  // throws DecodeError
}  // namespace identify

}  // namespace zinnia::libp2p
