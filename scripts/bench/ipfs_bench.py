"""ipfs (scripts/bench/run ipfs [--quick]): retrieval of a 100 MiB UnixFS file (256 KiB raw
leaves under one dag-pb root) from a loopback trustless gateway, side by side in one run:

- fetch ipfs://: `fetch("ipfs://<cid>?providers=...")` in `zinnia run`, reading res.body: every
  block checked against its CID and the DAG checked complete before JS sees a byte;
- verified (tool): the same retrieval by the library alone (zinnia-ipfs-fetch), CAR to a file;
- plain fetch: the same CAR from the gateway URL through zinnia's fetch() (`zinnia run`,
  reading res.body), nothing verified: the difference is the cost of verification;
- node @ipld/car: the same CAR streamed by Node's fetch into @ipld/car's CarBlockIterator with
  each block's sha2-256 checked (tests/peers/ipfs/verify-car.mjs), a JS reference;
- bitswap (tool): the same DAG over Bitswap 1.2.0 by zinnia-ipfs-fetch from a js-libp2p +
  @helia/bitswap peer (tests/peers/bitswap/provider.mjs) holding its blocks in memory.

Alternating A B C for several rounds; MiB/s of CAR bytes over each process's wall time (its
start-up included) and its peak RSS. The gateway is tests/peers/ipfs/gateway.mjs."""
import json
import os
import subprocess

import benchlib

PEERS = os.path.join(benchlib.ROOT, "tests", "peers", "ipfs")


def start_gateway(mib):
    if not os.path.exists(os.path.join(PEERS, "node_modules", "@ipld", "car")):
        raise benchlib.BenchError("tests/peers/ipfs is not installed: run scripts/setup")
    gw = subprocess.Popen([benchlib.node(), os.path.join(PEERS, "gateway.mjs"), "--file-mib", str(mib),
                           "--chunk-kib", "256", "--fanout", "1024"], stdout=subprocess.PIPE, text=True, cwd=PEERS)
    line = gw.stdout.readline()
    if not line.startswith("{"):
        gw.kill()
        raise benchlib.BenchError("ipfs: the loopback gateway (tests/peers/ipfs/gateway.mjs) did not start")
    return gw, json.loads(line)


def start_bitswap(port, cid):
    peers = os.path.join(benchlib.ROOT, "tests", "peers", "bitswap")
    if not os.path.exists(os.path.join(peers, "node_modules", "@helia", "bitswap")):
        raise benchlib.BenchError("tests/peers/bitswap is not installed: run scripts/setup")
    p = subprocess.Popen([benchlib.node(), os.path.join(peers, "provider.mjs"), "--gateway",
                          f"http://127.0.0.1:{port}", cid], stdout=subprocess.PIPE, text=True, cwd=peers)
    line = p.stdout.readline()
    if not line.startswith("{"):
        p.kill()
        raise benchlib.BenchError("ipfs: the Bitswap peer (tests/peers/bitswap/provider.mjs) did not start")
    return p, json.loads(line)


def main(quick, write):
    rounds = 1 if quick else 5
    mib = 8 if quick else 100
    gw, info = start_gateway(mib)
    bs = None
    try:
        bs, bs_info = start_bitswap(info["gateways"]["good"], info["cids"]["file"])
        cid = info["cids"]["file"]
        port = info["gateways"]["good"]
        gateway_url = f"http://127.0.0.1:{port}/ipfs/{cid}?format=car&dag-scope=all"
        ipfs_url = f"ipfs://{cid}?providers=/ip4/127.0.0.1/tcp/{port}/http"
        scratch = benchlib.scratch("ipfs")
        plain = os.path.join(scratch, "plain_fetch.js")
        with open(plain, "w") as f:
            f.write("const res = await fetch(%s, { headers: { accept: 'application/vnd.ipld.car' } });\n"
                    "let n = 0;\nfor await (const chunk of res.body) n += chunk.length;\n"
                    "console.log(n);\n" % json.dumps(gateway_url))
        ipfs_js = os.path.join(scratch, "ipfs_fetch.js")
        with open(ipfs_js, "w") as f:
            f.write("const res = await fetch(%s);\n"
                    "let n = 0;\nfor await (const chunk of res.body) n += chunk.length;\n"
                    "console.log(n);\n" % json.dumps(ipfs_url))
        out_car = os.path.join(scratch, "verified.car")
        peers = {
            "fetch ipfs:// (zinnia)": [benchlib.zinnia(), "run", ipfs_js],
            "verified (tool)": [benchlib.need("zinnia-ipfs-fetch"), ipfs_url, out_car],
            "plain fetch (zinnia)": [benchlib.zinnia(), "run", plain],
            "node @ipld/car": [benchlib.node(), os.path.join(PEERS, "verify-car.mjs"), gateway_url],
            "bitswap (tool)": [benchlib.need("zinnia-ipfs-fetch"),
                               f"ipfs://{cid}?protocols=bitswap&providers={bs_info['peers']['good']}",
                               os.path.join(scratch, "bitswap.car")],
        }
        # A warm-up retrieval gives the CAR's size, the same for every client.
        benchlib.run(peers["verified (tool)"], cwd=PEERS)
        car_bytes = {"size": os.path.getsize(out_car)}

        def measure(name, cmd):
            wall, rss = benchlib.run(cmd, cwd=PEERS)
            size = car_bytes["size"]
            r = {"mibs": size / wall / (1024 * 1024), "rss": rss / 1024, "wall": wall}
            benchlib.emit(f"  {name:<22} {r['mibs']:8.1f} MiB/s  {wall:6.2f} s  peak RSS {r['rss']:7.1f} MiB")
            return r

        results = benchlib.alternate(peers, rounds, measure)
        med = {name: {k: benchlib.median([r[k] for r in rs]) for k in ("mibs", "rss", "wall")}
               for name, rs in results.items()}
        v = med["fetch ipfs:// (zinnia)"]
        benchlib.emit(f"ipfs: fetch ipfs:// {v['mibs']:.0f} MiB/s, peak RSS {v['rss']:.0f} MiB; "
                      f"vs plain fetch {benchlib.fmt_ratio(v['mibs'], med['plain fetch (zinnia)']['mibs'])}, "
                      f"vs node @ipld/car {benchlib.fmt_ratio(v['mibs'], med['node @ipld/car']['mibs'])} "
                      f"(MiB/s ratio, higher is better)")
        if write:
            rows = [[name, f"{m['mibs']:.1f}", f"{m['wall']:.2f}", f"{m['rss']:.1f}",
                     benchlib.fmt_ratio(v["mibs"], m["mibs"]) if m is not v else "1.00x"]
                    for name, m in med.items()]
            benchlib.record("ipfs", "scripts/bench/run ipfs", rows,
                            ["client", "MiB/s (median)", "wall s", "peak RSS MiB", "fetch ipfs:// MiB/s ÷ this"],
                            notes=f"{rounds} rounds alternating; a {mib} MiB UnixFS file (256 KiB raw leaves, "
                                  f"one dag-pb root), CAR of {car_bytes.get('size', 0)} bytes, from "
                                  "tests/peers/ipfs/gateway.mjs (Node's http and @ipld/car's CarWriter on "
                                  "127.0.0.1, sharing the same 2 cores); bitswap: the same DAG from a js-libp2p + "
                                  "@helia/bitswap peer (tests/peers/bitswap/provider.mjs), 32 blocks asked ahead. "
                                  "Wall time includes each process's start.")
    finally:
        for p in (bs, gw):
            if p:
                p.terminate()
                p.wait()
