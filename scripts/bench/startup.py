"""startup: `zinnia run hello.js` vs `deno run hello.js` vs `node hello.js`: wall time and peak RSS."""
import os
import time

from benchlib import alternate, deno, emit, fmt_ratio, median, need, node, record, run, scratch, zinnia


def main(quick, write):
    d = scratch("startup")
    hello = os.path.join(d, "hello.js")
    with open(hello, "w") as f:
        f.write('console.log("hello");\n')
    # zinnia as a module developer runs it: the code cache in ~/.cache/zinnia is warm after the
    # first round. "libnode floor" is an empty main linked to Debian's libnode (the load alone);
    # "v8 floor" adds the least any embedder of that V8 does to print hello from JavaScript (a
    # platform, an isolate and a context from V8's own snapshot, one script).
    peers = {"zinnia": [zinnia(), "run", hello], "deno": [deno(), "run", hello], "node": [node(), hello],
             "libnode floor": [need("libnode_floor")],
             "v8 floor": [need("libnode_floor"), "--isolate"]}
    rounds = 2 if quick else 30

    # Each start follows 50 ms of idle, as a command typed after a pause does. Run right after
    # another process that loaded libnode, a start finds its pages hot in the CPU caches and is
    # ~4 ms faster (12.6 against 17.4 ms for the libnode floor, round 7), so back to back the
    # order of the peers decided part of their times.
    def measure(name, cmd):
        time.sleep(0.05)
        return run(cmd)

    res = alternate(peers, rounds, measure)
    wall = {k: median([r[0] for r in v]) * 1000 for k, v in res.items()}
    rss = {k: median([r[1] for r in v]) / 1024 for k, v in res.items()}
    for k in peers:
        emit(f"startup wall_ms {k.replace(' ', '_')} {wall[k]:.1f}")
        emit(f"startup peak_rss_mib {k.replace(' ', '_')} {rss[k]:.1f}")
    for what, m in (("wall", wall), ("rss", rss)):
        emit(f"startup ratio {what} zinnia/deno {fmt_ratio(m['zinnia'], m['deno'])} (goal <= 1.00x; "
             f"libnode floor {fmt_ratio(m['libnode floor'], m['deno'])}, v8 floor {fmt_ratio(m['v8 floor'], m['deno'])}; "
             f"zinnia/v8 floor {fmt_ratio(m['zinnia'], m['v8 floor'])})")
    if write:
        record("startup", f"scripts/bench/run startup ({rounds} rounds, the peers alternating)",
               [[k, f"{wall[k]:.1f}", f"{rss[k]:.1f}", fmt_ratio(wall[k], wall['deno']),
                 fmt_ratio(rss[k], rss['deno'])] for k in peers],
               ["runtime", "median wall (ms)", "median peak RSS (MiB)", "wall vs deno", "RSS vs deno"])
