"""startup: `zinnia run hello.js` vs `deno run hello.js` vs `node hello.js`: wall time and peak RSS."""
import os

from benchlib import alternate, deno, emit, fmt_ratio, median, node, record, run, scratch, zinnia


def main(quick, write):
    d = scratch("startup")
    hello = os.path.join(d, "hello.js")
    with open(hello, "w") as f:
        f.write('console.log("hello");\n')
    peers = {"zinnia": [zinnia(), "run", hello], "deno": [deno(), "run", hello], "node": [node(), hello]}
    rounds = 2 if quick else 30
    res = alternate(peers, rounds, lambda name, cmd: run(cmd))
    wall = {k: median([r[0] for r in v]) * 1000 for k, v in res.items()}
    rss = {k: median([r[1] for r in v]) / 1024 for k, v in res.items()}
    for k in peers:
        emit(f"startup wall_ms {k} {wall[k]:.1f}")
        emit(f"startup peak_rss_mib {k} {rss[k]:.1f}")
    emit(f"startup ratio wall zinnia/deno {fmt_ratio(wall['zinnia'], wall['deno'])} (goal <= 0.70x)")
    emit(f"startup ratio rss zinnia/deno {fmt_ratio(rss['zinnia'], rss['deno'])} (goal <= 0.80x)")
    if write:
        record("startup", f"scripts/bench/run startup ({rounds} rounds, A B C alternating)",
               [[k, f"{wall[k]:.1f}", f"{rss[k]:.1f}", fmt_ratio(wall[k], wall['deno']),
                 fmt_ratio(rss[k], rss['deno'])] for k in peers],
               ["runtime", "median wall (ms)", "median peak RSS (MiB)", "wall vs deno", "RSS vs deno"])
