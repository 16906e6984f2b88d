// crypto.subtle natives on OpenSSL 3: secret keys behind handles, HMAC, PBKDF2, HKDF, AES
// (CBC, CTR, GCM, KW). Operations are synchronous: the inputs are small and JS wraps the
// result in a promise. A failed operation returns null; js/subtle.js turns it into the
// OperationError the standard names.

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/loop/loop.h"
#include "engine/v8/bind.h"
#include "engine/v8/isolate.h"
#include "engine/v8/util.h"
#include "engine/web/web.h"

namespace zinnia::engine {
namespace web {
namespace {

struct SubtleState;

// Key bytes in native memory; the JS handle object holds it in its internal field.
// A key: secret bytes, or an OpenSSL EVP_PKEY for asymmetric keys.
struct Secret {
  std::vector<std::uint8_t> bytes;
  EVP_PKEY* pkey = nullptr;
  SubtleState* state = nullptr;
  v8::Global<v8::Object> holder;
  ~Secret() {
    OPENSSL_cleanse(bytes.data(), bytes.size());
    EVP_PKEY_free(pkey);
  }
};

struct SubtleState {
  explicit SubtleState(v8::Local<v8::Context>) {}
  SubtleState(const SubtleState&) = delete;
  SubtleState& operator=(const SubtleState&) = delete;
  ~SubtleState() {
    for (auto* s : secrets) {
      s->holder.Reset();
      delete s;
    }
    handle_template.Reset();
  }
  std::unordered_set<Secret*> secrets;
  v8::Global<v8::ObjectTemplate> handle_template;
};

struct Bytes {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
};

bool bytes_of(v8::Local<v8::Value> value, Bytes& out) {
  if (value->IsArrayBufferView()) {
    auto view = value.As<v8::ArrayBufferView>();
    out.data = static_cast<const std::uint8_t*>(view->Buffer()->Data()) + view->ByteOffset();
    out.size = view->ByteLength();
    return true;
  }
  if (value->IsArrayBuffer()) {
    auto buf = value.As<v8::ArrayBuffer>();
    out.data = static_cast<const std::uint8_t*>(buf->Data());
    out.size = buf->ByteLength();
    return true;
  }
  return false;
}

Secret* secret_of(v8::Local<v8::Value> value) {
  if (!value->IsObject() || value.As<v8::Object>()->InternalFieldCount() != 1) return nullptr;
  return static_cast<Secret*>(value.As<v8::Object>()->GetAlignedPointerFromInternalField(0));
}

const EVP_MD* md_of(v8::Isolate* isolate, v8::Local<v8::Value> name) {
  std::string n = to_utf8(isolate, name);
  if (n == "SHA-1") return EVP_sha1();
  if (n == "SHA-256") return EVP_sha256();
  if (n == "SHA-384") return EVP_sha384();
  if (n == "SHA-512") return EVP_sha512();
  return nullptr;
}

v8::Local<v8::Value> set_buffer(v8::Isolate* isolate, const std::uint8_t* data, std::size_t size) {
  auto store = host_backing_store(isolate, size);
  if (size) std::memcpy(store->Data(), data, size);
  return v8::ArrayBuffer::New(isolate, std::move(store));
}

v8::Local<v8::Value> make_handle(v8::Isolate* isolate, SubtleState* st,
                                 std::vector<std::uint8_t> bytes, EVP_PKEY* pkey);

// host.subtleSecret(bytes) -> handle holding a copy of the bytes.
v8::Local<v8::Value> SubtleSecret(bind::Call& call, SubtleState& st, bind::Rest args) {
  (void)st;
  auto* isolate = call.isolate();
  Bytes in;
  if (args.size() < 1 || !bytes_of(args[0], in))
    throw bind::TypeError("subtleSecret: expected bytes");
  return make_handle(isolate, &st, std::vector<std::uint8_t>(in.data, in.data + in.size), nullptr);
}

v8::Local<v8::Value> make_handle(v8::Isolate* isolate, SubtleState* st,
                                 std::vector<std::uint8_t> bytes, EVP_PKEY* pkey) {
  auto context = isolate->GetCurrentContext();
  if (st->handle_template.IsEmpty()) {
    auto tmpl = v8::ObjectTemplate::New(isolate);
    tmpl->SetInternalFieldCount(1);
    st->handle_template.Reset(isolate, tmpl);
  }
  v8::Local<v8::Object> obj;
  if (!st->handle_template.Get(isolate)->NewInstance(context).ToLocal(&obj)) {
    EVP_PKEY_free(pkey);
    return v8::Null(isolate);
  }
  auto* s = new Secret{};
  s->bytes = std::move(bytes);
  s->pkey = pkey;
  s->state = st;
  obj->SetAlignedPointerInInternalField(0, s);
  s->holder.Reset(isolate, obj);
  s->holder.SetWeak(
      s,
      [](const v8::WeakCallbackInfo<Secret>& info) {
        Secret* sec = info.GetParameter();
        sec->holder.Reset();
        sec->state->secrets.erase(sec);
        delete sec;
      },
      v8::WeakCallbackType::kParameter);
  st->secrets.insert(s);
  return obj;
}

// host.subtleExport(handle) -> ArrayBuffer (exportKey, and wrapping a key).
v8::Local<v8::Value> SubtleExport(bind::Call& call, SubtleState& st, bind::Rest args) {
  (void)st;
  Secret* s = args.size() > 0 ? secret_of(args[0]) : nullptr;
  if (!s) throw bind::TypeError("subtleExport: expected a key handle");
  return set_buffer(call.isolate(), s->bytes.data(), s->bytes.size());
}

// host.subtleHmac(hash, handle, data) -> ArrayBuffer.
v8::Local<v8::Value> SubtleHmac(bind::Call& call, SubtleState& st, bind::Rest args) {
  (void)st;
  auto* isolate = call.isolate();
  Bytes data;
  Secret* s = args.size() > 2 ? secret_of(args[1]) : nullptr;
  const EVP_MD* md = args.size() > 2 ? md_of(isolate, args[0]) : nullptr;
  if (!s || !md || !bytes_of(args[2], data))
    throw bind::TypeError("subtleHmac: expected (hash, handle, bytes)");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  static const std::uint8_t kEmpty = 0;
  if (!HMAC(md, s->bytes.empty() ? &kEmpty : s->bytes.data(), static_cast<int>(s->bytes.size()),
            data.size ? data.data : &kEmpty, data.size, out, &len))
    return v8::Null(call.isolate());
  return set_buffer(call.isolate(), out, len);
}

// host.subtlePbkdf2(hash, handle, salt, iterations, bits) -> ArrayBuffer | null.
v8::Local<v8::Value> SubtlePbkdf2(bind::Call& call, SubtleState& st, bind::Rest args) {
  (void)st;
  auto* isolate = call.isolate();
  Bytes salt;
  Secret* s = args.size() > 4 ? secret_of(args[1]) : nullptr;
  const EVP_MD* md = args.size() > 4 ? md_of(isolate, args[0]) : nullptr;
  if (!s || !md || !bytes_of(args[2], salt) || !args[3]->IsUint32() || !args[4]->IsUint32())
    throw bind::TypeError("subtlePbkdf2: bad arguments");
  std::uint32_t iterations = args[3].As<v8::Uint32>()->Value();
  std::size_t len = args[4].As<v8::Uint32>()->Value() / 8;
  std::vector<std::uint8_t> out(len);
  static const std::uint8_t kEmpty = 0;
  if (iterations == 0 ||
      PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(s->bytes.empty() ? &kEmpty : s->bytes.data()),
                        static_cast<int>(s->bytes.size()), salt.size ? salt.data : &kEmpty,
                        static_cast<int>(salt.size), static_cast<int>(iterations), md,
                        static_cast<int>(len), out.data()) != 1)
    return v8::Null(call.isolate());
  return set_buffer(call.isolate(), out.data(), out.size());
}

// host.subtleHkdf(hash, handle, salt, info, bits) -> ArrayBuffer | null (RFC 5869 on HMAC, so
// empty keys and salts work as the standard wants).
v8::Local<v8::Value> SubtleHkdf(bind::Call& call, SubtleState& st, bind::Rest args) {
  (void)st;
  auto* isolate = call.isolate();
  Bytes salt, info;
  Secret* s = args.size() > 4 ? secret_of(args[1]) : nullptr;
  const EVP_MD* md = args.size() > 4 ? md_of(isolate, args[0]) : nullptr;
  if (!s || !md || !bytes_of(args[2], salt) || !bytes_of(args[3], info) || !args[4]->IsUint32())
    throw bind::TypeError("subtleHkdf: bad arguments");
  std::size_t len = args[4].As<v8::Uint32>()->Value() / 8;
  std::size_t hlen = static_cast<std::size_t>(EVP_MD_get_size(md));
  if (len > 255 * hlen) return v8::Null(call.isolate());
  static const std::uint8_t kEmpty = 0;
  std::vector<std::uint8_t> zeros(hlen, 0);
  unsigned char prk[EVP_MAX_MD_SIZE];
  unsigned int prk_len = 0;
  const std::uint8_t* salt_data = salt.size ? salt.data : zeros.data();
  std::size_t salt_size = salt.size ? salt.size : hlen;
  if (!HMAC(md, salt_data, static_cast<int>(salt_size),
            s->bytes.empty() ? &kEmpty : s->bytes.data(), s->bytes.size(), prk, &prk_len))
    return v8::Null(call.isolate());
  std::vector<std::uint8_t> out;
  std::vector<std::uint8_t> t;
  for (std::uint8_t i = 1; out.size() < len; ++i) {
    std::vector<std::uint8_t> msg(t);
    msg.insert(msg.end(), info.data, info.data + info.size);
    msg.push_back(i);
    unsigned char block[EVP_MAX_MD_SIZE];
    unsigned int block_len = 0;
    if (!HMAC(md, prk, static_cast<int>(prk_len), msg.data(), msg.size(), block, &block_len))
      return v8::Null(call.isolate());
    t.assign(block, block + block_len);
    out.insert(out.end(), t.begin(), t.end());
  }
  OPENSSL_cleanse(prk, sizeof prk);
  out.resize(len);
  return set_buffer(call.isolate(), out.data(), out.size());
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const EVP_CIPHER* aes_cipher(const std::string& mode, std::size_t key_size) {
  int bits = static_cast<int>(key_size * 8);
  if (mode == "cbc")
    return bits == 128   ? EVP_aes_128_cbc()
           : bits == 192 ? EVP_aes_192_cbc()
           : bits == 256 ? EVP_aes_256_cbc()
                         : nullptr;
  if (mode == "ctr")
    return bits == 128   ? EVP_aes_128_ctr()
           : bits == 192 ? EVP_aes_192_ctr()
           : bits == 256 ? EVP_aes_256_ctr()
                         : nullptr;
  if (mode == "gcm")
    return bits == 128   ? EVP_aes_128_gcm()
           : bits == 192 ? EVP_aes_192_gcm()
           : bits == 256 ? EVP_aes_256_gcm()
                         : nullptr;
  if (mode == "kw")
    return bits == 128   ? EVP_aes_128_wrap()
           : bits == 192 ? EVP_aes_192_wrap()
           : bits == 256 ? EVP_aes_256_wrap()
                         : nullptr;
  return nullptr;
}

// One EVP pass over `in`; false on failure.
bool cipher_run(const EVP_CIPHER* cipher, const Secret& key, const std::uint8_t* iv,
                std::size_t iv_size, bool encrypt, const std::uint8_t* in, std::size_t in_size,
                std::vector<std::uint8_t>& out, bool padding = true) {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) return false;
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, key.bytes.data(), iv_size ? iv : nullptr,
                        encrypt ? 1 : 0) != 1)
    return false;
  EVP_CIPHER_CTX_set_padding(ctx.get(), padding ? 1 : 0);
  std::size_t start = out.size();
  out.resize(start + in_size + std::size_t{2} * EVP_MAX_BLOCK_LENGTH);
  int n = 0, m = 0;
  static const std::uint8_t kEmpty = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data() + start, &n, in_size ? in : &kEmpty,
                       static_cast<int>(in_size)) != 1)
    return false;
  if (EVP_CipherFinal_ex(ctx.get(), out.data() + start + n, &m) != 1) return false;
  out.resize(start + static_cast<std::size_t>(n + m));
  return true;
}

