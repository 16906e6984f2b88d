"""libp2p (scripts/bench/run libp2p [--quick]): request round trips and throughput through
our libp2p node vs a second js-libp2p node as the client, against one js-libp2p server
(tests/peers/libp2p/peer.mjs, yamux, 127.0.0.1), alternating A B for several rounds.

Measured: requests/s of a 32-byte echo at concurrency 1 and 64, and MiB/s of a 10 MiB
response (/zinnia-test/size/1.0.0). Each client first makes one warm-up request, so the dial
and handshakes are not in the figures."""
import json
import os
import subprocess

import benchlib

PEER_DIR = os.path.join(benchlib.ROOT, "tests", "peers", "libp2p")


class JsPeer:
    def __init__(self, muxer="yamux"):
        if not os.path.exists(os.path.join(PEER_DIR, "node_modules", "libp2p")):
            raise benchlib.BenchError("libp2p: js-libp2p is not installed in tests/peers/libp2p (scripts/setup)")
        env = dict(os.environ, MUXER=muxer)
        self.proc = subprocess.Popen([benchlib.node(), "peer.mjs"], cwd=PEER_DIR, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        hello = json.loads(self.proc.stdout.readline())
        self.addr = hello["addrs"][0]

    def call(self, cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if "error" in answer:
            raise RuntimeError("js-libp2p: " + answer["error"])
        return answer

    def close(self):
        self.proc.kill()
        self.proc.wait()


def main(quick, write):
    client_bin = benchlib.need("libp2p_client")
    rounds = 1 if quick else 3
    server = JsPeer()
    client = JsPeer()
    try:
        cases = [
            ("echo 32 B, c=1", "/zinnia-test/echo/1.0.0", "x" * 32, 100 if quick else 2000, 1),
            ("echo 32 B, c=64", "/zinnia-test/echo/1.0.0", "x" * 32, 640 if quick else 12800, 64),
            ("10 MiB response", "/zinnia-test/size/1.0.0", str(10 * 1024 * 1024), 2 if quick else 10, 1),
        ]
        rows = []
        for label, proto, payload, n, c in cases:
            def measure(name, _):
                if name == "zinnia":
                    out = subprocess.run([client_bin, server.addr, proto, payload, str(n), str(c)],
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
                    if out.returncode != 0:
                        raise RuntimeError(f"libp2p_client: {out.stderr.strip()}")
                    r = json.loads(out.stdout)
                else:
                    client.call({"cmd": "request", "addr": server.addr, "protocol": proto,
                                 "payload": payload.encode().hex(), "count": 1, "concurrency": 1})
                    r = client.call({"cmd": "request", "addr": server.addr, "protocol": proto,
                                     "payload": payload.encode().hex(), "count": n, "concurrency": c})
                secs = r["ms"] / 1000
                v = {"rps": n / secs, "mibs": r["bytes"] / secs / (1 << 20)}
                benchlib.emit(f"  {label:<16} {name:<9} {v['rps']:9.0f} req/s {v['mibs']:9.1f} MiB/s")
                return v

            results = benchlib.alternate({"zinnia": None, "js-libp2p": None}, rounds, measure)
            med = {name: {k: benchlib.median([r[k] for r in rs]) for k in ("rps", "mibs")}
                   for name, rs in results.items()}
            z, j = med["zinnia"], med["js-libp2p"]
            key = "mibs" if "MiB" in label else "rps"
            unit = "MiB/s" if key == "mibs" else "req/s"
            benchlib.emit(f"{label}: zinnia {z[key]:.1f} {unit}, js-libp2p {j[key]:.1f} {unit}: "
                          f"{benchlib.fmt_ratio(z[key], j[key])} (higher is better)")
            rows.append([label, f"{z[key]:.1f} {unit}", f"{j[key]:.1f} {unit}", benchlib.fmt_ratio(z[key], j[key])])
        if write:
            benchlib.record("libp2p", "scripts/bench/run libp2p", rows,
                            ["case", "zinnia's node (median)", "js-libp2p client (median)", "zinnia ÷ js"],
                            notes=f"{rounds} rounds alternating the two clients against one js-libp2p 2.10 server "
                                  "(Node 20, TCP + Noise + yamux on 127.0.0.1, all on the same 2 cores); each client "
                                  "makes one warm-up request first, so dial and handshakes are excluded. The server "
                                  "is the same js node for both, so it bounds both figures.")
    finally:
        server.close()
        client.close()
