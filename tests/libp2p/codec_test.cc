// The libp2p codecs against known vectors (multiformats, libp2p/specs) and each other.
#include <gtest/gtest.h>

#include "engine/libp2p/crypto.h"
#include "engine/libp2p/multiaddr.h"
#include "engine/libp2p/wire.h"

using namespace zinnia::libp2p;

TEST(Libp2pCodec, Varint) {
  for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 300ull, 16384ull, (1ull << 63) - 1}) {
    Bytes b;
    put_uvarint(b, v);
    std::size_t used = 0;
    EXPECT_EQ(get_uvarint(b.data(), b.size(), &used), v);
    EXPECT_EQ(used, b.size());
    EXPECT_FALSE(get_uvarint(b.data(), b.size() - 1, &used).has_value());
  }
  Bytes b{0xac, 0x02};
  std::size_t used = 0;
  EXPECT_EQ(get_uvarint(b.data(), b.size(), &used), 300u);
  Bytes nonminimal{0x81, 0x00};
  EXPECT_THROW(get_uvarint(nonminimal.data(), nonminimal.size(), &used), DecodeError);
  Bytes too_long(10, 0x80);
  EXPECT_THROW(get_uvarint(too_long.data(), too_long.size(), &used), DecodeError);
}

TEST(Libp2pCodec, Base58AndBase32) {
  EXPECT_EQ(base58btc_encode(to_bytes("hello world")), "StV1DL6CwTryKyV");
  EXPECT_EQ(base58btc_encode(Bytes{0, 0, 1}), "112");
  EXPECT_EQ(base58btc_decode("StV1DL6CwTryKyV"), to_bytes("hello world"));
  EXPECT_EQ(base58btc_decode("112"), (Bytes{0, 0, 1}));
  EXPECT_THROW(base58btc_decode("0OIl"), DecodeError);
  EXPECT_EQ(base32_encode(to_bytes("foobar")), "mzxw6ytboi");
  EXPECT_EQ(base32_decode("MZXW6YTBOI"), to_bytes("foobar"));
  EXPECT_THROW(base32_decode("a1"), DecodeError);
}