// host.subtleAes(mode, encrypt, handle, iv|counter, data, extra1, extra2) -> ArrayBuffer | null.
// ctr: extra1 = counter length in bits. gcm: extra1 = additional data, extra2 = tag length bits.
v8::Local<v8::Value> SubtleAes(bind::Call& call, SubtleState& st, bind::Rest args) {
  (void)st;
  auto* isolate = call.isolate();
  Bytes iv, data;
  Secret* key = args.size() > 4 ? secret_of(args[2]) : nullptr;
  if (!key || !bytes_of(args[3], iv) || !bytes_of(args[4], data))
    throw bind::TypeError("subtleAes: bad arguments");
  std::string mode = to_utf8(isolate, args[0]);
  bool encrypt = args[1]->IsTrue();
  const EVP_CIPHER* cipher = aes_cipher(mode, key->bytes.size());
  if (!cipher) return v8::Null(call.isolate());
  std::vector<std::uint8_t> out;
  if (mode == "cbc" || mode == "kw") {
    if (!cipher_run(cipher, *key, iv.data, mode == "kw" ? 0 : iv.size, encrypt, data.data,
                    data.size, out))
      return v8::Null(call.isolate());
  } else if (mode == "ctr") {
    // Only the low `length` bits of the counter block count up; OpenSSL counts all 128, so
    // split the input where those bits wrap and restart from a counter whose low bits are 0.
    std::uint32_t length =
        args.size() > 5 && args[5]->IsUint32() ? args[5].As<v8::Uint32>()->Value() : 0;
    if (iv.size != 16 || length == 0 || length > 128) return v8::Null(call.isolate());
    std::uint8_t counter[16];
    std::memcpy(counter, iv.data, 16);
    std::size_t blocks = (data.size + 15) / 16;
    if (length < 64 && blocks > (std::uint64_t{1} << length)) return v8::Null(call.isolate());
    std::size_t done = 0;
    while (done < data.size) {
      // Blocks left before the low `length` bits of the counter wrap to zero.
      std::uint64_t left = UINT64_MAX;
      if (length < 64) {
        std::uint64_t low = 0;
        for (int i = 8; i < 16; ++i) low = (low << 8) | counter[i];
        std::uint64_t mask = (std::uint64_t{1} << length) - 1;
        left = mask - (low & mask) + 1;
      }
      std::size_t chunk = data.size - done;
      if (left < (chunk + 15) / 16) chunk = static_cast<std::size_t>(left) * 16;
      if (!cipher_run(cipher, *key, counter, 16, encrypt, data.data + done, chunk, out))
        return v8::Null(call.isolate());
      done += chunk;
      if (length < 64) {
        // Zero the low `length` bits (the counter wrapped).
        for (std::uint32_t bit = 0; bit < length; ++bit)
          counter[15 - bit / 8] &= static_cast<std::uint8_t>(~(1u << (bit % 8)));
      }
    }
  } else if (mode == "gcm") {
    Bytes aad;
    if (args.size() < 7 || !bytes_of(args[5], aad) || !args[6]->IsUint32())
      throw bind::TypeError("subtleAes: gcm needs (aad, tagLength)");
    std::size_t tag_len = args[6].As<v8::Uint32>()->Value() / 8;
    if (iv.size == 0) return v8::Null(call.isolate());
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    std::size_t in_size = data.size;
    if (!encrypt) {
      if (data.size < tag_len) return v8::Null(call.isolate());
      in_size -= tag_len;
    }
    static const std::uint8_t kEmpty = 0;
    int n = 0, m = 0;
    out.resize(in_size + 16);
    bool ok =
        ctx &&
        EVP_CipherInit_ex(ctx.get(), cipher, nullptr, nullptr, nullptr, encrypt ? 1 : 0) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(iv.size),
                            nullptr) == 1 &&
        EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key->bytes.data(), iv.data,
                          encrypt ? 1 : 0) == 1;
    if (ok && aad.size)
      ok = EVP_CipherUpdate(ctx.get(), nullptr, &n, aad.data, static_cast<int>(aad.size)) == 1;
    if (ok)
      ok = EVP_CipherUpdate(ctx.get(), out.data(), &n, in_size ? data.data : &kEmpty,
                            static_cast<int>(in_size)) == 1;
    if (ok && !encrypt) {
      std::vector<std::uint8_t> tag(data.data + in_size, data.data + data.size);
      ok = EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_len),
                               tag.data()) == 1;
    }
    if (ok) ok = EVP_CipherFinal_ex(ctx.get(), out.data() + n, &m) == 1;
    if (!ok) return v8::Null(call.isolate());
    out.resize(static_cast<std::size_t>(n) + static_cast<std::size_t>(m));
    if (encrypt) {
      std::uint8_t tag[16];
      if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_len), tag) != 1)
        return v8::Null(call.isolate());
      out.insert(out.end(), tag, tag + tag_len);
    }
  } else {
    return v8::Null(call.isolate());
  }
  return set_buffer(call.isolate(), out.data(), out.size());
}

