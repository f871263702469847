"""hiili.bw: bw2calc's LCA and MultiLCA on hiili's engine.

Switch engines with one import::

    from hiili.bw import LCA          # instead of: from bw2calc import LCA
    lca = LCA({product_id: 1}, data_objs=[dp1, dp2])   # or LCA({node: 1}, method) with bw2data
    lca.lci(); lca.lcia()
    lca.score, lca.supply_array, lca.inventory, lca.characterized_inventory

Needs bw_processing (and bw2data for method tuples or Nodes); bw2calc itself is not needed.
What differs from bw2calc is listed in docs/brightway.md.
"""

from __future__ import annotations

from ._dicts import DictionaryManager, ReversibleRemappableDictionary
from ._lca import LCA
from ._matrices import load as load_datapackage
from ._multi import MultiLCA
from .errors import (
    BW2CalcError,
    EmptyBiosphere,
    InconsistentGlobalIndex,
    InconsistentLCIA,
    MultipleValues,
    NonsquareTechnosphere,
    NotCalculatedError,
    OutsideTechnosphere,
)

__all__ = [
    "LCA",
    "BW2CalcError",
    "DictionaryManager",
    "EmptyBiosphere",
    "InconsistentGlobalIndex",
    "InconsistentLCIA",
    "MultiLCA",
    "MultipleValues",
    "NonsquareTechnosphere",
    "NotCalculatedError",
    "OutsideTechnosphere",
    "ReversibleRemappableDictionary",
    "load_datapackage",
]
