"""fuse-read and fuse-ops: wrap fusefs_bench (scripts/bench/fuse_bench.cc), which mounts the
monitor tree in-process (the same Tree and Mount zinniad uses) and alternates the peers itself.

fuse-read: 256 MiB sequential `cat` through the mount vs `cat` of the persisted file, and through
           libfuse's passthrough_ll (Debian's example) serving that file with cache=never, and
           with cache=always once cached (the kernel's FUSE page cache: any server's best).
fuse-ops:  stat and 4 KiB pread latency on the mount vs libfuse's hello_ll (Debian's example),
           a 4 KiB pread through passthrough_ll with cache=never (a direct_io round trip, as on
           our logs), plus append throughput into the tree and append-to-visible latency."""
import os
import subprocess

from benchlib import emit, fmt_ratio, need, record


def run_bench(sections, quick):
    exe = need("fusefs_bench")
    cmd = [exe, "--only", ",".join(sections), "--passthrough", need("fuse_passthrough_ll")]
    if "ops" in sections:
        cmd += ["--hello", need("fuse_hello_ll")]
    if quick:
        cmd.append("--quick")
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True, timeout=900).stdout
    figures = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            figures[(parts[0], parts[1])] = float(parts[2])
    return figures, " ".join(os.path.basename(c) if c == exe else c for c in cmd)


def main_read(quick, write):
    f, cmd = run_bench(["read"], quick)
    mount, disk, ratio = f[("read", "mount_mib_s")], f[("read", "file_mib_s")], f[("read", "ratio_mount_vs_file")]
    emit(f"fuse-read file_mib_s {disk:.0f}")
    emit(f"fuse-read mount_mib_s {mount:.0f}")
    pt, pt_ratio = f[("read", "passthrough_mib_s")], f[("read", "ratio_passthrough_vs_file")]
    emit(f"fuse-read ratio mount/file {ratio:.2f}x (goal >= 0.80x)")
    emit(f"fuse-read passthrough_ll_mib_s {pt:.0f} ratio passthrough_ll/file {pt_ratio:.2f}x "
         "(libfuse's example server, cache=never)")
    ptc, ptc_ratio = f[("read", "passthrough_cached_mib_s")], f[("read", "ratio_passthrough_cached_vs_file")]
    emit(f"fuse-read passthrough_ll_cached_mib_s {ptc:.0f} ratio passthrough_ll_cached/file {ptc_ratio:.2f}x "
         "(cache=always, every page cached: the FUSE page cache's ceiling)")
    if write:
        record("fuse-read", f"scripts/bench/run fuse-read ({cmd})",
               [["`cat` of the persisted file", f"{disk:.0f}", "1.00x"],
                ["`cat` through the mount", f"{mount:.0f}", f"{ratio:.2f}x"],
                ["`cat` of the persisted file through passthrough_ll (cache=never)", f"{pt:.0f}",
                 f"{pt_ratio:.2f}x"],
                ["`cat` of the persisted file through passthrough_ll (cache=always, all cached)",
                 f"{ptc:.0f}", f"{ptc_ratio:.2f}x"]],
               ["reader", "median MiB/s", "vs file"],
               f"{f[('read', 'size_mib')]:.0f} MiB log, 5 rounds alternating the four readers; the "
               "persisted file is in the page cache; the mount serves the last 1 MiB from memory "
               "and the rest by splicing from the persisted file. passthrough_ll: libfuse's example "
               "server from Debian's libfuse3-dev (built by fusefs/CMakeLists.txt), serving the "
               "persisted file's folder with `-o cache=never,timeout=1`, i.e. direct_io as our logs are: "
               "what a plain libfuse server does with a direct_io read on this machine. With "
               "`cache=always` (its cache warmed by one `cat` first) every read is served by the "
               "kernel's FUSE page cache and none reaches the server: the ceiling of any FUSE "
               "server's reads here.")