// ---- asymmetric keys (EVP_PKEY) ----

using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using ParamBld = std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)>;
using Params = std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)>;
using Bn = std::unique_ptr<BIGNUM, decltype(&BN_free)>;

const char* group_of(const std::string& curve) {
  if (curve == "P-256") return "prime256v1";
  if (curve == "P-384") return "secp384r1";
  if (curve == "P-521") return "secp521r1";
  return nullptr;
}
std::string curve_of(EVP_PKEY* pkey) {
  char name[64] = {0};
  std::size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &len) !=
      1)
    return "";
  std::string n(name, len);
  if (n == "prime256v1" || n == "P-256") return "P-256";
  if (n == "secp384r1" || n == "P-384") return "P-384";
  if (n == "secp521r1" || n == "P-521") return "P-521";
  return n;
}
std::size_t field_bytes(const std::string& curve) {
  return curve == "P-256" ? 32 : curve == "P-384" ? 48 : curve == "P-521" ? 66 : 0;
}
const char* kind_of(EVP_PKEY* pkey) {
  switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_EC:
      return "EC";
    case EVP_PKEY_ED25519:
      return "ED25519";
    case EVP_PKEY_X25519:
      return "X25519";
    case EVP_PKEY_RSA:
      return "RSA";
    default:
      return "";
  }
}
bool has_private(EVP_PKEY* pkey) {
  int id = EVP_PKEY_get_base_id(pkey);
  if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_X25519) {
    std::size_t len = 0;
    return EVP_PKEY_get_raw_private_key(pkey, nullptr, &len) == 1;
  }
  BIGNUM* bn = nullptr;
  const char* name = id == EVP_PKEY_EC ? OSSL_PKEY_PARAM_PRIV_KEY : OSSL_PKEY_PARAM_RSA_D;
  if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1) return false;
  BN_clear_free(bn);
  return true;
}
// The public half of a key, as its own EVP_PKEY.
EVP_PKEY* public_of(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) return nullptr;
  const unsigned char* p = der;
  EVP_PKEY* pub = d2i_PUBKEY(nullptr, &p, len);
  OPENSSL_free(der);
  return pub;
}

