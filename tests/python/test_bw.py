"""hiili.bw against bw2calc run in the same test: bw2calc's own fixtures, a hiili synth model
exported as a bw_processing datapackage, Monte Carlo statistics, and the errors."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import bw2calc as bc
import bw_processing as bwp
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as sla

import hiili
import hiili.bw as hb

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "bw2calc_fixtures"
RTOL = 1e-10

PRODUCT, ACTIVITY, FLOW = 100_000, 500_000, 900_000  # id offsets of the exported synth model


class ScipyLCA(bc.LCA):
    """bw2calc's LCA solving with scipy's spsolve: pypardiso (installed here) takes seconds per
    iteration on this structure, which a test cannot wait for. The numbers are the same."""

    def _spsolve(self, matrix, rhs):
        return sla.spsolve(sp.csc_matrix(matrix), rhs)


def fixture(name: str):
    from fsspec.implementations.zip import ZipFileSystem

    return bwp.load_datapackage(ZipFileSystem(FIXTURES / "fixtures" / name))


def rel(a, b) -> float:
    """max |a - b| / max |b| for arrays or sparse matrices."""
    a = a.toarray() if sp.issparse(a) else np.asarray(a)
    b = b.toarray() if sp.issparse(b) else np.asarray(b)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def both(cls_name: str, *args, **kwargs):
    """The same calculation in bw2calc and hiili.bw (warnings of either silenced)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = (ScipyLCA if cls_name == "LCA" else getattr(bc, cls_name))(*args, **kwargs)
        ours = getattr(hb, cls_name)(*args, **kwargs)
    return ref, ours


def run(*objs, lcia: bool = True) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for obj in objs:
            obj.lci()
            if lcia:
                obj.lcia()


# ---- a synth model as a datapackage --------------------------------------------------------


def _distributions(e, with_uncertainty: bool) -> np.ndarray:
    d = np.zeros(len(e), dtype=bwp.UNCERTAINTY_DTYPE)
    d["loc"] = e["amount"]
    for c in ("scale", "shape", "minimum", "maximum"):
        d[c] = np.nan
    if with_uncertainty and "uncertainty_type" in e:
        t = e["uncertainty_type"].to_numpy()
        d["uncertainty_type"] = t
        d["loc"] = np.where(t <= 1, e["amount"], e["loc"])
        for c in ("scale", "shape", "minimum", "maximum"):
            d[c] = e[c]
        d["negative"] = e["negative"]
    return d


def _indices(rows, cols) -> np.ndarray:
    idx = np.empty(len(rows), dtype=bwp.INDICES_DTYPE)
    idx["row"], idx["col"] = rows, cols
    return idx


def synth_packages(model, categories=(0,), a_uncertain=True, b_uncertain=True, fs=None):
    """[inventory package, one package per category] for a hiili model. Inputs of A are
    written positive with flip=True, as Brightway does, with their lognormal sign undone."""
    inv = bwp.create_datapackage(fs=fs, name="synth", sum_intra_duplicates=True)
    a = model.entries("A")
    inputs = a["row"].to_numpy() != a["col"].to_numpy()
    amount = np.where(inputs, -a["amount"], a["amount"])
    dist = _distributions(a, a_uncertain)
    dist["loc"] = np.where(dist["uncertainty_type"] <= 1, amount, dist["loc"])
    dist["negative"] &= ~inputs
    inv.add_persistent_vector(
        matrix="technosphere_matrix",
        name="technosphere",
        indices_array=_indices(a["row"] + PRODUCT, a["col"] + ACTIVITY),
        data_array=amount.astype(np.float64),
        flip_array=inputs,
        distributions_array=dist,
    )
    b = model.entries("B")
    inv.add_persistent_vector(
        matrix="biosphere_matrix",
        name="biosphere",
        indices_array=_indices(b["row"] + FLOW, b["col"] + ACTIVITY),
        data_array=b["amount"].to_numpy(np.float64),
        flip_array=np.zeros(len(b), bool),
        distributions_array=_distributions(b, b_uncertain),
    )
    packages = [inv]
    C = model.C.tocsr()
    for q in categories:
        row = C[[q], :].tocoo()
        cf = bwp.create_datapackage(name=f"method {q}", sum_intra_duplicates=True)
        cf.add_persistent_vector(
            matrix="characterization_matrix",
            name=f"cf{q}",
            indices_array=_indices(row.col + FLOW, np.zeros(len(row.col), np.int64)),
            data_array=row.data.astype(np.float64),
            identifier=["synth", str(q)],
        )
        packages.append(cf)
    return packages


