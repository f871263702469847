"""Writes bicycle.zip: the example model of docs/formats.md as a Brightway datapackage.

    python examples/formats/datapackage/make_datapackage.py

Brightway ids: activities (and their products) 1 electricity, 2 steel, 3 bicycle; flows 101
fossil CO2, 102 fossil methane. Inputs are written as positive amounts with flip=True; the
characterisation is one method, ("example", "GWP100"). Needs bw_processing (pip).
"""

from __future__ import annotations

from pathlib import Path

import bw_processing as bwp
import numpy as np
from fsspec.implementations.zip import ZipFileSystem

HERE = Path(__file__).resolve().parent

# (row, col, amount, flip): technosphere rows are products, columns activities.
TECHNOSPHERE = [(1, 1, 1.0, False), (2, 2, 1.0, False), (3, 3, 1.0, False),
                (1, 2, 2.0, True), (1, 3, 5.0, True), (2, 3, 12.0, True)]  # fmt: skip
BIOSPHERE = [(101, 1, 0.4, False), (101, 2, 1.8, False), (101, 3, 0.5, False),
             (102, 1, 0.001, False), (102, 2, 0.004, False)]  # fmt: skip
# Characterisation: rows are flows, columns the location (one global location, id 1).
CHARACTERIZATION = [(101, 1, 1.0, False), (102, 1, 29.7, False)]


def add(dp: bwp.Datapackage, matrix: str, entries: list[tuple], **extra) -> None:
    indices = np.array([(r, c) for r, c, _, _ in entries], dtype=bwp.INDICES_DTYPE)
    dp.add_persistent_vector(
        matrix=matrix,
        name=matrix.split("_")[0],
        indices_array=indices,
        data_array=np.array([a for _, _, a, _ in entries]),
        flip_array=np.array([f for _, _, _, f in entries]),
        **extra,
    )


def write(path: Path) -> Path:
    path.unlink(missing_ok=True)
    dp = bwp.create_datapackage(fs=ZipFileSystem(path, mode="w"), name="bicycle")
    add(dp, "technosphere_matrix", TECHNOSPHERE)
    add(dp, "biosphere_matrix", BIOSPHERE)
    add(dp, "characterization_matrix", CHARACTERIZATION, identifier=["example", "GWP100"])
    dp.finalize_serialization()
    return path


if __name__ == "__main__":
    print(write(HERE / "bicycle.zip"))