Secret* pkey_of(v8::Local<v8::Value> value) {
  Secret* s = secret_of(value);
  return s && s->pkey ? s : nullptr;
}

void set_object_field(v8::Isolate* isolate, v8::Local<v8::Object> obj, const char* name,
                      v8::Local<v8::Value> value) {
  discard(obj->Set(isolate->GetCurrentContext(), to_v8(isolate, name), value));
}
v8::Local<v8::ArrayBuffer> buffer(v8::Isolate* isolate, const std::uint8_t* data,
                                  std::size_t size) {
  auto store = host_backing_store(isolate, size);
  if (size) std::memcpy(store->Data(), data, size);
  return v8::ArrayBuffer::New(isolate, std::move(store));
}
bool bn_field(v8::Isolate* isolate, EVP_PKEY* pkey, const char* param, v8::Local<v8::Object> out,
              const char* field, std::size_t pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1) return false;
  std::size_t n = pad ? pad : static_cast<std::size_t>(BN_num_bytes(bn));
  std::vector<std::uint8_t> bytes(n);
  BN_bn2binpad(bn, bytes.data(), static_cast<int>(n));
  BN_clear_free(bn);
  set_object_field(isolate, out, field, buffer(isolate, bytes.data(), bytes.size()));
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return true;
}

// host.subtleKeyInfo(handle) -> { kind, curve, private, modulusLength, publicExponent }.
v8::Local<v8::Value> SubtleKeyInfo(bind::Call& call, SubtleState& st, bind::Rest args) {
  (void)st;
  auto* isolate = call.isolate();
  Secret* s = args.size() > 0 ? pkey_of(args[0]) : nullptr;
  if (!s) throw bind::TypeError("subtleKeyInfo: expected a key handle");
  auto out = v8::Object::New(isolate);
  set_object_field(isolate, out, "kind", to_v8(isolate, kind_of(s->pkey)));
  set_object_field(isolate, out, "private", v8::Boolean::New(isolate, has_private(s->pkey)));
  if (EVP_PKEY_get_base_id(s->pkey) == EVP_PKEY_EC)
    set_object_field(isolate, out, "curve", to_v8(isolate, curve_of(s->pkey)));
  if (EVP_PKEY_get_base_id(s->pkey) == EVP_PKEY_RSA) {
    set_object_field(isolate, out, "modulusLength",
                     v8::Integer::New(isolate, EVP_PKEY_get_bits(s->pkey)));
    bn_field(isolate, s->pkey, OSSL_PKEY_PARAM_RSA_E, out, "publicExponent");
  }
  return out;
}

