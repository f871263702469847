"""The minimal example of every input format in docs/formats.md (examples/formats/): each is
detected, read and solved, against the numbers of the page worked out here with numpy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import hiili

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "formats"

# The page's model: electricity (kWh), steel (kg), bicycle (unit); CO2 and CH4; GWP100.
A = np.array([[1.0, -2.0, -5.0], [0.0, 1.0, -12.0], [0.0, 0.0, 1.0]])
B = np.array([[0.4, 1.8, 0.5], [0.001, 0.004, 0.0]])
C = np.array([[1.0, 29.7]])


@pytest.mark.parametrize(
    ("folder", "fmt", "bicycle"),
    [
        ("csv_triplets", "csv-triplets", "bicycle"),
        ("matrix_market", "matrix-market", "bicycle"),
        ("useeio", "useeio", "bicycle"),
        ("datapackage/bicycle.zip", "datapackage", "3"),  # Brightway ids
    ],
)
def test_example_reads_and_solves_as_the_page_says(folder, fmt, bicycle):
    path = EXAMPLES / folder
    assert hiili.detect_format(path) == fmt
    model = hiili.read(path)
    np.testing.assert_array_equal(model.A.toarray(), A)
    np.testing.assert_array_equal(model.B.toarray(), B)
    np.testing.assert_array_equal(model.C.toarray(), C)
    s = np.linalg.solve(A, [0.0, 0.0, 1.0])
    assert list(s) == pytest.approx([29.0, 12.0, 1.0], rel=1e-15)
    score = hiili.Lca(model).solve({bicycle: 1.0}).scores[0]
    assert score == pytest.approx((C @ B @ s)[0], rel=1e-14)
    assert score == pytest.approx(35.9869, rel=1e-12)  # the number docs/formats.md shows
    assert hiili.climate_notes(model) == []  # CO2 1 and methane 29.7: a sound GWP row


def test_the_datapackage_example_is_what_its_script_writes(tmp_path):
    import importlib.util

    script = EXAMPLES / "datapackage" / "make_datapackage.py"
    spec = importlib.util.spec_from_file_location("make_datapackage", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = hiili.read(module.write(tmp_path / "bicycle.zip"))
    shipped = hiili.read(EXAMPLES / "datapackage" / "bicycle.zip")
    for matrix in ("A", "B", "C"):
        np.testing.assert_array_equal(
            getattr(fresh, matrix).toarray(), getattr(shipped, matrix).toarray()
        )
