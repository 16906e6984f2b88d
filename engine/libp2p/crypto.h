#pragma once
// The cryptography libp2p needs, from OpenSSL 3: Ed25519 identities, X25519,
// ChaCha20-Poly1305 and SHA-256/HMAC; and peer ids (libp2p/specs peer-ids).
#include <array>
#include <memory>
#include <string>

#include "engine/libp2p/codec.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace zinnia::libp2p {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const;
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

using Key32 = std::array<std::uint8_t, 32>;

// An Ed25519 identity key pair, new at every construction (Zinnia's peer id is ephemeral).
class Identity {
 public:
  Identity();
  const Key32& public_key() const { return public_; }
  Bytes sign(const Bytes& message) const;
  // The protobuf PublicKey {Type: Ed25519, Data: key}.
  Bytes public_key_protobuf() const;

 private:
  Pkey key_;
  Key32 public_{};
};

// A peer id: the multihash of a protobuf PublicKey (identity multihash when the key encodes
// to at most 42 bytes, as Ed25519 does; SHA-256 otherwise).
class PeerId {
 public:
  PeerId() = default;
  static PeerId from_public_key(const Bytes& public_key_protobuf);
  static PeerId from_multihash(Bytes mh);  // throws DecodeError
  // base58btc ("12D3KooW...", "Qm...") or CIDv1 multibase ("bafz..."); throws DecodeError.
  static PeerId parse(std::string_view text);

  const Bytes& multihash() const { return mh_; }
  std::string to_base58() const { return base58btc_encode(mh_); }
  std::string to_cid() const;  // "b" + base32(0x01 0x72 multihash)
  bool empty() const { return mh_.empty(); }
  bool operator==(const PeerId&) const = default;

 private:
  Bytes mh_;
};

// Verifies `signature` of `message` by the key in `public_key_protobuf`; only Ed25519 keys
// are accepted (js-libp2p's and rust-libp2p's default). Throws DecodeError for an
// unsupported or malformed key; returns false for a bad signature.
bool verify_signature(const Bytes& public_key_protobuf, const Bytes& message,
                      const Bytes& signature);

Key32 sha256(const std::uint8_t* data, std::size_t size);
Key32 hmac_sha256(const Key32& key, const std::uint8_t* data, std::size_t size);

class X25519 {
 public:
  X25519();  // a new key pair
  const Key32& public_key() const { return public_; }
  // Throws DecodeError for a low-order peer point (all-zero result).
  Key32 dh(const Key32& peer_public) const;

 private:
  Pkey key_;
  Key32 public_{};
};

// ChaCha20-Poly1305 AEAD with Noise's nonce (32 zero bits, then the 64-bit counter, LE).
Bytes aead_encrypt(const Key32& key, std::uint64_t nonce, const Bytes& ad, const std::uint8_t* data,
                   std::size_t size);
// Returns false when the tag does not authenticate.
bool aead_decrypt(const Key32& key, std::uint64_t nonce, const Bytes& ad, const std::uint8_t* data,
                  std::size_t size, Bytes& out);

}  // namespace zinnia::libp2p