// host.subtleGenerate(kind, curve | modulusLength, publicExponent) -> [private, public] | null.
v8::Local<v8::Value> SubtleGenerate(bind::Call& call, SubtleState& st, bind::Rest args) {
  (void)st;
  auto* isolate = call.isolate();
  if (args.size() < 1) throw bind::TypeError("subtleGenerate: expected a kind");
  std::string kind = to_utf8(isolate, args[0]);
  EVP_PKEY* pkey = nullptr;
  if (kind == "EC") {
    const char* group = group_of(to_utf8(isolate, args[1]));
    if (!group) return v8::Null(call.isolate());
    pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group);
  } else if (kind == "ED25519" || kind == "X25519") {
    pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, kind.c_str());
  } else if (kind == "RSA") {
    Bytes exponent;
    if (args.size() < 3 || !args[1]->IsUint32() || !bytes_of(args[2], exponent))
      throw bind::TypeError("subtleGenerate: RSA needs (modulusLength, publicExponent)");
    PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), &EVP_PKEY_CTX_free);
    Bn e(BN_bin2bn(exponent.data, static_cast<int>(exponent.size), nullptr), &BN_free);
    if (!ctx || !e || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_keygen_bits(
            ctx.get(), static_cast<int>(args[1].As<v8::Uint32>()->Value())) != 1 ||
        EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx.get(), e.get()) != 1 ||
        EVP_PKEY_keygen(ctx.get(), &pkey) != 1)
      return v8::Null(call.isolate());
  } else {
    throw bind::TypeError("subtleGenerate: unknown kind " + kind);
  }
  if (!pkey) return v8::Null(call.isolate());
  EVP_PKEY* pub = public_of(pkey);
  if (!pub) {
    EVP_PKEY_free(pkey);
    return v8::Null(call.isolate());
  }
  v8::Local<v8::Value> pair[] = {make_handle(isolate, &st, {}, pkey),
                                 make_handle(isolate, &st, {}, pub)};
  return v8::Array::New(isolate, pair, 2);
}

// Field `name` of a JWK-components object as bytes; false if absent.
bool jwk_bytes(v8::Isolate* isolate, v8::Local<v8::Object> obj, const char* name,
               std::vector<std::uint8_t>& out) {
  v8::Local<v8::Value> v;
  if (!obj->Get(isolate->GetCurrentContext(), to_v8(isolate, name)).ToLocal(&v)) return false;
  Bytes b;
  if (!bytes_of(v, b)) return false;
  out.assign(b.data, b.data + b.size);
  return true;
}

EVP_PKEY* from_params(const char* type, ParamBld& bld, bool priv) {
  Params params(OSSL_PARAM_BLD_to_param(bld.get()), &OSSL_PARAM_free);
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* pkey = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1)
    return nullptr;
  return pkey;
}

// Checks a public key (point on the curve) or a key pair; frees and returns null when invalid.
EVP_PKEY* checked(EVP_PKEY* pkey, bool priv) {
  if (!pkey) return nullptr;
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) return pkey;
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr), &EVP_PKEY_CTX_free);
  bool ok =
      ctx && (priv ? EVP_PKEY_pairwise_check(ctx.get()) : EVP_PKEY_public_check(ctx.get())) == 1;
  if (!ok) {
    EVP_PKEY_free(pkey);
    return nullptr;
  }
  return pkey;
}

