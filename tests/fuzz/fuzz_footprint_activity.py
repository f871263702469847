#!/usr/bin/env python3
"""Fuzz target (atheris): the footprint activity CSV reader, hiili.footprint.read_activity.

That parser is Python (pandas), so it is fuzzed with atheris (PyPI) rather than libFuzzer. The
contract is the C++ targets': read_activity returns a table, or raises hiili.Error (the
documented hiili.InvalidInputError); any other exception is a finding.

Usage (in the .venv with hiili installed and `pip install atheris`):
    python tests/fuzz/fuzz_footprint_activity.py CORPUS_DIR SEED_DIR -runs=1000000 -timeout=1
Seeds: examples/footprint/activity.csv and make_corpus.py's footprint_activity folder.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["hiili.footprint"]):
    import hiili
    from hiili.footprint.activity import read_activity
    from hiili.footprint.mapping import load_mapping

MAPPING = load_mapping()
SCRATCH = tempfile.mkdtemp(prefix="hiili_fuzz_activity_")
atexit.register(shutil.rmtree, SCRATCH, ignore_errors=True)
PATH = os.path.join(SCRATCH, "activity.csv")


def test_one_input(data: bytes) -> None:
    with open(PATH, "wb") as f:
        f.write(data)
    try:
        read_activity(PATH, MAPPING)
    except hiili.Error as e:
        str(e).encode("utf-8")  # a message that cannot be printed is a finding too


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
