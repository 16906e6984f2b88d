"""fetch (scripts/bench/run fetch [--quick]): fetch() requests/s and latency against a loopback server,
zinnia vs Deno vs Node, at concurrency 1 and 64, alternating A B C A B C; prints medians and
ratios and (without --quick) records them in docs/benchmarks.md (section "fetch").

The server is tests/web/server.js (Node, 127.0.0.1, port 0, a small JSON body per request).
Each client runs the same script: a warm-up, then N requests with C workers, each awaiting
fetch() and res.text(); it prints its requests/s and p50/p99 latency. The server counts the TCP
connections it accepts; the table gives each run's count (median), so a client that stops
keeping its connections alive shows (each runtime needs at most C)."""
import json
import os
import subprocess
import urllib.request

import benchlib

CLIENT = r"""
const URL_ = '%(url)s', N = %(n)d, C = %(c)d, WARM = %(warm)d;
async function worker(count, lat) {
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    const res = await fetch(URL_);
    await res.text();
    if (lat) lat.push(performance.now() - t);
  }
}
await Promise.all(Array.from({ length: C }, () => worker(Math.ceil(WARM / C), null)));
const lat = [];
const start = performance.now();
await Promise.all(Array.from({ length: C }, () => worker(N / C, lat)));
const secs = (performance.now() - start) / 1000;
lat.sort((a, b) => a - b);
console.log('RESULT ' + JSON.stringify({ rps: N / secs, p50: lat[Math.floor(lat.length / 2)],
  p99: lat[Math.floor(lat.length * 0.99)] }));
"""


def start_server():
    server = subprocess.Popen([benchlib.node(), os.path.join(benchlib.ROOT, "tests/web/server.js")],
                              stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    if not line.startswith("PORT "):
        server.kill()
        raise benchlib.BenchError("fetch: the loopback server (tests/web/server.js) did not start")
    return server, int(line.split()[1])


def accepted(port):
    """TCP connections the server has accepted so far (this query's own included)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/connections", timeout=10) as r:
        return json.load(r)["connections"]


def main(quick, write):
    rounds = 1 if quick else 5
    server, port = start_server()
    try:
        url = f"http://127.0.0.1:{port}/n/1"
        scratch = benchlib.scratch("fetch")
        peers = {"zinnia": [benchlib.zinnia(), "run"], "deno": [benchlib.deno(), "run", "--allow-net", "--quiet"],
                 "node": [benchlib.node()]}
        rows = []
        for c in (1, 64):
            n = (100 if c == 1 else 640) if quick else (3000 if c == 1 else 19200)
            src = CLIENT % {"url": url, "n": n, "c": c, "warm": 50 if quick else 200}
            files = {}
            for name in peers:
                ext = ".mjs" if name == "node" else ".js"
                files[name] = os.path.join(scratch, f"client_c{c}_{name}{ext}")
                with open(files[name], "w") as f:
                    f.write(src)

            def measure(name, cmd):
                before = accepted(port)
                out = subprocess.run(cmd + [files[name]], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, check=True, timeout=300).stdout
                line = next(l for l in out.splitlines() if l.startswith("RESULT "))
                r = json.loads(line[7:])
                r["conns"] = accepted(port) - before - 1
                benchlib.emit(f"  c={c:<3} {name:<7} {r['rps']:9.0f} req/s  p50 {r['p50']:.3f} ms  p99 {r['p99']:.3f} ms"
                              f"  {r['conns']} connections")
                return r

            results = benchlib.alternate(peers, rounds, measure)
            med = {name: {k: benchlib.median([r[k] for r in rs]) for k in ("rps", "p50", "p99", "conns")}
                   for name, rs in results.items()}
            z = med["zinnia"]
            benchlib.emit(f"c={c}: zinnia {z['rps']:.0f} req/s; vs deno {benchlib.fmt_ratio(z['rps'], med['deno']['rps'])}, "
                          f"vs node {benchlib.fmt_ratio(z['rps'], med['node']['rps'])} (req/s ratio, higher is better)")
            for name in peers:
                m = med[name]
                rows.append([c, name, f"{m['rps']:.0f}", f"{m['p50']:.3f}", f"{m['p99']:.3f}", f"{m['conns']:.0f}",
                             benchlib.fmt_ratio(z["rps"], m["rps"]) if name != "zinnia" else "1.00x"])
        if write:
            benchlib.record("fetch", "scripts/bench/run fetch", rows,
                            ["concurrency", "runtime", "req/s (median)", "p50 ms", "p99 ms", "TCP connections",
                             "zinnia req/s ÷ this"],
                            notes=f"{rounds} rounds alternating zinnia, Deno, Node; each round a 200-request warm-up then "
                                  "3000 (c=1) or 19200 (c=64) GETs of a small JSON body from tests/web/server.js "
                                  "(Node's http on 127.0.0.1, sharing the same 2 cores).")
    finally:
        server.kill()
        server.wait()