// host.subtleImport(kind, format, data, curve) -> handle | null (null: the data is not a
// valid key of that kind). format: spki, pkcs8, raw (public), jwk (data: components as bytes).
v8::Local<v8::Value> SubtleImport(bind::Call& call, SubtleState& st, bind::Rest args) {
  (void)st;
  auto* isolate = call.isolate();
  if (args.size() < 4) throw bind::TypeError("subtleImport: bad arguments");
  std::string kind = to_utf8(isolate, args[0]);
  std::string format = to_utf8(isolate, args[1]);
  std::string curve = args[3]->IsString() ? to_utf8(isolate, args[3]) : "";
  EVP_PKEY* pkey = nullptr;
  bool priv = false;
  Bytes in;
  if (format == "spki" || format == "pkcs8" || format == "raw") {
    if (!bytes_of(args[2], in)) throw bind::TypeError("subtleImport: expected bytes");
    const unsigned char* p = in.data;
    long len = static_cast<long>(in.size);
    if (format == "spki") {
      pkey = d2i_PUBKEY(nullptr, &p, len);
    } else if (format == "pkcs8") {
      PKCS8_PRIV_KEY_INFO* p8 = d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, len);
      if (p8) {
        pkey = EVP_PKCS82PKEY(p8);
        PKCS8_PRIV_KEY_INFO_free(p8);
      }
      priv = true;
    } else if (kind == "EC") {
      const char* group = group_of(curve);
      ParamBld bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
      if (group && bld &&
          OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) == 1 &&
          OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, in.data, in.size) ==
              1)
        pkey = from_params("EC", bld, false);
    } else if (kind == "ED25519" || kind == "X25519") {
      pkey = EVP_PKEY_new_raw_public_key(kind == "ED25519" ? EVP_PKEY_ED25519 : EVP_PKEY_X25519,
                                         nullptr, in.data, in.size);
    }
    // Whatever the DER said, it must be a key of the kind asked for (and of its curve).
    if (pkey && (kind != kind_of(pkey) || (kind == "EC" && curve_of(pkey) != curve) ||
                 (priv && !has_private(pkey)))) {
      EVP_PKEY_free(pkey);
      pkey = nullptr;
    }
    if (pkey && p != in.data + in.size && format != "raw") {
      EVP_PKEY_free(pkey);  // trailing bytes after the DER
      pkey = nullptr;
    }
  } else if (format == "jwk" && args[2]->IsObject()) {
    auto obj = args[2].As<v8::Object>();
    std::vector<std::uint8_t> x, y, d;
    if (kind == "EC") {
      const char* group = group_of(curve);
      std::size_t n = field_bytes(curve);
      if (group && jwk_bytes(isolate, obj, "x", x) && jwk_bytes(isolate, obj, "y", y) &&
          x.size() == n && y.size() == n) {
        std::vector<std::uint8_t> point{0x04};
        point.insert(point.end(), x.begin(), x.end());
        point.insert(point.end(), y.begin(), y.end());
        priv = jwk_bytes(isolate, obj, "d", d);
        ParamBld bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
        Bn bn(priv ? BN_bin2bn(d.data(), static_cast<int>(d.size()), nullptr) : nullptr, &BN_free);
        if (bld && (!priv || (bn && d.size() == n)) &&
            OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) == 1 &&
            OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                             point.size()) == 1 &&
            (!priv || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, bn.get()) == 1))
          pkey = from_params("EC", bld, priv);
        OPENSSL_cleanse(d.data(), d.size());
      }
    } else if (kind == "ED25519" || kind == "X25519") {
      int id = kind == "ED25519" ? EVP_PKEY_ED25519 : EVP_PKEY_X25519;
      if (jwk_bytes(isolate, obj, "x", x)) {
        priv = jwk_bytes(isolate, obj, "d", d);
        pkey = priv ? EVP_PKEY_new_raw_private_key(id, nullptr, d.data(), d.size())
                    : EVP_PKEY_new_raw_public_key(id, nullptr, x.data(), x.size());
        // The public key given must be the one the private key makes.
        if (pkey && priv) {
          std::uint8_t pub[32];
          std::size_t len = sizeof pub;
          if (EVP_PKEY_get_raw_public_key(pkey, pub, &len) != 1 || len != x.size() ||
              std::memcmp(pub, x.data(), len) != 0) {
            EVP_PKEY_free(pkey);
            pkey = nullptr;
          }
        }
        OPENSSL_cleanse(d.data(), d.size());
      }
    } else if (kind == "RSA") {
      static const char* const kNames[] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
      static const char* const kParams[] = {
          OSSL_PKEY_PARAM_RSA_N,         OSSL_PKEY_PARAM_RSA_E,
          OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_FACTOR1,
          OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
          OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
      ParamBld bld(OSSL_PARAM_BLD_new(), &OSSL_PARAM_BLD_free);
      std::vector<Bn> bns;
      bool ok = bld != nullptr;
      int present = 0;
      for (int i = 0; ok && i < 8; ++i) {
        std::vector<std::uint8_t> v;
        if (!jwk_bytes(isolate, obj, kNames[i], v)) {
          if (i < 2) ok = false;
          continue;
        }
        ++present;
        bns.emplace_back(BN_bin2bn(v.data(), static_cast<int>(v.size()), nullptr), &BN_free);
        OPENSSL_cleanse(v.data(), v.size());
        ok = bns.back() && OSSL_PARAM_BLD_push_BN(bld.get(), kParams[i], bns.back().get()) == 1;
      }
      priv = present > 2;
      if (ok && (present == 2 || present == 8)) pkey = from_params("RSA", bld, priv);
    }
  } else {
    throw bind::TypeError("subtleImport: bad format");
  }
  pkey = checked(pkey, priv);
  if (!pkey) return v8::Null(call.isolate());
  return make_handle(isolate, &st, {}, pkey);
}

// host.subtleKeyExport(handle, format) -> ArrayBuffer (spki, pkcs8, raw) or, for jwk, an
// object of components as ArrayBuffers (x, y, d; n, e, d, p, q, dp, dq, qi); null on failure.
v8::Local<v8::Value> SubtleKeyExport(bind::Call& call, SubtleState& st, bind::Rest args) {
  (void)st;
  auto* isolate = call.isolate();
  Secret* s = args.size() > 1 ? pkey_of(args[0]) : nullptr;
  if (!s) throw bind::TypeError("subtleKeyExport: expected (handle, format)");
  std::string format = to_utf8(isolate, args[1]);
  EVP_PKEY* pkey = s->pkey;
  int id = EVP_PKEY_get_base_id(pkey);
  if (format == "spki" || format == "pkcs8") {
    unsigned char* der = nullptr;
    int len = -1;
    if (format == "spki") {
      len = i2d_PUBKEY(pkey, &der);
    } else {
      PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(pkey);
      if (p8) {
        len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
        PKCS8_PRIV_KEY_INFO_free(p8);
      }
    }
    if (len <= 0) return v8::Null(call.isolate());
    auto result = buffer(isolate, der, static_cast<std::size_t>(len));
    OPENSSL_clear_free(der, static_cast<std::size_t>(len));
    return result;
  }
  if (format == "raw") {
    std::vector<std::uint8_t> out(200);
    std::size_t len = 0;
    bool ok = id == EVP_PKEY_EC
                  ? EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                    out.data(), out.size(), &len) == 1
                  : (len = out.size(), EVP_PKEY_get_raw_public_key(pkey, out.data(), &len) == 1);
    if (!ok) return v8::Null(call.isolate());
    return buffer(isolate, out.data(), len);
  }
  if (format != "jwk") throw bind::TypeError("subtleKeyExport: bad format");
  auto out = v8::Object::New(isolate);
  bool priv = has_private(pkey);
  if (id == EVP_PKEY_EC) {
    std::string curve = curve_of(pkey);
    std::size_t n = field_bytes(curve);
    std::vector<std::uint8_t> point(1 + 2 * n);
    std::size_t len = 0;
    if (n == 0 ||
        EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point.data(),
                                        point.size(), &len) != 1 ||
        len != point.size())
      return v8::Null(call.isolate());
    set_object_field(isolate, out, "x", buffer(isolate, point.data() + 1, n));
    set_object_field(isolate, out, "y", buffer(isolate, point.data() + 1 + n, n));
    if (priv && !bn_field(isolate, pkey, OSSL_PKEY_PARAM_PRIV_KEY, out, "d", n))
      return v8::Null(call.isolate());
  } else if (id == EVP_PKEY_ED25519 || id == EVP_PKEY_X25519) {
    std::uint8_t raw[64];
    std::size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1) return v8::Null(call.isolate());
    set_object_field(isolate, out, "x", buffer(isolate, raw, len));
    len = sizeof raw;
    if (priv) {
      if (EVP_PKEY_get_raw_private_key(pkey, raw, &len) != 1) return v8::Null(call.isolate());
      set_object_field(isolate, out, "d", buffer(isolate, raw, len));
      OPENSSL_cleanse(raw, sizeof raw);
    }
  } else if (id == EVP_PKEY_RSA) {
    bn_field(isolate, pkey, OSSL_PKEY_PARAM_RSA_N, out, "n");
    bn_field(isolate, pkey, OSSL_PKEY_PARAM_RSA_E, out, "e");
    if (priv) {
      bn_field(isolate, pkey, OSSL_PKEY_PARAM_RSA_D, out, "d");
      bn_field(isolate, pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, out, "p");
      bn_field(isolate, pkey, OSSL_PKEY_PARAM_RSA_FACTOR2, out, "q");
      bn_field(isolate, pkey, OSSL_PKEY_PARAM_RSA_EXPONENT1, out, "dp");
      bn_field(isolate, pkey, OSSL_PKEY_PARAM_RSA_EXPONENT2, out, "dq");
      bn_field(isolate, pkey, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, out, "qi");
    }
  }
  return out;
}

