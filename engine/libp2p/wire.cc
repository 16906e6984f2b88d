#include "engine/libp2p/wire.h"

#include <cstring>

namespace zinnia::libp2p {

// --- multistream --------------------------------------------------------------------------------
namespace multistream {

Bytes encode(std::string_view message) {
  Bytes out;
  put_uvarint(out, message.size() + 1);
  append(out, message);
  out.push_back('\n');
  return out;
}

std::optional<std::string> take(Buffer& in) {
  std::size_t used = 0;
  auto len = get_uvarint(in.data(), in.size(), &used);
  if (!len) return std::nullopt;
  if (*len > kMaxMessage)
    throw DecodeError("multistream-select: message of " + std::to_string(*len) + " bytes exceeds " +
                      std::to_string(kMaxMessage));
  if (in.size() - used < *len) return std::nullopt;
  const char* p = reinterpret_cast<const char*>(in.data() + used);
  const std::size_t n = static_cast<std::size_t>(*len);
  if (n == 0 || p[n - 1] != '\n')
    throw DecodeError("multistream-select: message does not end in a newline");
  std::string msg(p, n - 1);
  if (msg.find('\n') != std::string::npos)
    throw DecodeError("multistream-select: newline inside a message");
  in.consume(used + n);
  return msg;
}

}  // namespace multistream

// --- noise --------------------------------------------------------------------------------------
namespace noise {
namespace {
constexpr std::string_view kProtocolName = "Noise_XX_25519_ChaChaPoly_SHA256";
constexpr std::string_view kSigPrefix = "noise-libp2p-static-key:";
const Bytes kEmpty;
}  // namespace

Bytes frame(const Bytes& body) {
  Bytes out{static_cast<std::uint8_t>(body.size() >> 8), static_cast<std::uint8_t>(body.size())};
  append(out, body);
  return out;
}

std::optional<Bytes> take_frame(Buffer& in) {
  if (in.size() < 2) return std::nullopt;
  const std::size_t n = (static_cast<std::size_t>(in.data()[0]) << 8) | in.data()[1];
  if (in.size() < 2 + n) return std::nullopt;
  Bytes out(in.data() + 2, in.data() + 2 + n);
  in.consume(2 + n);
  return out;
}

Bytes encode_payload(const Payload& p) {
  pb::Writer w;
  w.bytes(1, p.identity_key);
  w.bytes(2, p.identity_sig);
  return w.take();
}

Payload decode_payload(const Bytes& b) {
  Payload p;
  pb::Reader r(b);
  pb::Field f;
  while (r.next(f)) {
    if (f.type != pb::kLen) continue;
    if (f.number == 1)
      p.identity_key = f.bytes();
    else if (f.number == 2)
      p.identity_sig = f.bytes();
  }
  if (p.identity_key.empty()) throw DecodeError("noise payload: no identity key");
  if (p.identity_sig.empty()) throw DecodeError("noise payload: no identity signature");
  return p;
}

Payload make_payload(const Identity& id, const Key32& static_key) {
  Bytes msg = to_bytes(kSigPrefix);
  msg.insert(msg.end(), static_key.begin(), static_key.end());
  return {id.public_key_protobuf(), id.sign(msg)};
}

PeerId verify_payload(const Payload& p, const Key32& remote_static) {
  Bytes msg = to_bytes(kSigPrefix);
  msg.insert(msg.end(), remote_static.begin(), remote_static.end());
  if (!verify_signature(p.identity_key, msg, p.identity_sig))
    throw DecodeError("noise payload: the identity signature of the static key is invalid");
  return PeerId::from_public_key(p.identity_key);
}

Bytes CipherState::encrypt(const Bytes& ad, const std::uint8_t* p, std::size_t n) {
  if (!has_key_) return Bytes(p, p + n);
  return aead_encrypt(k_, n_++, ad, p, n);
}

Bytes CipherState::decrypt(const Bytes& ad, const std::uint8_t* p, std::size_t n) {
  if (!has_key_) return Bytes(p, p + n);
  Bytes out;
  if (!aead_decrypt(k_, n_, ad, p, n, out))
    throw DecodeError("noise: message failed authentication");
  ++n_;
  return out;
}

Handshake::Handshake(bool initiator) : initiator_(initiator) {
  std::memcpy(h_.data(), kProtocolName.data(), 32);
  ck_ = h_;
  mix_hash(nullptr, 0);  // the empty prologue
}

void Handshake::mix_hash(const std::uint8_t* p, std::size_t n) {
  Bytes buf(h_.begin(), h_.end());
  buf.insert(buf.end(), p, p + n);
  h_ = sha256(buf.data(), buf.size());
}

void Handshake::mix_key(const Key32& ikm) {
  const Key32 temp = hmac_sha256(ck_, ikm.data(), ikm.size());
  const std::uint8_t one = 1;
  const Key32 out1 = hmac_sha256(temp, &one, 1);
  Bytes in2(out1.begin(), out1.end());
  in2.push_back(2);
  const Key32 out2 = hmac_sha256(temp, in2.data(), in2.size());
  ck_ = out1;
  cs_ = CipherState(out2);
}

Bytes Handshake::encrypt_and_hash(const Bytes& plaintext) {
  Bytes h(h_.begin(), h_.end());
  Bytes c = cs_.encrypt(h, plaintext.data(), plaintext.size());
  mix_hash(c.data(), c.size());
  return c;
}

Bytes Handshake::decrypt_and_hash(const std::uint8_t* p, std::size_t n) {
  Bytes h(h_.begin(), h_.end());
  Bytes plain = cs_.decrypt(h, p, n);
  mix_hash(p, n);
  return plain;
}

Bytes Handshake::write_message(const Bytes& payload) {
  Bytes out;
  const bool my_turn =
      (step_ == 0 && initiator_) || (step_ == 1 && !initiator_) || (step_ == 2 && initiator_);
  if (!my_turn) throw std::logic_error("noise: write out of turn");
  if (step_ == 0) {  // -> e
    out.assign(e_.public_key().begin(), e_.public_key().end());
    mix_hash(out.data(), out.size());
  } else if (step_ == 1) {  // <- e, ee, s, es
    out.assign(e_.public_key().begin(), e_.public_key().end());
    mix_hash(out.data(), out.size());
    mix_key(e_.dh(re_));
    append(out, encrypt_and_hash(Bytes(s_.public_key().begin(), s_.public_key().end())));
    mix_key(s_.dh(re_));
  } else {  // -> s, se
    append(out, encrypt_and_hash(Bytes(s_.public_key().begin(), s_.public_key().end())));
    mix_key(s_.dh(re_));
  }
  append(out, encrypt_and_hash(payload));
  ++step_;
  return out;
}

Bytes Handshake::read_message(const Bytes& m) {
  const bool their_turn =
      (step_ == 0 && !initiator_) || (step_ == 1 && initiator_) || (step_ == 2 && !initiator_);
  if (!their_turn) throw std::logic_error("noise: read out of turn");
  std::size_t pos = 0;
  auto need = [&](std::size_t n, const char* what) {
    if (m.size() - pos < n)
      throw DecodeError(std::string("noise handshake message ") + std::to_string(step_ + 1) +
                        ": too short for " + what);
  };
  try {
    if (step_ == 0 || step_ == 1) {  // e
      need(32, "the ephemeral key");
      std::memcpy(re_.data(), m.data(), 32);
      mix_hash(m.data(), 32);
      pos = 32;
    }
    if (step_ == 1) {  // ee, s, es
      mix_key(e_.dh(re_));
      need(48, "the static key");
      Bytes s = decrypt_and_hash(m.data() + pos, 48);
      std::memcpy(rs_.data(), s.data(), 32);
      pos += 48;
      mix_key(e_.dh(rs_));
    } else if (step_ == 2) {  // s, se
      need(48, "the static key");
      Bytes s = decrypt_and_hash(m.data() + pos, 48);
      std::memcpy(rs_.data(), s.data(), 32);
      pos += 48;
      mix_key(e_.dh(rs_));
    }
  } catch (const std::runtime_error& e) {
    if (dynamic_cast<const DecodeError*>(&e)) throw;
    throw DecodeError(std::string("noise handshake: ") + e.what());
  }
  Bytes payload = decrypt_and_hash(m.data() + pos, m.size() - pos);
  ++step_;
  return payload;
}

std::pair<CipherState, CipherState> Handshake::split() const {
  const Key32 temp = hmac_sha256(ck_, nullptr, 0);
  const std::uint8_t one = 1;
  const Key32 k1 = hmac_sha256(temp, &one, 1);
  Bytes in2(k1.begin(), k1.end());
  in2.push_back(2);
  const Key32 k2 = hmac_sha256(temp, in2.data(), in2.size());
  if (initiator_) return {CipherState(k1), CipherState(k2)};
  return {CipherState(k2), CipherState(k1)};
}

}  // namespace noise

// --- yamux --------------------------------------------------------------------------------------
namespace yamux {

Bytes encode(const Frame& f) {
  Bytes out(kHeaderSize);
  out[0] = 0;
  out[1] = f.type;
  out[2] = static_cast<std::uint8_t>(f.flags >> 8);
  out[3] = static_cast<std::uint8_t>(f.flags);
  const std::uint32_t len = f.type == kData ? static_cast<std::uint32_t>(f.data.size()) : f.length;
  for (int i = 0; i < 4; ++i) {
    out[4 + i] = static_cast<std::uint8_t>(f.stream >> (24 - 8 * i));
    out[8 + i] = static_cast<std::uint8_t>(len >> (24 - 8 * i));
  }
  append(out, f.data);
  return out;
}

std::optional<Frame> take(Buffer& in, std::size_t max_data) {
  if (in.size() < kHeaderSize) return std::nullopt;
  const std::uint8_t* p = in.data();
  if (p[0] != 0) throw DecodeError("yamux: unsupported version " + std::to_string(p[0]));
  if (p[1] > kGoAway) throw DecodeError("yamux: unknown frame type " + std::to_string(p[1]));
  Frame f;
  f.type = static_cast<Type>(p[1]);
  f.flags = static_cast<std::uint16_t>((p[2] << 8) | p[3]);
  for (int i = 0; i < 4; ++i) {
    f.stream = (f.stream << 8) | p[4 + i];
    f.length = (f.length << 8) | p[8 + i];
  }
  if (f.type == kData) {
    if (f.length > max_data)
      throw DecodeError("yamux: data frame of " + std::to_string(f.length) +
                        " bytes exceeds the receive window");
    if (in.size() < kHeaderSize + f.length) return std::nullopt;
    f.data.assign(p + kHeaderSize, p + kHeaderSize + f.length);
    in.consume(kHeaderSize + f.length);
  } else {
    in.consume(kHeaderSize);
  }
  return f;
}

}  // namespace yamux

// --- mplex --------------------------------------------------------------------------------------
namespace mplex {

Bytes encode(const Message& m) {
  Bytes out;
  put_uvarint(out, (m.stream << 3) | m.flag);
  put_uvarint(out, m.data.size());
  append(out, m.data);
  return out;
}

std::optional<Message> take(Buffer& in) {
  std::size_t used = 0, used2 = 0;
  auto header = get_uvarint(in.data(), in.size(), &used);
  if (!header) return std::nullopt;
  if ((*header & 7) > kResetInitiator)
    throw DecodeError("mplex: unknown flag " + std::to_string(*header & 7));
  auto len = get_uvarint(in.data() + used, in.size() - used, &used2);
  if (!len) return std::nullopt;
  if (*len > kMaxMessage)
    throw DecodeError("mplex: message of " + std::to_string(*len) + " bytes exceeds 1 MiB");
  if (in.size() - used - used2 < *len) return std::nullopt;
  Message m;
  m.stream = *header >> 3;
  m.flag = static_cast<Flag>(*header & 7);
  const std::uint8_t* p = in.data() + used + used2;
  m.data.assign(p, p + *len);
  in.consume(used + used2 + static_cast<std::size_t>(*len));
  return m;
}

}  // namespace mplex

// --- identify -----------------------------------------------------------------------------------
namespace identify {

Bytes encode(const Info& i) {
  pb::Writer w;
  w.string(5, i.protocol_version);
  w.string(6, i.agent_version);
  w.bytes(1, i.public_key);
  for (const auto& a : i.listen_addrs) w.bytes(2, a);
  if (!i.observed_addr.empty()) w.bytes(4, i.observed_addr);
  for (const auto& p : i.protocols) w.string(3, p);
  return w.take();
}

Info decode(const Bytes& b) {
  Info i;
  pb::Reader r(b);
  pb::Field f;
  while (r.next(f)) {
    if (f.type != pb::kLen) continue;
    switch (f.number) {
      case 1:
        i.public_key = f.bytes();
        break;
      case 2:
        i.listen_addrs.push_back(f.bytes());
        break;
      case 3:
        i.protocols.push_back(f.string());
        break;
      case 4:
        i.observed_addr = f.bytes();
        break;
      case 5:
        i.protocol_version = f.string();
        break;
      case 6:
        i.agent_version = f.string();
        break;
      default:
        break;
    }
  }
  return i;
}

}  // namespace identify
}  // namespace zinnia::libp2p
