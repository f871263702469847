"""hiili.plots: every figure renders to PNG (Agg) and shows what it should."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

import hiili
from hiili import plots

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def lca():
    return hiili.Lca(hiili.synth(1500, seed=9, k=2))


DEMAND = {1400: 1.0}


def render(fig, tmp_path, name):
    assert isinstance(fig, Figure)
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=60)
    data = path.read_bytes()
    assert data.startswith(PNG)
    assert len(data) > 2000
    return path


def test_contribution_bars(lca, tmp_path):
    frame = lca.contributions(DEMAND, category=None, top=6)
    fig = plots.contributions(frame)
    render(fig, tmp_path, "contributions")
    ax = fig.axes[0]
    assert len(ax.patches) == 7  # top 6 + rest
    assert ax.get_yticklabels()[-1].get_text().startswith("rest")
    shares = frame[(frame.kind == "process") & (frame.category == frame.category.iloc[0])].share
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(sorted(widths), sorted(shares * 100))
    flows = plots.contributions(frame, "flow", category=frame.category.iloc[-1])
    render(flows, tmp_path, "flows")
    with pytest.raises(hiili.InvalidInputError):
        plots.contributions(frame, "activity")
    with pytest.raises(hiili.InvalidInputError):
        plots.contributions(frame, category="nope")


def test_tree_figure(lca, tmp_path):
    tree = lca.tree(DEMAND, cutoff=0.02, max_depth=4)
    fig = plots.tree(tree)
    render(fig, tmp_path, "tree")
    assert tree.figure(max_depth=2).axes
    assert plots.sankey is plots.tree
    many = hiili.Lca(hiili.synth(300, seed=2)).tree({0: 1.0, 5: 2.0}, cutoff=0.05)
    render(plots.tree(many, min_share=0.1), tmp_path, "tree_many")


def test_tornado(lca, tmp_path):
    sens = lca.sensitivity(DEMAND, category=1)
    fig = plots.tornado(sens, top=12)
    render(fig, tmp_path, "tornado")
    ax = fig.axes[0]
    assert len(ax.patches) == 24  # +10 % and -10 % bars
    assert len(ax.get_yticklabels()) == 12
    render(plots.tornado(sens, top=5, matrices="B", change=0.5), tmp_path, "tornado_b")
    with pytest.raises(hiili.InvalidInputError):
        plots.tornado(sens, change=0.0)


def test_scenario_bars(lca, tmp_path):
    A = lca.model.A
    col = A[:, [1400]].tocoo()
    i = next(int(r) for r in col.row if r != 1400)
    sc1 = hiili.Scenario("half input", [("A", i, 1400, A[i, 1400] * 0.5)])
    sc2 = hiili.Scenario("cleaner", [("B", 0, 1400, 0.0)])
    frame = lca.what_if(DEMAND, [sc1, sc2])
    fig = plots.scenarios(frame)
    render(fig, tmp_path, "scenarios")
    assert len(fig.axes[0].patches) == 3 * 2  # 3 columns x 2 categories
    render(plots.scenarios(frame, relative=True), tmp_path, "scenarios_rel")
    one = plots.scenarios(frame, frame.index[0])
    render(one, tmp_path, "scenario_one")
    assert len(one.axes[0].patches) == 3
    full = lca.what_if(DEMAND, [sc1], full=True)
    render(plots.scenarios(full), tmp_path, "scenarios_full")
    with pytest.raises(hiili.InvalidInputError):
        plots.scenarios(frame, "nope")
    with pytest.raises(hiili.InvalidInputError):
        plots.scenarios(frame.drop(columns="baseline"))