// ECDSA signatures are r||s of the curve's size in WebCrypto, DER in OpenSSL.
bool der_to_p1363(const std::vector<std::uint8_t>& der, std::size_t n,
                  std::vector<std::uint8_t>& out) {
  const unsigned char* p = der.data();
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) return false;
  out.assign(2 * n, 0);
  bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(sig), out.data(), static_cast<int>(n)) > 0 &&
            BN_bn2binpad(ECDSA_SIG_get0_s(sig), out.data() + n, static_cast<int>(n)) > 0;
  ECDSA_SIG_free(sig);
  return ok;
}
bool p1363_to_der(const std::uint8_t* sig, std::size_t size, std::size_t n,
                  std::vector<std::uint8_t>& out) {
  if (size != 2 * n) return false;
  ECDSA_SIG* s = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(sig, static_cast<int>(n), nullptr);
  BIGNUM* ss = BN_bin2bn(sig + n, static_cast<int>(n), nullptr);
  if (!s || !r || !ss || ECDSA_SIG_set0(s, r, ss) != 1) {
    BN_free(r);
    BN_free(ss);
    ECDSA_SIG_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(s, &der);
  ECDSA_SIG_free(s);
  if (len <= 0) return false;
  out.assign(der, der + len);
  OPENSSL_free(der);
  return true;
}

// Sets RSA padding on a signing/verifying context: pss salt length, or PKCS#1 v1.5 when -1.
bool rsa_padding(EVP_PKEY_CTX* pctx, int pss_salt, const EVP_MD* md) {
  if (pss_salt < 0) return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, pss_salt) == 1 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1;
}

// host.subtleSign(handle, hash | null, data, pssSalt) -> ArrayBuffer | null.
// host.subtleVerify(handle, hash | null, signature, data, pssSalt) -> boolean.
v8::Local<v8::Value> sign_or_verify(bind::Call& call, bind::Rest args, bool verify) {
  auto* isolate = call.isolate();
  Bytes data, sig;
  int base = verify ? 1 : 0;
  Secret* s = args.size() > 3 + base ? pkey_of(args[0]) : nullptr;
  if (!s || !bytes_of(args[2 + base], data) || (verify && !bytes_of(args[2], sig)))
    throw bind::TypeError("subtleSign/Verify: bad arguments");
  const EVP_MD* md = args[1]->IsNull() ? nullptr : md_of(isolate, args[1]);
  int pss_salt = args[3 + base]->IsInt32() ? args[3 + base].As<v8::Int32>()->Value() : -1;
  int id = EVP_PKEY_get_base_id(s->pkey);
  using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_PKEY_CTX* pctx = nullptr;
  static const std::uint8_t kEmpty = 0;
  const std::uint8_t* msg = data.size ? data.data : &kEmpty;
  if (!ctx) return v8::Null(call.isolate());
  if (verify) {
    std::vector<std::uint8_t> der;
    const std::uint8_t* sig_data = sig.data;
    std::size_t sig_size = sig.size;
    if (id == EVP_PKEY_EC) {
      if (!p1363_to_der(sig.data, sig.size, field_bytes(curve_of(s->pkey)), der))
        return v8::False(call.isolate());
      sig_data = der.data();
      sig_size = der.size();
    }
    bool ok =
        EVP_DigestVerifyInit(ctx.get(), &pctx, md, nullptr, s->pkey) == 1 &&
        (id != EVP_PKEY_RSA || rsa_padding(pctx, pss_salt, md)) &&
        EVP_DigestVerify(ctx.get(), sig_size ? sig_data : &kEmpty, sig_size, msg, data.size) == 1;
    return v8::Boolean::New(call.isolate(), ok);
  }
  std::size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, s->pkey) != 1 ||
      (id == EVP_PKEY_RSA && !rsa_padding(pctx, pss_salt, md)) ||
      EVP_DigestSign(ctx.get(), nullptr, &len, msg, data.size) != 1)
    return v8::Null(call.isolate());
  std::vector<std::uint8_t> out(len);
  if (EVP_DigestSign(ctx.get(), out.data(), &len, msg, data.size) != 1)
    return v8::Null(call.isolate());
  out.resize(len);
  if (id == EVP_PKEY_EC) {
    std::vector<std::uint8_t> p1363;
    if (!der_to_p1363(out, field_bytes(curve_of(s->pkey)), p1363)) return v8::Null(call.isolate());
    out.swap(p1363);
  }
  return set_buffer(call.isolate(), out.data(), out.size());
}
v8::Local<v8::Value> SubtleSign(bind::Call& call, SubtleState&, bind::Rest args) {
  return sign_or_verify(call, args, false);
}
v8::Local<v8::Value> SubtleVerify(bind::Call& call, SubtleState&, bind::Rest args) {
  return sign_or_verify(call, args, true);
}