TEST(Libp2pCodec, Protobuf) {
  pb::Writer w;
  w.varint(1, 150);
  w.string(2, "testing");
  EXPECT_EQ(w.data(), (Bytes{0x08, 0x96, 0x01, 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'}));
  pb::Reader r(w.data());
  pb::Field f;
  ASSERT_TRUE(r.next(f));
  EXPECT_EQ(f.number, 1u);
  EXPECT_EQ(f.varint, 150u);
  ASSERT_TRUE(r.next(f));
  EXPECT_EQ(f.string(), "testing");
  EXPECT_FALSE(r.next(f));
  Bytes truncated{0x12, 0x07, 't'};
  pb::Reader bad(truncated);
  EXPECT_THROW(bad.next(f), DecodeError);
  Bytes group{0x0b};
  pb::Reader bad2(group);
  EXPECT_THROW(bad2.next(f), DecodeError);
}

TEST(Libp2pCodec, MultiaddrTextAndBinary) {
  auto m = Multiaddr::parse("/ip4/127.0.0.1/tcp/4001");
  EXPECT_EQ(m.encode(), (Bytes{0x04, 127, 0, 0, 1, 0x06, 0x0f, 0xa1}));
  EXPECT_EQ(Multiaddr::decode(m.encode()), m);
  EXPECT_EQ(m.tcp_port(), 4001);
  const std::string id = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
  for (const std::string& text : std::vector<std::string>{
           "/ip6/::1/tcp/0", "/dns4/example.com/tcp/443/p2p/" + id, "/dns/a.b/tcp/1",
           "/dns6/x/tcp/65535", "/ip4/1.2.3.4/tcp/80/p2p/" + id}) {
    auto a = Multiaddr::parse(text);
    EXPECT_EQ(a.to_string(), text);
    EXPECT_EQ(Multiaddr::decode(a.encode()), a) << text;
  }
  EXPECT_EQ(Multiaddr::parse("/ip4/1.2.3.4/tcp/80/ipfs/" + id).to_string(),
            "/ip4/1.2.3.4/tcp/80/p2p/" + id);
  EXPECT_EQ(Multiaddr::parse("/ip4/1.2.3.4/tcp/80/p2p/" + id).peer_multihash(),
            base58btc_decode(id));
  for (const char* bad : {"", "ip4/1.2.3.4", "/ip4/1.2.3.4/tcp", "/ip4/256.0.0.1", "/tcp/70000",
                          "/udp/1", "/ip4/1.2.3.4//tcp/1", "/p2p/xyz", "/p2p/Qm"}) {
    EXPECT_THROW(Multiaddr::parse(bad), DecodeError) << bad;
  }
  try {
    Multiaddr::parse("/ip4/1.2.3.4/quic/1");
  } catch (const DecodeError& e) {
    EXPECT_NE(std::string(e.what()).find("unsupported protocol 'quic'"), std::string::npos)
        << e.what();
  }
  Bytes truncated{0x04, 127, 0};
  EXPECT_THROW(Multiaddr::decode(truncated), DecodeError);
}

TEST(Libp2pCodec, PeerIdForms) {
  // libp2p/specs peer-ids: an Ed25519 key's id is its identity multihash, "12D3KooW...".
  Identity id;
  PeerId p = PeerId::from_public_key(id.public_key_protobuf());
  const std::string b58 = p.to_base58();
  EXPECT_EQ(b58.rfind("12D3KooW", 0), 0u) << b58;
  EXPECT_EQ(PeerId::parse(b58), p);
  const std::string cid = p.to_cid();
  EXPECT_EQ(cid.rfind("bafz", 0), 0u) << cid;
  EXPECT_EQ(PeerId::parse(cid), p);
  // A SHA-256 (RSA-style) id parses too.
  EXPECT_NO_THROW(PeerId::parse("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"));
  EXPECT_THROW(PeerId::parse("zzz"), DecodeError);
  // Signatures verify against the protobuf key, and only that key.
  Bytes msg = to_bytes("message");
  Bytes sig = id.sign(msg);
  EXPECT_TRUE(verify_signature(id.public_key_protobuf(), msg, sig));
  EXPECT_FALSE(verify_signature(Identity().public_key_protobuf(), msg, sig));
  sig[0] ^= 1;
  EXPECT_FALSE(verify_signature(id.public_key_protobuf(), msg, sig));
}

TEST(Libp2pCodec, Multistream) {
  Bytes wire = multistream::encode("/multistream/1.0.0");
  EXPECT_EQ(wire.size(), 20u);
  EXPECT_EQ(wire[0], 19);
  Buffer in;
  in.append(wire);
  append(wire, multistream::encode("na"));
  Buffer in2;
  in2.append(Bytes(wire.begin(), wire.begin() + 5));
  EXPECT_FALSE(multistream::take(in2));
  in2.append(Bytes(wire.begin() + 5, wire.end()));
  EXPECT_EQ(multistream::take(in2), "/multistream/1.0.0");
  EXPECT_EQ(multistream::take(in2), "na");
  Buffer bad;
  bad.append(Bytes{3, 'a', 'b', 'c'});
  EXPECT_THROW(multistream::take(bad), DecodeError);
  Buffer big;
  Bytes huge;
  put_uvarint(huge, 5000);
  big.append(huge);
  EXPECT_THROW(multistream::take(big), DecodeError);
}

TEST(Libp2pCodec, NoiseHandshakeBetweenTwoSides) {
  Identity alice_id, bob_id;
  noise::Handshake alice(true), bob(false);
  Bytes m1 = alice.write_message({});
  EXPECT_EQ(m1.size(), 32u);
  EXPECT_TRUE(bob.read_message(m1).empty());
  Bytes m2 =
      bob.write_message(noise::encode_payload(noise::make_payload(bob_id, bob.local_static())));
  Bytes p2 = alice.read_message(m2);
  EXPECT_EQ(noise::verify_payload(noise::decode_payload(p2), alice.remote_static()),
            PeerId::from_public_key(bob_id.public_key_protobuf()));
  Bytes m3 = alice.write_message(
      noise::encode_payload(noise::make_payload(alice_id, alice.local_static())));
  Bytes p3 = bob.read_message(m3);
  EXPECT_EQ(noise::verify_payload(noise::decode_payload(p3), bob.remote_static()),
            PeerId::from_public_key(alice_id.public_key_protobuf()));
  EXPECT_TRUE(alice.done() && bob.done());
  auto [a_tx, a_rx] = alice.split();
  auto [b_tx, b_rx] = bob.split();
  Bytes msg = to_bytes("over the secure channel");
  Bytes ct = a_tx.encrypt({}, msg.data(), msg.size());
  EXPECT_EQ(b_rx.decrypt({}, ct.data(), ct.size()), msg);
  Bytes ct2 = b_tx.encrypt({}, msg.data(), msg.size());
  ct2[3] ^= 1;
  EXPECT_THROW(a_rx.decrypt({}, ct2.data(), ct2.size()), DecodeError);
  // A payload signed for another static key is refused.
  EXPECT_THROW(noise::verify_payload(noise::decode_payload(p2), bob.remote_static()), DecodeError);
}

TEST(Libp2pCodec, YamuxAndMplexFrames) {
  Buffer in;
  in.append(yamux::encode({yamux::kData, yamux::kSyn, 3, 0, to_bytes("abc")}));
  in.append(yamux::encode({yamux::kWindowUpdate, yamux::kFin, 3, 1000, {}}));
  auto f = yamux::take(in, 1024);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->stream, 3u);
  EXPECT_EQ(f->flags, yamux::kSyn);
  EXPECT_EQ(f->data, to_bytes("abc"));
  auto g = yamux::take(in, 1024);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->length, 1000u);
  EXPECT_FALSE(yamux::take(in, 1024));
  Buffer over;
  over.append(yamux::encode({yamux::kData, 0, 1, 0, Bytes(2000)}));
  EXPECT_THROW(yamux::take(over, 1024), DecodeError);

  Buffer m;
  m.append(mplex::encode({7, mplex::kMessageInitiator, to_bytes("data")}));
  auto msg = mplex::take(m);
  ASSERT_TRUE(msg);
  EXPECT_EQ(msg->stream, 7u);
  EXPECT_EQ(msg->flag, mplex::kMessageInitiator);
  EXPECT_EQ(msg->data, to_bytes("data"));
  Buffer badflag;
  badflag.append(Bytes{0x07, 0x00});
  EXPECT_THROW(mplex::take(badflag), DecodeError);
}

TEST(Libp2pCodec, IdentifyRoundTrip) {
  identify::Info i;
  i.agent_version = "zinnia/1";
  i.protocol_version = "ipfs/0.1.0";
  i.public_key = Identity().public_key_protobuf();
  i.listen_addrs = {Multiaddr::parse("/ip4/127.0.0.1/tcp/1").encode()};
  i.protocols = {"/ipfs/ping/1.0.0", "/ipfs/id/1.0.0"};
  identify::Info o = identify::decode(identify::encode(i));
  EXPECT_EQ(o.agent_version, i.agent_version);
  EXPECT_EQ(o.public_key, i.public_key);
  EXPECT_EQ(o.listen_addrs, i.listen_addrs);
  EXPECT_EQ(o.protocols, i.protocols);
}
