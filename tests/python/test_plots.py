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
    name, unit = lca.model.categories["name"][1], lca.model.categories["unit"][1]
    assert ax.get_title() == f"Sensitivity of {name}, score {sens.score:.4g} {unit}"
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
    units = list(lca.model.categories["unit"])
    assert len(set(units)) == 2  # two units on one axis: the label says so, not "score"
    assert fig.axes[0].get_ylabel() == "score (each in its category's unit)"
    one = plots.scenarios(frame, frame.index[0])
    render(one, tmp_path, "scenario_one")
    assert len(one.axes[0].patches) == 3
    assert one.axes[0].get_ylabel() == units[0]
    assert one.axes[0].get_title() == f"{frame.index[0]}: scenarios, {units[0]}"
    full = lca.what_if(DEMAND, [sc1], full=True)
    render(plots.scenarios(full), tmp_path, "scenarios_full")
    with pytest.raises(hiili.InvalidInputError):
        plots.scenarios(frame, "nope")
    with pytest.raises(hiili.InvalidInputError):
        plots.scenarios(frame.drop(columns="baseline"))


# ---- content, not only pixels (issue #19) -----------------------------------------------------


def texts_of(ax):
    return [t.get_text() for t in ax.texts]


def test_contributions_draw_one_panel_per_category_with_units(lca, tmp_path):
    frame = lca.contributions(DEMAND, category=None, top=4)
    categories = list(dict.fromkeys(frame["category"]))
    assert len(categories) == 2
    fig = plots.contributions(frame)
    render(fig, tmp_path, "two_panels")
    assert len(fig.axes) == 2
    units = lca.model.categories["unit"]
    for ax, name, unit in zip(fig.axes, categories, units, strict=True):
        score = frame.attrs["scores"][name]
        assert ax.get_title() == f"{name}: process contributions, total {score:.4g} {unit}"
        assert unit
        assert frame.attrs["units"][name] == unit
    fig_ax = Figure()
    with pytest.raises(hiili.InvalidInputError, match="2 categories"):
        plots.contributions(frame, ax=fig_ax.add_subplot())
    one = plots.contributions(frame, category=categories[1], ax=fig_ax.add_subplot())
    assert one is fig_ax


def test_tree_names_every_part_and_each_column_adds_up(lca, tmp_path):
    tree = lca.tree(DEMAND, cutoff=0.02, max_depth=3)
    fig = plots.tree(tree)
    render(fig, tmp_path, "tree_content")
    ax = fig.axes[0]
    label, unit = lca.model.categories["name"][0], lca.model.categories["unit"][0]
    assert f"{label} {tree.score:.4g} {unit}" in ax.get_title()
    shown = " ".join(t.replace("\n", " ") for t in texts_of(ax))
    assert "rest: " in shown  # the inputs below the cutoff are a named band
    assert "direct: " in shown
    assert "…" not in shown
    for node in tree.nodes:  # every node (all above the 2 % cutoff): its full name, wrapped
        if node.depth <= 3:
            assert node.label in shown, node.label
    # Under the demand, level 1 is a partition of its bar: the bars' heights add up to 1.
    level1 = [p.get_height() for p in ax.patches if p.get_x() == 1.0]
    assert sum(level1) == pytest.approx(1.0, abs=1e-9)


def test_tree_svg_shows_full_names_on_hover(lca):
    tree = lca.tree(DEMAND, cutoff=0.02, max_depth=2)
    svg = plots.tree_svg(tree)
    assert svg.lstrip().startswith("<?xml")
    titles = svg.count("<title>")
    assert titles == len([g for g in svg.split('<g id="hiili-block-')][1:])
    for node in tree.nodes:
        if node.depth <= 2:
            assert f"<title>{node.label}\n" in svg