def main_ops(quick, write):
    f, cmd = run_bench(["ops", "append", "visible"], quick)
    zs, zr, zd = (f[("ops", k)] for k in ("zinnia_stat_p50_us", "zinnia_pread4k_memory_p50_us",
                                          "zinnia_pread4k_disk_p50_us"))
    hs, hr = f[("ops", "hello_stat_p50_us")], f[("ops", "hello_pread4k_p50_us")]
    emit(f"fuse-ops stat_p50_us zinnia {zs:.1f} hello_ll {hs:.1f} ratio {fmt_ratio(zs, hs)} (goal <= 1.20x)")
    zso, hso = f[("ops", "zinnia_stat_only_p50_us")], f[("ops", "hello_stat_only_p50_us")]
    emit(f"fuse-ops stat_only_p50_us zinnia {zso:.2f} hello_ll {hso:.2f} ratio {fmt_ratio(zso, hso)} "
         "(by name from the file's folder, no pread between; goal <= 1.20x)")
    emit(f"fuse-ops pread4k_p50_us zinnia {zr:.1f} hello_ll {hr:.1f} ratio {fmt_ratio(zr, hr)} (goal <= 1.20x)")
    emit(f"fuse-ops pread4k_p50_us zinnia_from_persisted_file {zd:.1f}")
    ptr = f[("ops", "passthrough_pread4k_p50_us")]
    emit(f"fuse-ops pread4k_p50_us passthrough_ll_cache_never {ptr:.1f} ratio zinnia/passthrough_ll "
         f"{fmt_ratio(zr, ptr)} (a direct_io round trip on both)")
    a1, a100 = f[("append", "lines_per_s_flush_every_line")], f[("append", "lines_per_s_flush_every_100")]
    emit(f"fuse-ops append_lines_per_s flush_every_line {a1:.0f} flush_every_100 {a100:.0f}")
    v50, v99 = f[("visible", "p50_us")], f[("visible", "p99_us")]
    emit(f"fuse-ops append_to_visible_us p50 {v50:.0f} p99 {v99:.0f}")
    if write:
        record("fuse-ops", f"scripts/bench/run fuse-ops ({cmd})",
               [["stat (path, after a pread)", f"{zs:.1f}", f"{hs:.1f}", fmt_ratio(zs, hs)],
                ["stat (by name from its folder, back to back)", f"{zso:.2f}", f"{hso:.2f}",
                 fmt_ratio(zso, hso)],
                ["4 KiB pread (memory window)", f"{zr:.1f}", f"{hr:.1f}", fmt_ratio(zr, hr)],
                ["4 KiB pread (persisted file)", f"{zd:.1f}", "", fmt_ratio(zd, hr)],
                ["4 KiB pread, passthrough_ll with cache=never (direct_io: a round trip, as on "
                 "our logs)", "", f"{ptr:.1f}", ""]],
               ["operation", "zinnia p50 (us)", "hello_ll p50 (us)", "zinnia vs hello_ll"],
               "Batches of stat+pread on one open file, alternating the mounts for 5 rounds; "
               "medians of per-round p50s. The path stat walks 4 components on our mount and 1 "
               "on hello_ll's, and follows a pread that is a round trip on ours (direct_io); the "
               "second stat row is fstatat() of the file's name from its folder, back to back, "
               "the same one-component walk on both. hello_ll: libfuse's example from Debian's libfuse3-dev, "
               "built by fusefs/CMakeLists.txt; its reads are served from the page cache. The "
               "last row is passthrough_ll (the same package's example server) with "
               "`-o cache=never,timeout=1`: a 4 KiB pread of the persisted log through it is a direct_io "
               f"round trip like ours; zinnia's memory-window pread is {fmt_ratio(zr, ptr)} of it, "
               f"its persisted-file pread {fmt_ratio(zd, ptr)}.\n\n"
               f"Also measured (no peer): append into the tree with persistence, "
               f"{a100:,.0f} lines/s flushed every 100 lines, {a1:,.0f} lines/s flushed every line; "
               f"append+flush to visible for a reader polling read() on the mount: "
               f"p50 {v50:.0f} us, p99 {v99:.0f} us.")
