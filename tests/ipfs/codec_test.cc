// The codecs of engine/ipfs against published vectors (RFC 4648, the CID specification's
// examples) and against each other (what the writer writes, the reader reads).
#include <gtest/gtest.h>

#include "engine/ipfs/car.h"
#include "engine/ipfs/cid.h"
#include "engine/ipfs/dag_cbor.h"
#include "engine/ipfs/dag_json.h"
#include "engine/ipfs/dag_pb.h"
#include "engine/ipfs/hamt.h"
#include "engine/ipfs/ipni.h"
#include "engine/ipfs/multibase.h"
#include "engine/ipfs/request.h"
#include "engine/ipfs/traversal.h"
#include "engine/ipfs/varint.h"

namespace zinnia::ipfs {
namespace {

std::string str(const Bytes& b) { return std::string(b.begin(), b.end()); }

TEST(Varint, RoundTripsAndRefusesBadEncodings) {
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 300ull, 16384ull, (1ull << 63) - 1}) {
    Bytes b;
    write_varint(b, v);
    ByteView in(b);
    EXPECT_EQ(read_varint(in, "test"), v);
    EXPECT_TRUE(in.empty());
  }
  Bytes b300 = {0xac, 0x02};
  EXPECT_EQ(peek_varint(b300)->value, 300u);
  Bytes partial = {0x80};
  EXPECT_FALSE(peek_varint(partial));
  Bytes overlong = {0x80, 0x00};
  EXPECT_THROW(peek_varint(overlong), Error);
  Bytes ten(10, 0xff);
  EXPECT_THROW(peek_varint(ten), Error);
}

TEST(Multibase, Rfc4648AndBase58Vectors) {
  EXPECT_EQ(base32_encode(as_bytes("foobar")), "mzxw6ytboi");
  EXPECT_EQ(str(base32_decode("mzxw6ytboi")), "foobar");
  EXPECT_EQ(str(base32_decode("MZXW6YTBOI")), "foobar");
  EXPECT_EQ(str(base64_decode("Zm9vYmFy")), "foobar");
  EXPECT_EQ(str(base64_decode("Zm9vYg==")), "foob");
  EXPECT_EQ(base64_encode(as_bytes("foob")), "Zm9vYg==");
  EXPECT_EQ(base58btc_encode(as_bytes("hello world")), "StV1DL6CwTryKyV");
  EXPECT_EQ(str(base58btc_decode("StV1DL6CwTryKyV")), "hello world");
  Bytes zeros = {0, 0, 1};
  EXPECT_EQ(base58btc_encode(zeros), "112");
  EXPECT_EQ(base58btc_decode("112"), zeros);
  EXPECT_EQ(str(multibase_decode("f666f6f")), "foo");
  EXPECT_THROW(multibase_decode("b0"), Error);    // '0' is not base32
  EXPECT_THROW(multibase_decode("zO0l"), Error);  // not base58
  EXPECT_THROW(multibase_decode("?abc"), Error);
  EXPECT_THROW(base32_decode("mzxw6ytboi======"), Error);
}