// host.subtleRsaOaep(handle, encrypt, hash, label, data) -> ArrayBuffer | null.
v8::Local<v8::Value> SubtleRsaOaep(bind::Call& call, SubtleState& st, bind::Rest args) {
  (void)st;
  auto* isolate = call.isolate();
  Bytes label, data;
  Secret* s = args.size() > 4 ? pkey_of(args[0]) : nullptr;
  const EVP_MD* md = args.size() > 4 ? md_of(isolate, args[2]) : nullptr;
  if (!s || !md || !bytes_of(args[3], label) || !bytes_of(args[4], data))
    throw bind::TypeError("subtleRsaOaep: bad arguments");
  bool encrypt = args[1]->IsTrue();
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, s->pkey, nullptr), &EVP_PKEY_CTX_free);
  if (!ctx ||
      (encrypt ? EVP_PKEY_encrypt_init(ctx.get()) : EVP_PKEY_decrypt_init(ctx.get())) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), md) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), md) != 1)
    return v8::Null(call.isolate());
  if (label.size) {
    // OpenSSL takes ownership of the label.
    auto* copy = static_cast<unsigned char*>(OPENSSL_memdup(label.data, label.size));
    if (!copy ||
        EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), copy, static_cast<int>(label.size)) != 1) {
      OPENSSL_free(copy);
      return v8::Null(call.isolate());
    }
  }
  static const std::uint8_t kEmpty = 0;
  const std::uint8_t* in = data.size ? data.data : &kEmpty;
  std::size_t len = 0;
  auto run = [&](std::uint8_t* out) {
    return encrypt ? EVP_PKEY_encrypt(ctx.get(), out, &len, in, data.size)
                   : EVP_PKEY_decrypt(ctx.get(), out, &len, in, data.size);
  };
  if (run(nullptr) != 1) return v8::Null(call.isolate());
  std::vector<std::uint8_t> out(len);
  if (run(out.data()) != 1) return v8::Null(call.isolate());
  out.resize(len);
  return set_buffer(call.isolate(), out.data(), out.size());
}

// host.subtleDerive(privateHandle, publicHandle) -> ArrayBuffer | null (ECDH, X25519).
v8::Local<v8::Value> SubtleDerive(bind::Call& call, SubtleState& st, bind::Rest args) {
  (void)st;
  (void)call;
  Secret* priv = args.size() > 1 ? pkey_of(args[0]) : nullptr;
  Secret* pub = args.size() > 1 ? pkey_of(args[1]) : nullptr;
  if (!priv || !pub) throw bind::TypeError("subtleDerive: expected two key handles");
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, priv->pkey, nullptr), &EVP_PKEY_CTX_free);
  std::size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), pub->pkey) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1)
    return v8::Null(call.isolate());
  std::vector<std::uint8_t> out(len);
  if (EVP_PKEY_derive(ctx.get(), out.data(), &len) != 1) return v8::Null(call.isolate());
  out.resize(len);
  // X25519 with a small-order point gives all zeros: the standard makes that an error.
  if (EVP_PKEY_get_base_id(priv->pkey) == EVP_PKEY_X25519) {
    std::uint8_t acc = 0;
    for (auto b : out) acc |= b;
    if (acc == 0) return v8::Null(call.isolate());
  }
  auto result = set_buffer(call.isolate(), out.data(), out.size());
  OPENSSL_cleanse(out.data(), out.size());
  return result;
}

}  // namespace

}  // namespace web

using namespace web;  // NOLINT: the natives above

const bind::Extension& subtle_extension() {
  static const bind::Extension ext = bind::with_state<SubtleState>({
      .name = "subtle",
      .js = {"engine/web/js/subtle.js"},
      .natives =
          {bind::native<"subtleSecret", &SubtleSecret>(),
           bind::native<"subtleExport", &SubtleExport>(), bind::native<"subtleHmac", &SubtleHmac>(),
           bind::native<"subtlePbkdf2", &SubtlePbkdf2>(), bind::native<"subtleHkdf", &SubtleHkdf>(),
           bind::native<"subtleAes", &SubtleAes>(), bind::native<"subtleKeyInfo", &SubtleKeyInfo>(),
           bind::native<"subtleGenerate", &SubtleGenerate>(),
           bind::native<"subtleImport", &SubtleImport>(),
           bind::native<"subtleKeyExport", &SubtleKeyExport>(),
           bind::native<"subtleSign", &SubtleSign>(), bind::native<"subtleVerify", &SubtleVerify>(),
           bind::native<"subtleRsaOaep", &SubtleRsaOaep>(),
           bind::native<"subtleDerive", &SubtleDerive>()},
  });
  return ext;
}

}  // namespace zinnia::engine
