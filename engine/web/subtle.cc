// crypto.subtle natives on OpenSSL 3: secret keys behind handles, HMAC, PBKDF2, HKDF, AES
// (CBC, CTR, GCM, KW). Operations are synchronous: the inputs are small and JS wraps the
// result in a promise. A failed operation returns null; js/subtle.js turns it into the
// OperationError the standard names.
#include "engine/web/subtle.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "engine/loop/loop.h"
#include "engine/v8/util.h"

namespace zinnia::engine::web {
namespace {

struct SubtleState;

// Key bytes in native memory; the JS handle object holds it in its internal field.
struct Secret {
  std::vector<std::uint8_t> bytes;
  SubtleState* state = nullptr;
  v8::Global<v8::Object> holder;
  ~Secret() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

struct SubtleState {
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

SubtleState* state(const v8::FunctionCallbackInfo<v8::Value>& args) {
  return static_cast<SubtleState*>(args.Data().As<v8::External>()->Value());
}

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

void set_buffer(const v8::FunctionCallbackInfo<v8::Value>& args, const std::uint8_t* data,
                std::size_t size) {
  auto store = v8::ArrayBuffer::NewBackingStore(args.GetIsolate(), size);
  if (size) std::memcpy(store->Data(), data, size);
  args.GetReturnValue().Set(v8::ArrayBuffer::New(args.GetIsolate(), std::move(store)));
}

// host.subtleSecret(bytes) -> handle holding a copy of the bytes.
void SubtleSecret(const v8::FunctionCallbackInfo<v8::Value>& args) {
  auto* isolate = args.GetIsolate();
  auto context = isolate->GetCurrentContext();
  Bytes in;
  if (args.Length() < 1 || !bytes_of(args[0], in))
    return throw_type_error(isolate, "subtleSecret: expected bytes");
  SubtleState* st = state(args);
  if (st->handle_template.IsEmpty()) {
    auto tmpl = v8::ObjectTemplate::New(isolate);
    tmpl->SetInternalFieldCount(1);
    st->handle_template.Reset(isolate, tmpl);
  }
  v8::Local<v8::Object> obj;
  if (!st->handle_template.Get(isolate)->NewInstance(context).ToLocal(&obj)) return;
  auto* s = new Secret{};
  s->bytes.assign(in.data, in.data + in.size);
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
  args.GetReturnValue().Set(obj);
}

// host.subtleExport(handle) -> ArrayBuffer (exportKey, and wrapping a key).
void SubtleExport(const v8::FunctionCallbackInfo<v8::Value>& args) {
  Secret* s = args.Length() > 0 ? secret_of(args[0]) : nullptr;
  if (!s) return throw_type_error(args.GetIsolate(), "subtleExport: expected a key handle");
  set_buffer(args, s->bytes.data(), s->bytes.size());
}

// host.subtleHmac(hash, handle, data) -> ArrayBuffer.
void SubtleHmac(const v8::FunctionCallbackInfo<v8::Value>& args) {
  auto* isolate = args.GetIsolate();
  Bytes data;
  Secret* s = args.Length() > 2 ? secret_of(args[1]) : nullptr;
  const EVP_MD* md = args.Length() > 2 ? md_of(isolate, args[0]) : nullptr;
  if (!s || !md || !bytes_of(args[2], data))
    return throw_type_error(isolate, "subtleHmac: expected (hash, handle, bytes)");
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  static const std::uint8_t kEmpty = 0;
  if (!HMAC(md, s->bytes.empty() ? &kEmpty : s->bytes.data(), static_cast<int>(s->bytes.size()),
            data.size ? data.data : &kEmpty, data.size, out, &len))
    return args.GetReturnValue().SetNull();
  set_buffer(args, out, len);
}

// host.subtlePbkdf2(hash, handle, salt, iterations, bits) -> ArrayBuffer | null.
void SubtlePbkdf2(const v8::FunctionCallbackInfo<v8::Value>& args) {
  auto* isolate = args.GetIsolate();
  Bytes salt;
  Secret* s = args.Length() > 4 ? secret_of(args[1]) : nullptr;
  const EVP_MD* md = args.Length() > 4 ? md_of(isolate, args[0]) : nullptr;
  if (!s || !md || !bytes_of(args[2], salt) || !args[3]->IsUint32() || !args[4]->IsUint32())
    return throw_type_error(isolate, "subtlePbkdf2: bad arguments");
  std::uint32_t iterations = args[3].As<v8::Uint32>()->Value();
  std::size_t len = args[4].As<v8::Uint32>()->Value() / 8;
  std::vector<std::uint8_t> out(len);
  static const std::uint8_t kEmpty = 0;
  if (iterations == 0 ||
      PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(s->bytes.empty() ? &kEmpty : s->bytes.data()),
                        static_cast<int>(s->bytes.size()), salt.size ? salt.data : &kEmpty,
                        static_cast<int>(salt.size), static_cast<int>(iterations), md,
                        static_cast<int>(len), out.data()) != 1)
    return args.GetReturnValue().SetNull();
  set_buffer(args, out.data(), out.size());
}

// host.subtleHkdf(hash, handle, salt, info, bits) -> ArrayBuffer | null (RFC 5869 on HMAC, so
// empty keys and salts work as the standard wants).
void SubtleHkdf(const v8::FunctionCallbackInfo<v8::Value>& args) {
  auto* isolate = args.GetIsolate();
  Bytes salt, info;
  Secret* s = args.Length() > 4 ? secret_of(args[1]) : nullptr;
  const EVP_MD* md = args.Length() > 4 ? md_of(isolate, args[0]) : nullptr;
  if (!s || !md || !bytes_of(args[2], salt) || !bytes_of(args[3], info) || !args[4]->IsUint32())
    return throw_type_error(isolate, "subtleHkdf: bad arguments");
  std::size_t len = args[4].As<v8::Uint32>()->Value() / 8;
  std::size_t hlen = static_cast<std::size_t>(EVP_MD_get_size(md));
  if (len > 255 * hlen) return args.GetReturnValue().SetNull();
  static const std::uint8_t kEmpty = 0;
  std::vector<std::uint8_t> zeros(hlen, 0);
  unsigned char prk[EVP_MAX_MD_SIZE];
  unsigned int prk_len = 0;
  const std::uint8_t* salt_data = salt.size ? salt.data : zeros.data();
  std::size_t salt_size = salt.size ? salt.size : hlen;
  if (!HMAC(md, salt_data, static_cast<int>(salt_size),
            s->bytes.empty() ? &kEmpty : s->bytes.data(), s->bytes.size(), prk, &prk_len))
    return args.GetReturnValue().SetNull();
  std::vector<std::uint8_t> out;
  std::vector<std::uint8_t> t;
  for (std::uint8_t i = 1; out.size() < len; ++i) {
    std::vector<std::uint8_t> msg(t);
    msg.insert(msg.end(), info.data, info.data + info.size);
    msg.push_back(i);
    unsigned char block[EVP_MAX_MD_SIZE];
    unsigned int block_len = 0;
    if (!HMAC(md, prk, static_cast<int>(prk_len), msg.data(), msg.size(), block, &block_len))
      return args.GetReturnValue().SetNull();
    t.assign(block, block + block_len);
    out.insert(out.end(), t.begin(), t.end());
  }
  OPENSSL_cleanse(prk, sizeof prk);
  out.resize(len);
  set_buffer(args, out.data(), out.size());
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
  out.resize(start + in_size + 2 * EVP_MAX_BLOCK_LENGTH);
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
void SubtleAes(const v8::FunctionCallbackInfo<v8::Value>& args) {
  auto* isolate = args.GetIsolate();
  Bytes iv, data;
  Secret* key = args.Length() > 4 ? secret_of(args[2]) : nullptr;
  if (!key || !bytes_of(args[3], iv) || !bytes_of(args[4], data))
    return throw_type_error(isolate, "subtleAes: bad arguments");
  std::string mode = to_utf8(isolate, args[0]);
  bool encrypt = args[1]->IsTrue();
  const EVP_CIPHER* cipher = aes_cipher(mode, key->bytes.size());
  if (!cipher) return args.GetReturnValue().SetNull();
  std::vector<std::uint8_t> out;
  if (mode == "cbc" || mode == "kw") {
    if (!cipher_run(cipher, *key, iv.data, mode == "kw" ? 0 : iv.size, encrypt, data.data,
                    data.size, out))
      return args.GetReturnValue().SetNull();
  } else if (mode == "ctr") {
    // Only the low `length` bits of the counter block count up; OpenSSL counts all 128, so
    // split the input where those bits wrap and restart from a counter whose low bits are 0.
    std::uint32_t length =
        args.Length() > 5 && args[5]->IsUint32() ? args[5].As<v8::Uint32>()->Value() : 0;
    if (iv.size != 16 || length == 0 || length > 128) return args.GetReturnValue().SetNull();
    std::uint8_t counter[16];
    std::memcpy(counter, iv.data, 16);
    std::size_t blocks = (data.size + 15) / 16;
    if (length < 64 && blocks > (std::uint64_t{1} << length))
      return args.GetReturnValue().SetNull();
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
        return args.GetReturnValue().SetNull();
      done += chunk;
      if (length < 64) {
        // Zero the low `length` bits (the counter wrapped).
        for (std::uint32_t bit = 0; bit < length; ++bit)
          counter[15 - bit / 8] &= static_cast<std::uint8_t>(~(1u << (bit % 8)));
      }
    }
  } else if (mode == "gcm") {
    Bytes aad;
    if (args.Length() < 7 || !bytes_of(args[5], aad) || !args[6]->IsUint32())
      return throw_type_error(isolate, "subtleAes: gcm needs (aad, tagLength)");
    std::size_t tag_len = args[6].As<v8::Uint32>()->Value() / 8;
    if (iv.size == 0) return args.GetReturnValue().SetNull();
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    std::size_t in_size = data.size;
    if (!encrypt) {
      if (data.size < tag_len) return args.GetReturnValue().SetNull();
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
    if (!ok) return args.GetReturnValue().SetNull();
    out.resize(static_cast<std::size_t>(n + m));
    if (encrypt) {
      std::uint8_t tag[16];
      if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_len), tag) != 1)
        return args.GetReturnValue().SetNull();
      out.insert(out.end(), tag, tag + tag_len);
    }
  } else {
    return args.GetReturnValue().SetNull();
  }
  set_buffer(args, out.data(), out.size());
}

}  // namespace

void install_subtle(v8::Local<v8::Context> context, v8::Local<v8::Object> host) {
  auto* isolate = context->GetIsolate();
  auto* st = new SubtleState();
  Loop::from(isolate).on_close([st] { delete st; });
  auto data = v8::External::New(isolate, st);
  set_method(context, host, "subtleSecret", SubtleSecret, data);
  set_method(context, host, "subtleExport", SubtleExport, data);
  set_method(context, host, "subtleHmac", SubtleHmac, data);
  set_method(context, host, "subtlePbkdf2", SubtlePbkdf2, data);
  set_method(context, host, "subtleHkdf", SubtleHkdf, data);
  set_method(context, host, "subtleAes", SubtleAes, data);
}

}  // namespace zinnia::engine::web
