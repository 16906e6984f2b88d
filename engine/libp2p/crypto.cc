#include "engine/libp2p/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <stdexcept>

namespace zinnia::libp2p {
namespace {

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(std::string("libp2p crypto: ") + what + " failed (OpenSSL)");
}

Pkey keygen(int type) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(type, nullptr);
  EVP_PKEY* key = nullptr;
  const bool ok = ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &key) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) fail("key generation");
  return Pkey(key);
}

Key32 raw_public(EVP_PKEY* key) {
  Key32 out;
  std::size_t len = out.size();
  if (EVP_PKEY_get_raw_public_key(key, out.data(), &len) != 1 || len != 32) fail("public key");
  return out;
}

struct MdCtx {
  EVP_MD_CTX* p = EVP_MD_CTX_new();
  ~MdCtx() { EVP_MD_CTX_free(p); }
};
struct CipherCtx {
  EVP_CIPHER_CTX* p = EVP_CIPHER_CTX_new();
  ~CipherCtx() { EVP_CIPHER_CTX_free(p); }
};

constexpr std::uint64_t kKeyTypeEd25519 = 1;

}  // namespace

void PkeyDeleter::operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }

Identity::Identity() : key_(keygen(EVP_PKEY_ED25519)), public_(raw_public(key_.get())) {}

Bytes Identity::sign(const Bytes& message) const {
  MdCtx ctx;
  Bytes sig(64);
  std::size_t len = sig.size();
  if (!ctx.p || EVP_DigestSignInit(ctx.p, nullptr, nullptr, nullptr, key_.get()) != 1 ||
      EVP_DigestSign(ctx.p, sig.data(), &len, message.data(), message.size()) != 1)
    fail("Ed25519 signing");
  sig.resize(len);
  return sig;
}

Bytes Identity::public_key_protobuf() const {
  pb::Writer w;
  w.varint(1, kKeyTypeEd25519);
  w.bytes(2, public_.data(), public_.size());
  return w.take();
}

PeerId PeerId::from_public_key(const Bytes& key) {
  PeerId id;
  if (key.size() <= 42) {
    id.mh_ = {0x00, static_cast<std::uint8_t>(key.size())};
    append(id.mh_, key);
  } else {
    const Key32 d = sha256(key.data(), key.size());
    id.mh_ = {0x12, 0x20};
    id.mh_.insert(id.mh_.end(), d.begin(), d.end());
  }
  return id;
}

PeerId PeerId::from_multihash(Bytes mh) {
  if (mh.size() < 2) throw DecodeError("peer id: multihash too short");
  const bool identity = mh[0] == 0x00 && mh[1] == mh.size() - 2 && mh.size() - 2 <= 42;
  const bool sha = mh[0] == 0x12 && mh[1] == 0x20 && mh.size() == 34;
  if (!identity && !sha) throw DecodeError("peer id: not an identity or sha2-256 multihash");
  PeerId id;
  id.mh_ = std::move(mh);
  return id;
}

PeerId PeerId::parse(std::string_view text) {
  if (text.empty()) throw DecodeError("peer id: empty");
  if (text[0] == '1' || text[0] == 'Q') return from_multihash(base58btc_decode(text));
  if (text[0] == 'b') {
    Bytes cid = base32_decode(text.substr(1));
    if (cid.size() < 3 || cid[0] != 0x01 || cid[1] != 0x72)
      throw DecodeError("peer id: not a CIDv1 with the libp2p-key codec");
    return from_multihash(Bytes(cid.begin() + 2, cid.end()));
  }
  throw DecodeError("peer id: '" + std::string(text.substr(0, 100)) +
                    "' is neither base58btc nor a base32 CID");
}

std::string PeerId::to_cid() const {
  Bytes cid{0x01, 0x72};
  append(cid, mh_);
  return "b" + base32_encode(cid);
}

