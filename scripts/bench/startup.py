"""startup: `zinnia run hello.js` vs `deno run hello.js` vs `node hello.js`: wall time and peak RSS."""
import os

from benchlib import alternate, deno, emit, fmt_ratio, median, need, node, record, run, scratch, zinnia


def main(quick, write):
    d = scratch("startup")
    hello = os.path.join(d, "hello.js")
    with open(hello, "w") as f:
        f.write('console.log("hello");\n')
    # zinnia as a module developer runs it: the code cache in ~/.cache/zinnia is warm after the
    # first round. "libnode floor" is an empty main linked to Debian's libnode (the load alone).
    peers = {"zinnia": [zinnia(), "run", hello], "deno": [deno(), "run", hello], "node": [node(), hello],
             "libnode floor": [need("libnode_floor")]}
    rounds = 2 if quick else 30
    res = alternate(peers, rounds, lambda name, cmd: run(cmd))
    wall = {k: median([r[0] for r in v]) * 1000 for k, v in res.items()}
    rss = {k: median([r[1] for r in v]) / 1024 for k, v in res.items()}
    for k in peers:
        emit(f"startup wall_ms {k.replace(' ', '_')} {wall[k]:.1f}")
        emit(f"startup peak_rss_mib {k.replace(' ', '_')} {rss[k]:.1f}")
    emit(f"startup ratio wall zinnia/deno {fmt_ratio(wall['zinnia'], wall['deno'])} (goal <= 1.00x; libnode floor {fmt_ratio(wall['libnode floor'], wall['deno'])})")
    emit(f"startup ratio rss zinnia/deno {fmt_ratio(rss['zinnia'], rss['deno'])} (goal <= 1.00x; libnode floor {fmt_ratio(rss['libnode floor'], rss['deno'])})")
    if write:
        record("startup", f"scripts/bench/run startup ({rounds} rounds, A B C D alternating)",
               [[k, f"{wall[k]:.1f}", f"{rss[k]:.1f}", fmt_ratio(wall[k], wall['deno']),
                 fmt_ratio(rss[k], rss['deno'])] for k in peers],
               ["runtime", "median wall (ms)", "median peak RSS (MiB)", "wall vs deno", "RSS vs deno"])
