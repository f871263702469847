#!/bin/sh
# Builds Debian's own oneTBB (the source of the installed libtbb12, same version and patches)
# with ThreadSanitizer, for make test-sanitize's TSan run.
#
# Why: Debian's libtbb.so is not built with TSan, so the synchronisation by which oneTBB hands a
# task from one thread to another (pipeline tokens, parallel_for ranges, the root task on the
# caller's stack) is invisible to TSan, and every parallel region reads as a data race inside
# oneTBB's headers. Suppressing those would hide hiili's own races too (every parallel body runs
# under oneTBB frames); an instrumented oneTBB (its CMake has TBB_SANITIZE for this) has none.
#
# Usage: tests/sanitizers/tsan_onetbb.sh DIR   -> DIR/lib/libtbb.so.12 (run with LD_LIBRARY_PATH)
set -eu
dir=$1
lib=$dir/lib
if [ -e "$lib/libtbb.so.12" ]; then exit 0; fi
version=$(dpkg-query -W -f='${Version}' libtbb12)
mkdir -p "$dir/src"
cd "$dir/src"

fetch() { apt-get source -qq --download-only "onetbb=$version" >/dev/null 2>&1; }
if ! fetch; then
  # No deb-src entry: add one mirroring the binary entries (root only), then try again.
  if [ "$(id -u)" != 0 ]; then
    echo "tsan_onetbb: apt-get source onetbb=$version failed; add a deb-src entry or run as root" >&2
    exit 1
  fi
  entries=$(mktemp)
  for f in /etc/apt/sources.list.d/*.sources; do
    case $f in */hiili-deb-src.sources) continue ;; esac
    [ -e "$f" ] && sed 's/^Types: deb$/Types: deb-src/' "$f" && echo
  done > "$entries"
  grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    sed 's/^deb /deb-src /' >> "$entries" || true
  case $(cat "$entries") in
    *Types:*) install -m 644 "$entries" /etc/apt/sources.list.d/hiili-deb-src.sources ;;
    *) install -m 644 "$entries" /etc/apt/sources.list.d/hiili-deb-src.list ;;
  esac
  rm -f "$entries"
  apt-get update -qq
  fetch
fi
rm -rf tree
dpkg-source -x --no-check onetbb_*.dsc tree >/dev/null

cd "$dir"
cmake -S src/tree -B build -DCMAKE_CXX_COMPILER="${CLANGXX:-clang++-14}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTBB_SANITIZE=thread -DTBB_TEST=OFF -DTBB_EXAMPLES=OFF -DTBBMALLOC_BUILD=OFF \
  -DTBB_STRICT=OFF >/dev/null
cmake --build build -j "${JOBS:-2}" --target tbb >/dev/null
mkdir -p "$lib"
cp -P build/*_relwithdebinfo/libtbb.so* "$lib/"
echo "tsan_onetbb: Debian's oneTBB $version built with TSan in $lib"
