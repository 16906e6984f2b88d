"""modules: RSS of zinniad with N idle modules vs N separate Deno processes."""
import os
import signal
import subprocess
import time

from benchlib import deno, emit, record, scratch, zinniad


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def settle(pids, seconds):
    time.sleep(seconds)
    return sum(rss_kib(p) for p in pids)


def main(quick, write):
    counts = [1, 2] if quick else [1, 10, 50, 100]
    d = scratch("modules")
    idle = os.path.join(d, "idle.js")
    with open(idle, "w") as f:
        f.write("console.log('idle');\nsetInterval(() => {}, 1 << 30);\n")
    env = dict(os.environ, FIL_WALLET_ADDRESS="0x000000000000000000000000000000000000dEaD",
               STATE_ROOT=os.path.join(d, "state"), CACHE_ROOT=os.path.join(d, "cache"))
    rows, base = [], None
    for n in counts:
        mods = [f"m{i}={idle}" for i in range(n)]
        z = subprocess.Popen([zinniad(), "--no-mount", "--spin-root", os.path.join(d, "spin"), *mods],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        z_rss = settle([z.pid], 1.0 + n * 0.05)
        if z.poll() is not None:
            raise RuntimeError(f"zinniad with {n} modules exited {z.returncode} while idle")
        z.send_signal(signal.SIGTERM)
        z.wait(timeout=30)
        ds = [subprocess.Popen([deno(), "run", idle], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL) for _ in range(n)]
        d_rss = settle([p.pid for p in ds], 1.0 + n * 0.05)
        if any(p.poll() is not None for p in ds):
            raise RuntimeError("a deno process exited while idle")
        for p in ds:
            p.kill()
            p.wait()
        if base is None:
            base = (n, z_rss)
        per_extra = (z_rss - base[1]) / (n - base[0]) / 1024 if n != base[0] else float("nan")
        emit(f"modules n={n} zinniad_rss_mib {z_rss / 1024:.1f} deno_total_rss_mib {d_rss / 1024:.1f} "
             f"ratio {z_rss / d_rss:.3f} per_extra_module_mib {per_extra:.2f}")
        rows.append([n, f"{z_rss / 1024:.1f}", f"{d_rss / 1024:.1f}", f"{z_rss / d_rss:.3f}",
                     "" if n == base[0] else f"{per_extra:.2f}"])
    emit("modules goals: per extra module < 3 MiB; zinniad <= 0.1x of N deno processes")
    if write:
        record("modules per process", "scripts/bench/run modules", rows,
               ["modules", "zinniad RSS (MiB)", "N deno processes RSS (MiB)", "ratio",
                "MiB per extra module"])