bool verify_signature(const Bytes& key_pb, const Bytes& message, const Bytes& signature) {
  std::uint64_t type = ~0ull;
  Bytes data;
  pb::Reader r(key_pb);
  pb::Field f;
  while (r.next(f)) {
    if (f.number == 1 && f.type == pb::kVarint)
      type = f.varint;
    else if (f.number == 2 && f.type == pb::kLen)
      data = f.bytes();
  }
  if (type != kKeyTypeEd25519)
    throw DecodeError("public key: unsupported key type " + std::to_string(type) +
                      " (only Ed25519 is accepted)");
  if (data.size() != 32) throw DecodeError("public key: an Ed25519 key must have 32 bytes");
  Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, data.data(), data.size()));
  if (!key) throw DecodeError("public key: invalid Ed25519 key");
  MdCtx ctx;
  if (!ctx.p || EVP_DigestVerifyInit(ctx.p, nullptr, nullptr, nullptr, key.get()) != 1)
    fail("Ed25519 verification setup");
  return EVP_DigestVerify(ctx.p, signature.data(), signature.size(), message.data(),
                          message.size()) == 1;
}

Key32 sha256(const std::uint8_t* data, std::size_t size) {
  Key32 out;
  SHA256(data, size, out.data());
  return out;
}

Key32 hmac_sha256(const Key32& key, const std::uint8_t* data, std::size_t size) {
  Key32 out;
  unsigned len = 32;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data, size, out.data(), &len))
    fail("HMAC-SHA256");
  return out;
}

X25519::X25519() : key_(keygen(EVP_PKEY_X25519)), public_(raw_public(key_.get())) {}

Key32 X25519::dh(const Key32& peer_public) const {
  Pkey peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer_public.data(), 32));
  if (!peer) fail("X25519 peer key");
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key_.get(), nullptr);
  Key32 out{};
  std::size_t len = out.size();
  const bool ok = ctx && EVP_PKEY_derive_init(ctx) == 1 &&
                  EVP_PKEY_derive_set_peer(ctx, peer.get()) == 1 &&
                  EVP_PKEY_derive(ctx, out.data(), &len) == 1 && len == 32;
  EVP_PKEY_CTX_free(ctx);
  // A low-order point from the peer gives an all-zero secret, which OpenSSL refuses.
  if (!ok) throw DecodeError("X25519: the peer's public key is invalid (low order)");
  return out;
}

namespace {
std::array<std::uint8_t, 12> noise_nonce(std::uint64_t n) {
  std::array<std::uint8_t, 12> iv{};
  for (int i = 0; i < 8; ++i) iv[4 + i] = static_cast<std::uint8_t>(n >> (8 * i));
  return iv;
}
}  // namespace

Bytes aead_encrypt(const Key32& key, std::uint64_t nonce, const Bytes& ad, const std::uint8_t* data,
                   std::size_t size) {
  CipherCtx c;
  const auto iv = noise_nonce(nonce);
  Bytes out(size + 16);
  int len = 0;
  if (!c.p ||
      EVP_EncryptInit_ex(c.p, EVP_chacha20_poly1305(), nullptr, key.data(), iv.data()) != 1 ||
      (!ad.empty() &&
       EVP_EncryptUpdate(c.p, nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1) ||
      (size > 0 && EVP_EncryptUpdate(c.p, out.data(), &len, data, static_cast<int>(size)) != 1) ||
      EVP_EncryptFinal_ex(c.p, out.data() + size, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.p, EVP_CTRL_AEAD_GET_TAG, 16, out.data() + size) != 1)
    fail("ChaCha20-Poly1305 encryption");
  return out;
}

bool aead_decrypt(const Key32& key, std::uint64_t nonce, const Bytes& ad, const std::uint8_t* data,
                  std::size_t size, Bytes& out) {
  if (size < 16) return false;
  CipherCtx c;
  const auto iv = noise_nonce(nonce);
  const std::size_t n = size - 16;
  out.resize(n);
  int len = 0;
  if (!c.p || EVP_DecryptInit_ex(c.p, EVP_chacha20_poly1305(), nullptr, key.data(), iv.data()) != 1)
    fail("ChaCha20-Poly1305 setup");
  if (!ad.empty() &&
      EVP_DecryptUpdate(c.p, nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1)
    return false;
  if (n > 0 && EVP_DecryptUpdate(c.p, out.data(), &len, data, static_cast<int>(n)) != 1)
    return false;
  if (EVP_CIPHER_CTX_ctrl(c.p, EVP_CTRL_AEAD_SET_TAG, 16, const_cast<std::uint8_t*>(data + n)) != 1)
    return false;
  return EVP_DecryptFinal_ex(c.p, out.data() + n, &len) == 1;
}

}  // namespace zinnia::libp2p