TEST(Cid, V0AndV1OfTheSpecification) {
  Cid v0 = Cid::parse("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n");
  EXPECT_EQ(v0.version, 0u);
  EXPECT_EQ(v0.codec, codec::kDagPb);
  Cid v1 = Cid::parse("bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  EXPECT_EQ(v1.version, 1u);
  EXPECT_TRUE(v0.same_content(v1));
  EXPECT_EQ(v0.to_string(), "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n");
  EXPECT_EQ(v1.to_string(), "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  // base58btc and base16 forms of the same CIDv1.
  Bytes bin = v1.bytes();
  EXPECT_TRUE(Cid::parse("z" + base58btc_encode(bin)).same_content(v1));
  EXPECT_EQ(Cid::decode(bin).to_string(), v1.to_string());
}

TEST(Cid, BadTextIsNamed) {
  EXPECT_THROW(Cid::parse(""), Error);
  EXPECT_THROW(Cid::parse("bafy"), Error);
  EXPECT_THROW(Cid::parse("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1"), Error);
  try {
    Cid::parse("xyz");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("multibase prefix"), std::string::npos) << e.what();
  }
}

TEST(Cid, VerifiesSha256AndIdentity) {
  Cid c = Cid::of(codec::kRaw, as_bytes("hello"));
  EXPECT_NO_THROW(c.verify(as_bytes("hello")));
  EXPECT_THROW(c.verify(as_bytes("hellO")), Error);
  // sha256("hello") = 2cf24dba...
  EXPECT_EQ(c.digest[0], 0x2c);
  EXPECT_EQ(c.digest[1], 0xf2);
  Cid id;
  id.hash = multihash::kIdentity;
  id.digest = Bytes{'h', 'i'};
  EXPECT_NO_THROW(id.verify(as_bytes("hi")));
  EXPECT_THROW(id.verify(as_bytes("ho")), Error);
}

TEST(Car, WriterAndIncrementalReaderAgree) {
  Cid a = Cid::of(codec::kRaw, as_bytes("block a"));
  Cid b = Cid::of(codec::kRaw, as_bytes("block b, longer"));
  Bytes car = car_header({a});
  car_section(car, a, as_bytes("block a"));
  car_section(car, b, as_bytes("block b, longer"));
  // Fed a byte at a time, as the slowest network would.
  std::vector<std::string> seen;
  std::vector<Cid> roots;
  CarReader r([&](std::vector<Cid> rs) { roots = std::move(rs); },
              [&](const Cid& cid, ByteView data) {
                seen.push_back(cid.to_string() + "=" + std::string(as_chars(data)));
              });
  for (auto byte : car) r.feed(ByteView(&byte, 1));
  r.finish();
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_TRUE(roots[0].same_content(a));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1], b.to_string() + "=block b, longer");
  // Cut anywhere inside a section: finish() says so.
  CarReader cut([](std::vector<Cid>) {}, [](const Cid&, ByteView) {});
  cut.feed(ByteView(car.data(), car.size() - 3));
  EXPECT_THROW(cut.finish(), Error);
  CarReader empty([](std::vector<Cid>) {}, [](const Cid&, ByteView) {});
  EXPECT_THROW(empty.finish(), Error);
}

TEST(Car, BadHeadersAreRefused) {
  auto parse = [](Bytes bytes) {
    CarReader r([](std::vector<Cid>) {}, [](const Cid&, ByteView) {});
    r.feed(bytes);
    r.finish();
  };
  // {"version": 2, "roots": []}
  EXPECT_THROW(parse({0x11, 0xa2, 0x65, 'r', 'o', 'o', 't', 's', 0x80, 0x67, 'v', 'e', 'r', 's',
                      'i', 'o', 'n', 0x02}),
               Error);
  EXPECT_THROW(parse({0x01, 0xa0}), Error);              // no version
  EXPECT_THROW(parse({0xff, 0xff, 0xff, 0x7f}), Error);  // a 256 MiB header
}

TEST(DagCbor, LinksInDocumentOrder) {
  Cid a = Cid::of(codec::kRaw, as_bytes("a"));
  Cid b = Cid::of(codec::kDagCbor, as_bytes("b"));
  auto link = [](const Cid& c) {
    Bytes out = {0xd8, 42, 0x58};
    Bytes cb = c.bytes();
    out.push_back(static_cast<std::uint8_t>(cb.size() + 1));
    out.push_back(0);
    out.insert(out.end(), cb.begin(), cb.end());
    return out;
  };
  // {"a": [link a, 1], "b": link b}
  Bytes doc = {0xa2, 0x61, 'a', 0x82};
  Bytes la = link(a), lb = link(b);
  doc.insert(doc.end(), la.begin(), la.end());
  doc.push_back(0x01);
  doc.push_back(0x61);
  doc.push_back('b');
  doc.insert(doc.end(), lb.begin(), lb.end());
  auto links = dag_cbor_links(doc);
  ASSERT_EQ(links.size(), 2u);
  EXPECT_TRUE(links[0].same_content(a));
  EXPECT_TRUE(links[1].same_content(b));
  EXPECT_THROW(dag_cbor_links(Bytes{0x9f, 0xff}), Error);  // indefinite length
  Bytes deep(200, 0x81);
  deep.push_back(0);
  EXPECT_THROW(dag_cbor_links(deep), Error);
}

