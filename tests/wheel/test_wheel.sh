#!/usr/bin/env bash
# The wheel as a user gets it: installed with pip into a fresh virtual environment in a temporary
# folder, with the source and build trees out of reach (cwd outside, python -I), then checked by
# check_installed.py (imports, numbers against scipy, the command, ldd) and by auditwheel show.
# Fails when dist/ has no single wheel, when ../shared/data is missing, or on any leak.
#
#   tests/wheel/test_wheel.sh DIST AUDITWHEEL
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dist=$(cd "${1:-$repo/dist}" && pwd)
auditwheel=${2:-auditwheel}
python=${PYTHON:-python3}

shopt -s nullglob
wheels=("$dist"/hiili-*.whl)
if [ "${#wheels[@]}" -ne 1 ]; then
  echo "test_wheel: expected one wheel in $dist, found ${#wheels[@]} (run make wheel)" >&2
  exit 1
fi
wheel=${wheels[0]}
data="$repo/../shared/data"
if [ ! -d "$data" ]; then
  echo "test_wheel: the shared data is missing: $data" >&2
  exit 1
fi
data=$(cd "$data" && pwd)

echo "wheel: $(basename "$wheel"), $(du -k "$wheel" | cut -f1) KiB"
echo "== auditwheel show"
"$auditwheel" show "$wheel" | "$python" "$here/check_auditwheel_show.py"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$here/check_installed.py" "$tmp/"
cd "$tmp"
start=$(date +%s.%N)
"$python" -m venv venv
# The wheel and its dependencies only (numpy, scipy, pandas from PyPI): no extras.
venv/bin/python -m pip install -q --disable-pip-version-check "$wheel"
installed=$(date +%s.%N)
# A clean environment: no PYTHONPATH, no LD_LIBRARY_PATH, the venv first on PATH.
env -i HOME="$HOME" PATH="$tmp/venv/bin:/usr/bin:/bin" LANG=C.UTF-8 \
  venv/bin/python -I check_installed.py --data "$data" --repo "$repo"
done_=$(date +%s.%N)
"$python" -c "import sys; a, b, c = map(float, sys.argv[1:]); \
print(f'fresh venv: install {b - a:.1f} s, import and checks {c - b:.1f} s, total {c - a:.1f} s')" \
  "$start" "$installed" "$done_"