@pytest.fixture(scope="module")
def synth_model():
    return hiili.synth(800, seed=11, uncertainty=True)


@pytest.fixture(scope="module")
def synth_dps(synth_model):
    return synth_packages(synth_model, categories=(0, 1, 2))


# ---- bw2calc's fixtures ----------------------------------------------------------------------


def test_basic_fixture_supply_matches_bw2calc_and_upstream_numbers():
    ref, ours = both("LCA", {1: 1}, data_objs=[fixture("basic_fixture.zip")])
    run(ref, ours, lcia=False)
    assert dict(ours.dicts.activity) == dict(ref.dicts.activity)
    assert dict(ours.dicts.product) == dict(ref.dicts.product)
    assert rel(ours.supply_array, ref.supply_array) <= RTOL
    a = ours.dicts.activity
    assert ours.supply_array[a[101]] == pytest.approx(1.0)
    assert ours.supply_array[a[102]] == pytest.approx(0.5)
    assert rel(ours.technosphere_matrix, ref.technosphere_matrix) == 0.0


def test_mobility_example_matches_bw2calc():
    expected = json.loads((FIXTURES / "expected.json").read_text())
    mob = next(v for k, v in expected["computed_here_independently"].items() if k.startswith("mob"))
    data = [fixture("bw2io_example_db.zip"), fixture("ipcc_simple.zip")]
    ref, ours = both("LCA", {1: 1}, data_objs=data)
    run(ref, ours)
    for demand_id, label in ((1, "Driving an electric car"), (7, "Driving an combustion car")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref.lcia({demand_id: 1})
            ours.lcia({demand_id: 1})
        assert ours.score == pytest.approx(ref.score, rel=RTOL)
        assert ours.score == pytest.approx(mob[label]["score_IPCC_simple_kgCO2eq"], rel=1e-6)
        assert rel(ours.supply_array, ref.supply_array) <= RTOL
        assert rel(ours.characterized_inventory, ref.characterized_inventory) <= RTOL


MULTI_CONFIG = {
    "impact_categories": [("first", "category"), ("second", "category")],
    "normalizations": {("n", "1"): [("first", "category")], ("n", "2"): [("second", "category")]},
    "weightings": {("w", "1"): [("n", "1")], ("w", "2"): [("n", "2")]},
}
MULTI_DEMANDS = {"gamma": {100: 1}, "epsilon": {103: 2}, "zeta": {105: 3}}


def test_multi_lca_fixture_scores_normalized_weighted_match_bw2calc():
    names = [f"multi_lca_simple_{x}.zip" for x in (1, 2, 3, 4, 5, "normalization", "weighting")]
    ref = bc.MultiLCA(MULTI_DEMANDS, MULTI_CONFIG, [fixture(x) for x in names])
    ours = hb.MultiLCA(MULTI_DEMANDS, MULTI_CONFIG, [fixture(x) for x in names])
    for step in ("lci", "lcia", "normalize", "weight"):
        getattr(ref, step)()
        getattr(ours, step)()
        if step == "lci":
            for name in MULTI_DEMANDS:
                assert rel(ours.supply_arrays[name], ref.supply_arrays[name]) <= RTOL
            continue
        assert ours.scores.keys() == ref.scores.keys()
        for key, value in ref.scores.items():
            assert ours.scores[key] == pytest.approx(value, rel=RTOL, abs=1e-14), key
    # the numbers bw2calc's tests assert
    assert ours.scores[(("w", "2"), ("n", "2"), ("second", "category"), "zeta")] == pytest.approx(
        10080
    )
    assert ours.scores[(("w", "1"), ("n", "1"), ("first", "category"), "gamma")] == pytest.approx(
        126
    )
    assert ours.technosphere_matrix.sum() == pytest.approx(3.7)
    assert ours.biosphere_matrix.sum() == pytest.approx(30)
    sums = {k: v.sum() for k, v in ours.characterization_matrices.items()}
    assert sums == {
        ("first", "category"): pytest.approx(4),
        ("second", "category"): pytest.approx(20),
    }
    for key, value in ref.characterized_inventories.items():
        assert rel(ours.characterized_inventories[key], value) <= RTOL


def test_fixture_errors_like_bw2calc():
    lca = hb.LCA({1: 1}, data_objs=[fixture("missing_characterization.zip")])
    lca.lci()
    with pytest.raises(ValueError, match="no characterization data"):
        lca.lcia()
    lca = hb.LCA({1: 1}, data_objs=[fixture("empty_characterization.zip")])
    lca.lci()
    with pytest.warns(UserWarning, match="characterization matrix are zero"):
        lca.lcia()
    lca = hb.LCA({1: 1}, data_objs=[fixture("empty_biosphere.zip")])
    with pytest.warns(UserWarning, match="No valid biosphere flows"):
        lca.lci()
    assert lca.supply_array.shape == (2,)
    with pytest.raises(hb.EmptyBiosphere):
        lca.lcia()


def test_demand_errors_name_the_key():
    lca = hb.LCA({1: 1}, data_objs=[fixture("basic_fixture.zip")])
    lca.lci()
    with pytest.raises(hb.OutsideTechnosphere, match="999"):
        lca.lci({999: 1})
    with pytest.raises(hiili.InvalidInputError, match="products, not activities"):
        lca.lci({101: 1})  # an activity id, not a product id
    with pytest.raises(hiili.InvalidInputError, match="amount"):
        lca.lci({1: float("nan")})
    with pytest.raises(hiili.InvalidInputError, match="dictionary"):
        hb.LCA([1], data_objs=[fixture("basic_fixture.zip")])


# ---- a synth model exported as a datapackage ----------------------------------------------


def test_synth_lca_matches_bw2calc(synth_dps):
    demand = {PRODUCT + 799: 1.0}
    ref, ours = both("LCA", demand, data_objs=synth_dps[:2])
    run(ref, ours)
    assert ours.score == pytest.approx(ref.score, rel=RTOL)
    assert rel(ours.supply_array, ref.supply_array) <= RTOL
    assert rel(ours.inventory, ref.inventory) <= RTOL
    assert rel(ours.characterized_inventory, ref.characterized_inventory) <= RTOL
    assert rel(ours.technosphere_matrix, ref.technosphere_matrix) == 0.0
    assert rel(ours.biosphere_matrix, ref.biosphere_matrix) == 0.0
    assert rel(ours.characterization_matrix, ref.characterization_matrix) == 0.0
    for name in ("activity", "product", "biosphere"):
        assert dict(getattr(ours.dicts, name)) == dict(getattr(ref.dicts, name))
    # a new demand: lcia(demand) and the deprecated redo_lcia
    new = {PRODUCT + 17: 2.0, PRODUCT + 400: 0.5}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref.redo_lcia(new)
        ours.redo_lcia(new)
    assert ours.score == pytest.approx(ref.score, rel=RTOL)
    assert rel(ours.supply_array, ref.supply_array) <= RTOL
    assert rel(ours.characterized_inventory, ref.characterized_inventory) <= RTOL


def test_synth_from_zip_on_disk_matches_in_memory(synth_model, synth_dps, tmp_path):
    from fsspec.implementations.zip import ZipFileSystem

    path = tmp_path / "synth.zip"
    inv = synth_packages(synth_model, categories=(), fs=ZipFileSystem(path, mode="w"))[0]
    inv.finalize_serialization()
    from_disk = hb.LCA({PRODUCT + 5: 1.0}, data_objs=[str(path), synth_dps[1]])
    in_memory = hb.LCA({PRODUCT + 5: 1.0}, data_objs=synth_dps[:2])
    run(from_disk, in_memory)
    assert from_disk.score == in_memory.score


def test_synth_multi_lca_matches_bw2calc(synth_dps):
    demands = {"last": {PRODUCT + 799: 1.0}, "mix": {PRODUCT + 3: 2.0, PRODUCT + 300: 1.0}}
    config = {"impact_categories": [("synth", "0"), ("synth", "1"), ("synth", "2")]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = bc.MultiLCA(demands, config, synth_dps)
        ref._spsolve = lambda A, b: sla.spsolve(sp.csc_matrix(A), b)
        ours = hb.MultiLCA(demands, config, synth_dps)
        run(ref, ours)
    assert ours.scores.keys() == ref.scores.keys()
    for key, value in ref.scores.items():
        assert ours.scores[key] == pytest.approx(value, rel=RTOL), key
    for name in demands:
        assert rel(ours.supply_arrays[name], ref.supply_arrays[name]) <= RTOL
        assert rel(ours.inventories[name], ref.inventories[name]) <= RTOL


# ---- Monte Carlo ---------------------------------------------------------------------------


def scores_of(lca, count: int) -> np.ndarray:
    out = []
    for _ in range(count):
        next(lca)
        out.append(lca.score)
    return np.array(out)


@pytest.mark.parametrize("seed", [2.5, -1, "7"])
def test_a_seed_that_is_no_whole_number_in_range_is_refused_not_rounded(synth_dps, seed):
    lca = hb.LCA(
        {PRODUCT + 799: 1.0}, data_objs=synth_dps[:2], use_distributions=True, seed_override=seed
    )
    with pytest.raises(hiili.InvalidInputError, match="seed_override"):
        lca.lci()


def test_next_is_reproducible_by_seed_and_consistent_with_the_iteration_matrices(synth_dps):
    def make(seed):
        lca = hb.LCA(
            {PRODUCT + 799: 1.0},
            data_objs=synth_dps[:2],
            use_distributions=True,
            seed_override=seed,
        )
        lca.lci()
        lca.lcia()
        return lca

    first = scores_of(make(7), 12)
    assert np.array_equal(first, scores_of(make(7), 12))
    assert not np.allclose(first, scores_of(make(8), 12))
    assert np.unique(first).size == first.size
    # The score (from hiili.MonteCarlo) equals what the iteration's own matrices give.
    lca = make(7)
    for _ in range(3):
        next(lca)
        A, B = lca.technosphere_matrix, lca.biosphere_matrix
        s = sla.spsolve(sp.csc_matrix(A), lca.demand_array)
        assert rel(lca.supply_array, s) <= 1e-9
        c = lca.characterization_matrix.diagonal()
        assert lca.score == pytest.approx(c @ (B @ s), rel=1e-9)
        assert lca.score == pytest.approx(lca.characterized_inventory.sum(), rel=1e-9)
    # keep_first_iteration: the next next() keeps the values
    before = lca.score
    lca.keep_first_iteration()
    next(lca)
    assert lca.score == before


def test_next_draws_each_entry_as_hiili_monte_carlo_does_on_the_source_model(
    synth_model, synth_dps
):
    """The datapackage holds the model's entries in its order (inputs positive and flipped):
    entry e is drawn from the same stream as in hiili.MonteCarlo on the model, so the scores
    agree up to the float32 that bw_processing stores parameters in."""
    lca = hb.LCA(
        {PRODUCT + 799: 1.0}, data_objs=synth_dps[:2], use_distributions=True, seed_override=7
    )
    run(lca)
    ours = []
    for _ in range(20):
        ours.append(lca.score)
        next(lca)
    mc = hiili.MonteCarlo(synth_model, {799: 1.0}, seed=7, sample=("A", "B"))
    ref = mc.run(20, progress=False).scores[:, 0]
    np.testing.assert_allclose(ours, ref, rtol=1e-6)
    assert np.ptp(ref) > 0.1 * np.mean(np.abs(ref))


def test_multi_lca_next_draws_as_lca_does(synth_dps):
    demand = {PRODUCT + 799: 1.0}
    single = hb.LCA(demand, data_objs=synth_dps[:2], use_distributions=True, seed_override=3)
    multi = hb.MultiLCA(
        {"d": demand},
        {"impact_categories": [("synth", "0"), ("synth", "1")]},
        synth_dps,
        use_distributions=True,
        seed_override=3,
    )
    run(single, multi)
    for _ in range(4):
        next(single)
        next(multi)
        assert multi.scores[(("synth", "0"), "d")] == pytest.approx(single.score, rel=1e-12)


def lognormal_b_model():
    """A small synth model whose only uncertainty is lognormal B (A and C fixed), the
    analytic mean and variance of its score, and the packages."""
    model = hiili.synth(150, seed=5, uncertainty=True)
    dps = synth_packages(model, categories=(0,), a_uncertain=False)
    lca = hiili.Lca(model)
    s = lca.solve({149: 1.0}).supply
    b = model.entries("B")
    c = model.C.toarray()[0]
    weight = c[b["row"]] * s[b["col"]]
    mu, sigma = b["loc"].to_numpy(), b["scale"].to_numpy()
    sign = np.where(b["negative"], -1.0, 1.0)
    mean = float(np.sum(weight * sign * np.exp(mu + sigma**2 / 2)))
    var = float(np.sum(weight**2 * (np.exp(sigma**2) - 1) * np.exp(2 * mu + sigma**2)))
    return dps, mean, var


def test_monte_carlo_mean_and_variance_agree_with_bw2calc_and_the_analytic_values():
    dps, mean, var = lognormal_b_model()
    ref, ours = both(
        "LCA", {PRODUCT + 149: 1.0}, data_objs=dps, use_distributions=True, seed_override=1
    )
    run(ref, ours)
    for lca, count in ((ref, 250), (ours, 2000)):
        draws = scores_of(lca, count)
        se = np.sqrt(var / count)
        assert abs(draws.mean() - mean) < 5 * se, (type(lca), draws.mean(), mean, se)
        # the sample variance of a sum of many lognormals: within a factor 1.6 for 250 draws
        assert 1 / 1.6 < draws.var(ddof=1) / var < 1.6, (type(lca), draws.var(ddof=1), var)


# ---- errors and the API around them --------------------------------------------------------


def test_results_before_their_step_raise_not_calculated(synth_dps):
    lca = hb.LCA({PRODUCT + 1: 1.0}, data_objs=synth_dps[:2])
    assert not hasattr(lca, "supply_array")
    with pytest.raises(AssertionError, match="lci"):
        lca.lcia()
    lca.lci()
    with pytest.raises(hb.NotCalculatedError, match="LCIA"):
        _ = lca.score
    with pytest.raises(hb.NotCalculatedError):
        lca.normalize()


def test_multi_lca_bad_input(synth_dps):
    config = {"impact_categories": [("synth", "0")]}
    with pytest.raises(hiili.InvalidInputError, match="integer ids"):
        hb.MultiLCA({"a": {"x": 1}}, config, synth_dps)
    with pytest.raises(hiili.InvalidInputError, match="impact_categories"):
        hb.MultiLCA({"a": {PRODUCT: 1}}, {}, synth_dps)
    bad = {"impact_categories": [("synth", "0")], "normalizations": {("n",): [("nope",)]}}
    with pytest.raises(hiili.InvalidInputError, match="not present"):
        hb.MultiLCA({"a": {PRODUCT: 1}}, bad, synth_dps)
    lca = hb.MultiLCA({"a": {PRODUCT: 1}}, {"impact_categories": [("absent",)]}, synth_dps)
    lca.lci()
    with pytest.raises(hiili.InvalidInputError, match="absent"):
        lca.lcia()
    lca = hb.MultiLCA({"a": {PRODUCT - 1: 1}}, config, synth_dps)
    with pytest.raises(hb.OutsideTechnosphere):
        lca.lci()


def test_nonsquare_and_missing_paths(tmp_path):
    dp = bwp.create_datapackage()
    dp.add_persistent_vector(
        matrix="technosphere_matrix",
        name="t",
        indices_array=_indices([1, 2], [1, 1]),
        data_array=np.array([1.0, 0.5]),
    )
    with pytest.raises(hb.NonsquareTechnosphere, match="not square"):
        hb.LCA({1: 1}, data_objs=[dp]).lci()
    with pytest.raises(hiili.InvalidInputError, match="no such zip"):
        hb.LCA({1: 1}, data_objs=[str(tmp_path / "missing.zip")])


def test_missing_bw_processing_gives_a_clear_import_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "bw_processing", None)
    with pytest.raises(ImportError, match="pip install bw_processing"):
        hb.load_datapackage("anything.zip")