TEST(DagJson, Links) {
  auto links = dag_json_links(as_bytes(
      R"({"x":{"/":"bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"},"b":{"/":{"bytes":"AAE"}},"l":[{"/":"QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n"}]})"));
  EXPECT_EQ(links.size(), 2u);
  EXPECT_THROW(dag_json_links(as_bytes("{")), Error);
  EXPECT_THROW(dag_json_links(as_bytes(std::string(500, '['))), Error);
}

TEST(DagPb, NodeAndUnixFs) {
  // PBNode{Links: [{Hash, Name "a", Tsize 5}], Data: UnixFS{Type File, filesize 5, blocksizes [5]}}
  Cid child = Cid::of(codec::kRaw, as_bytes("hello"));
  Bytes cb = child.bytes();
  Bytes link = {0x0a, static_cast<std::uint8_t>(cb.size())};
  link.insert(link.end(), cb.begin(), cb.end());
  link.insert(link.end(), {0x12, 0x01, 'a', 0x18, 0x05});
  Bytes fs = {0x08, 0x02, 0x18, 0x05, 0x20, 0x05};
  Bytes node = {0x12, static_cast<std::uint8_t>(link.size())};
  node.insert(node.end(), link.begin(), link.end());
  node.push_back(0x0a);
  node.push_back(static_cast<std::uint8_t>(fs.size()));
  node.insert(node.end(), fs.begin(), fs.end());
  PbNode n = decode_dag_pb(node);
  ASSERT_EQ(n.links.size(), 1u);
  EXPECT_TRUE(n.links[0].hash.same_content(child));
  EXPECT_EQ(*n.links[0].name, "a");
  EXPECT_EQ(*n.links[0].tsize, 5u);
  UnixFsData d = decode_unixfs(*n.data);
  EXPECT_EQ(d.type, UnixFsData::kFile);
  EXPECT_EQ(*d.filesize, 5u);
  EXPECT_EQ(d.blocksizes, std::vector<std::uint64_t>{5});

  // The traversal takes the node, then its leaf, and nothing else.
  Cid root = Cid::of(codec::kDagPb, node);
  Traversal t(root, Selector{});
  EXPECT_FALSE(t.complete());
  EXPECT_THROW(Traversal(root, Selector{}).accept(child, as_bytes("hello")),
               Error);  // out of order
  EXPECT_TRUE(t.accept(root, node));
  EXPECT_THROW(Traversal(t).accept(child, as_bytes("hellO")), Error);  // wrong bytes
  EXPECT_TRUE(t.accept(child, as_bytes("hello")));
  EXPECT_TRUE(t.complete());
  EXPECT_THROW(t.accept(child, as_bytes("hello")), Error);  // past the end

  EXPECT_THROW(decode_dag_pb(Bytes{0x12, 0x05, 0x0a}), Error);
  EXPECT_THROW(decode_dag_pb(Bytes{0x1a, 0x00}), Error);  // field 3
}

TEST(Hamt, Murmur3AndBucketLabels) {
  // h1 of MurmurHash3_x64_128 (seed 0): the first 8 bytes of @multiformats/murmur3's
  // murmur3128 digest (2.2.8), which prints h1 big-endian; the longer inputs cover whole
  // 16-byte blocks and tails in both halves.
  struct Vector {
    const char* in;
    std::uint64_t h1;
  };
  for (auto v : {Vector{"", 0}, Vector{"a", 0x85555565f6597889ULL},
                 Vector{"hello", 0xcbd8a7b341bd9b02ULL}, Vector{"hello.txt", 0xdf19ab11523994d9ULL},
                 Vector{"The quick brown fox jumps over the lazy dog", 0xe34bbc7bbc071b6cULL},
                 Vector{"file-0123456789abcdef.bin", 0xc3c95afe6e2bbe62ULL}}) {
    SCOPED_TRACE(v.in);
    EXPECT_EQ(murmur3_x64_64(as_bytes(v.in)), v.h1);
  }
  // Bits are consumed from the most significant end: "hello" is 0xcbd8a7b3...
  EXPECT_EQ(hamt_label("hello", 256, 0), "CB");
  EXPECT_EQ(hamt_label("hello", 256, 1), "D8");
  EXPECT_EQ(hamt_label("hello", 16, 0), "C");
  EXPECT_EQ(hamt_label("hello", 16, 1), "B");
  EXPECT_EQ(hamt_label("hello", 16, 2), "D");
  EXPECT_EQ(hamt_label("hello", 4096, 0), "CBD");
  EXPECT_EQ(hamt_label("hello", 256, 7), "02");
  EXPECT_THROW(hamt_label("hello", 256, 8), Error);  // past the 64 bits
  EXPECT_THROW(hamt_label("hello", 100, 0), Error);  // not a power of two
  EXPECT_THROW(hamt_label("hello", 0, 0), Error);
}

