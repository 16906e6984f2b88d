#!/usr/bin/env bash
# unpacked_check.sh SOURCE_DIR BUILD_DIR NODE
# Packages BUILD_DIR's binaries with scripts/release --from-build, unpacks the tarball into a
# temporary folder under another name, and checks it stands on its own:
#   - zinniad and zinnia at the top of the archive, lib/ beside them, nothing else;
#   - SHA256SUMS verifies;
#   - ldd of every binary and bundled library: each dependency resolves inside the unpacked
#     folder, or to the base set below (never to the checkout, .deps or the build tree);
#   - the Station client (tests/daemon/station_client.mjs) passes with the unpacked zinniad,
#     run exactly as daemon.station_client runs build/bin/zinniad.
set -euo pipefail
src=$1 build=$2 node=$3
fail() { echo "release.unpacked: FAIL: $*" >&2; exit 1; }
[ -x "$node" ] || fail "node is missing ('$node'): the Station client needs Node.js"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/zinnia-release-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$src/scripts/release" --from-build "$build" --out "$tmp/dist" --no-deb --fast
(cd "$tmp/dist" && sha256sum -c SHA256SUMS) || fail "SHA256SUMS does not verify"

# Another name, another place: nothing may depend on where it was made.
app="$tmp/station app/bin"
mkdir -p "$app"
tar -xzf "$tmp/dist/zinniad-linux-x64.tar.gz" -C "$app"
top=$(tar -tzf "$tmp/dist/zinniad-linux-x64.tar.gz" | grep -v '^lib/.' | sort | tr '\n' ' ')
[ "$top" = "lib/ zinnia zinniad " ] || fail "archive top level is '$top', expected lib/ zinnia zinniad"
echo "release.unpacked: $(ls "$app/lib" | wc -l) libraries in lib/"

# The base set: glibc (libc, libm, libresolv, ld-linux), libstdc++ and libgcc_s. Every
# Debian 12 and Ubuntu 22.04 has them, and the release checks their symbol versions.
base='^(linux-vdso\.so\.1|ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6|libresolv\.so\.2|libstdc\+\+\.so\.6|libgcc_s\.so\.1)$'
checked=0
for f in "$app/zinniad" "$app/zinnia" "$app"/lib/*; do
  out=$(env -i ldd "$f") || fail "ldd ${f#"$app"/} failed: $out"
  # "\tsoname => path (0xaddr)" or "\tsoname => not found"; the path may hold spaces.
  while IFS=$'\t' read -r soname path; do
    [ "$path" != "not found" ] || fail "${f#"$app"/}: $soname not found"
    case "$path" in
      "$app"/lib/*) ;;
      *) [[ "$soname" =~ $base ]] || fail "${f#"$app"/}: $soname resolves outside the archive, to $path" ;;
    esac
  done < <(sed -n 's/^[[:space:]]*\([^ ]*\) => \(not found\|.*\) (0x[0-9a-f]*)$/\1\t\2/p; s/^[[:space:]]*\([^ ]*\) => not found$/\1\tnot found/p' <<<"$out")
  checked=$((checked + 1))
done
for exe in zinniad zinnia; do
  rp=$(readelf -d "$app/$exe" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
  [ "$rp" = '$ORIGIN/lib' ] || fail "$exe has RUNPATH '$rp', not \$ORIGIN/lib"
done
echo "release.unpacked: ldd of $checked files: every library inside the archive or in the base set"

"$app/zinniad" --version | grep -E '^zinniad [0-9.]+ \(V8 .*\) commit [0-9a-f]{12}' ||
  fail "the unpacked zinniad's --version does not name the commit"
"$app/zinnia" --version | grep -q '^zinnia ' || fail "the unpacked zinnia does not start"

# The same command line as tests/daemon/CMakeLists.txt's daemon.station_client.
"$node" "$src/tests/daemon/station_client.mjs" "$app/zinniad" "$src/tests/daemon/fixtures" ||
  fail "the Station client failed with the unpacked zinniad"
echo "release.unpacked: the Station client passes with the unpacked zinniad"
