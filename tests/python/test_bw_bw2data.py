"""hiili.bw on a small bw2data project, against bw2calc on the same project.

bw2data reads BRIGHTWAY2_DIR when it is first imported, so the project lives in a child
process started with that variable pointing at a temporary folder; the child prints its
numbers as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

CHILD = textwrap.dedent(
    """
    import json, warnings
    warnings.simplefilter("ignore")
    import numpy as np
    import bw2data as bd
    import bw2calc as bc
    import hiili.bw as hb

    bd.projects.set_current("hiili-test")
    bd.Database("bio").write({
        ("bio", "co2"): {"name": "CO2", "type": "emission", "unit": "kg"},
        ("bio", "ch4"): {"name": "CH4", "type": "emission", "unit": "kg"},
    })
    def exc(kind, code, amount, **u):
        db = "bio" if kind == "biosphere" else "tech"
        return {"input": (db, code), "amount": amount, "type": kind, **u}
    bd.Database("tech").write({
        ("tech", "steel"): {"name": "steel", "unit": "kg", "exchanges": [
            exc("production", "steel", 1.0),
            exc("technosphere", "power", 2.5),
            exc("technosphere", "coal", 0.3),
            exc("biosphere", "co2", 1.8, **{"uncertainty type": 2,
                "loc": float(np.log(1.8)), "scale": 0.2})]},
        ("tech", "power"): {"name": "power", "unit": "kWh", "exchanges": [
            exc("production", "power", 1.0),
            exc("technosphere", "coal", 0.4),
            exc("biosphere", "co2", 0.9, **{"uncertainty type": 2,
                "loc": float(np.log(0.9)), "scale": 0.1}),
            exc("biosphere", "ch4", 0.002)]},
        ("tech", "coal"): {"name": "coal", "unit": "kg", "exchanges": [
            exc("production", "coal", 1.0),
            exc("technosphere", "power", 0.05),
            exc("biosphere", "ch4", 0.01)]},
    })
    method = ("GWP", "100a")
    bd.Method(method).write([(("bio", "co2"), 1.0), (("bio", "ch4"), 28.0)])
    steel = bd.get_node(database="tech", code="steel")
    coal = bd.get_node(database="tech", code="coal")

    out = {}
    for name, cls in (("bw2calc", bc.LCA), ("hiili", hb.LCA)):
        lca = cls({steel: 1}, method)
        lca.lci(); lca.lcia()
        r = {"score": lca.score, "supply": lca.supply_array.tolist(),
             "inventory": lca.inventory.toarray().tolist(),
             "characterized": lca.characterized_inventory.toarray().tolist(),
             "activity": sorted(lca.dicts.activity.items())}
        lca.lcia({coal.id: 3})
        r["coal_score"] = lca.score
        demand, data_objs, remapping = bd.prepare_lca_inputs(demand={steel: 1}, method=method)
        lca = cls(demand, data_objs=data_objs, remapping_dicts=remapping)
        lca.lci(); lca.lcia()
        lca.remap_inventory_dicts()
        r["remapped_score"] = lca.score
        r["steel_column"] = lca.dicts.activity[("tech", "steel")]
        lca = cls({steel: 1}, method, use_distributions=True, seed_override=4)
        lca.lci(); lca.lcia()
        draws = []
        for _ in range(300):
            next(lca)
            draws.append(lca.score)
        r["mc_mean"] = float(np.mean(draws))
        r["mc_std"] = float(np.std(draws, ddof=1))
        out[name] = r
    print("RESULT" + json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("brightway")
    env = dict(os.environ, BRIGHTWAY2_DIR=str(folder))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT"))
    return json.loads(line[len("RESULT") :])


def test_same_numbers_as_bw2calc(results):
    ref, ours = results["bw2calc"], results["hiili"]
    assert ours["activity"] == ref["activity"]
    for key in ("score", "coal_score", "remapped_score"):
        assert ours[key] == pytest.approx(ref[key], rel=1e-10), key
    for key in ("supply", "inventory", "characterized"):
        np.testing.assert_allclose(ours[key], ref[key], rtol=1e-10, atol=1e-15, err_msg=key)
    assert ours["steel_column"] == ref["steel_column"]


def test_monte_carlo_statistics_agree(results):
    """Both engines draw CO2 lognormally (different random numbers): their means differ by
    less than 5 standard errors of the difference, their standard deviations by < 30 %."""
    ref, ours = results["bw2calc"], results["hiili"]
    se = ((ref["mc_std"] ** 2 + ours["mc_std"] ** 2) / 300) ** 0.5
    assert abs(ref["mc_mean"] - ours["mc_mean"]) < 5 * se
    assert 0.7 < ours["mc_std"] / ref["mc_std"] < 1.3
    assert ours["mc_mean"] != pytest.approx(ours["score"], rel=1e-6)  # draws really varied