TEST(Request, ParsesLassiesParameters) {
  auto r = parse_ipfs_url(
      "ipfs://bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku/a%20b/c?dag-scope=entity&"
      "entity-bytes=-10:*&protocols=http,graphsync&providers=/dns4/example.com/tcp/443/https/p2p/"
      "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN");
  EXPECT_EQ(r.selector.path, (std::vector<std::string>{"a b", "c"}));
  EXPECT_EQ(r.selector.scope, Scope::kEntity);
  EXPECT_EQ(r.selector.bytes->from, -10);
  EXPECT_FALSE(r.selector.bytes->to);
  ASSERT_EQ(r.providers.size(), 1u);
  EXPECT_EQ(r.providers[0].http_base, "https://example.com:443");
  EXPECT_EQ(r.gateway_path(),
            "/ipfs/bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku/a%20b/c?format=car&"
            "dag-scope=entity&entity-bytes=-10:*");
  EXPECT_THROW(parse_ipfs_url("http://x"), RequestError);
  EXPECT_THROW(parse_provider("/ip4/1.2.3.4/tcp/80", Protocol::kHttp), RequestError);
  EXPECT_THROW(parse_provider("ip4/1.2.3.4/tcp/80/http", Protocol::kHttp), RequestError);
  EXPECT_THROW(parse_provider("/ip4/1.2.3.4/tcp/80/p2p/notbase58!", Protocol::kBitswap),
               RequestError);
  EXPECT_EQ(parse_provider("/ip6/::1/tcp/8080/http", Protocol::kHttp).http_base,
            "http://[::1]:8080");
}

TEST(Request, PlainTcpMultiaddrs) {
  EXPECT_TRUE(multiaddr_is_plain_tcp("/ip4/1.2.3.4/tcp/4001"));
  EXPECT_TRUE(multiaddr_is_plain_tcp("/dns4/example.com/tcp/4001/p2p/12D3KooWx"));
  EXPECT_FALSE(multiaddr_is_plain_tcp("/ip4/1.2.3.4/tcp/4001/ws"));
  EXPECT_FALSE(multiaddr_is_plain_tcp("/ip4/1.2.3.4/udp/4001/quic-v1"));
  EXPECT_FALSE(multiaddr_is_plain_tcp("/ip4/1.2.3.4/tcp/443/http"));
  EXPECT_FALSE(multiaddr_is_plain_tcp("ip4/1.2.3.4/tcp/1"));
}

TEST(Ipni, MetadataAndAnswers) {
  EXPECT_EQ(ipni_metadata_protocols(Bytes{0x80, 0x12, 0xa0, 0x12}),
            (std::vector<Protocol>{Protocol::kBitswap, Protocol::kHttp}));
  auto req = parse_ipfs_url("ipfs://bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  auto providers =
      parse_ipni_response(R"({"MultihashResults":[{"Multihash":"EiA=","ProviderResults":[
    {"ContextID":"AQ==","Metadata":"gBI=","Provider":{"ID":"12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN","Addrs":["/ip4/1.2.3.4/tcp/1"]}},
    {"ContextID":"Ag==","Metadata":"oBI=","Provider":{"ID":"12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN","Addrs":["/ip4/1.2.3.4/tcp/1","/dns/gw.example/tcp/443/https"]}}]}]})",
                          req);
  ASSERT_EQ(providers.size(), 2u);
  EXPECT_EQ(providers[0].protocol, Protocol::kHttp);  // HTTP first
  EXPECT_EQ(providers[0].http_base, "https://gw.example:443");
  EXPECT_EQ(providers[1].protocol, Protocol::kBitswap);
  EXPECT_THROW(parse_ipni_response("[]", req), Error);
}

}  // namespace
}  // namespace zinnia::ipfs
