"""Reads `auditwheel show` of the repaired wheel on stdin; fails unless the wheel is consistent
with a manylinux tag and needs no shared library from outside the wheel beyond the policy's base
(glibc, libstdc++, libgcc_s)."""

import re
import sys

# What a manylinux policy lets a wheel take from the system (PEP 600: glibc, the GCC runtime;
# the policies also list zlib).
BASE = re.compile(
    r"^(libc|libm|libpthread|libdl|librt|libutil|libresolv|libstdc\+\+|libgcc_s|libz)\.so\.\d+$|"
    r"^ld-linux-x86-64\.so\.2$"
)


def main() -> int:
    raw = sys.stdin.read()
    text = " ".join(raw.split())  # auditwheel wraps its lines
    tag = re.search(r'with the following platform tag: "?(manylinux_\d+_\d+_x86_64)', text)
    if not tag:
        print(f"check_auditwheel_show: no manylinux tag in:\n{raw}", file=sys.stderr)
        return 1
    needed = re.search(r"external shared libraries are required by the wheel: (\{.*?\})", text)
    names = re.findall(r'"([^"]+)"', needed.group(1)) if needed else []
    leaks = [n for n in names if not BASE.match(n)]
    if leaks:
        print(f"check_auditwheel_show: the wheel needs system libraries: {leaks}\n{raw}",
              file=sys.stderr)
        return 1
    print(f"auditwheel: {tag.group(1)}, external libraries beyond the base: none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
