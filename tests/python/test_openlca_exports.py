"""openLCA JSON-LD exports as users have them (issue 18): a process without a flagged reference,
product systems (named demands, their own process links), LCIA methods (C with labelled
categories, unit conversion, normalisation and weighting sets), schema 1 and 2, reader options
and the read report.

The exports are written here, from the schema's documentation (olca-schema: ProductSystem,
ProcessLink, ExchangeRef, ImpactMethod, ImpactCategory, ImpactFactor, NwSet, NwFactor); each
result is checked against a dense solve of the same numbers written out by hand.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import hiili


class Export:
    """A JSON-LD export (schema 2, or 1 with v2=False) built entity by entity."""

    def __init__(self, v2: bool = True) -> None:
        self.v2 = v2
        self.files: dict[str, dict] = {}

    def key(self, v2_name: str, v1_name: str) -> str:
        return v2_name if self.v2 else v1_name

    def put(self, folder: str, entity: dict) -> None:
        self.files[f"{folder}/{entity['@id']}.json"] = entity

    @staticmethod
    def ref(kind: str, id_: str) -> dict:
        return {"@type": kind, "@id": id_}

    def write(self, path: Path, zipped: bool = False) -> Path:
        if zipped:
            with zipfile.ZipFile(path, "w") as z:
                for name, entity in self.files.items():
                    z.writestr(name, json.dumps(entity))
            return path
        for name, entity in self.files.items():
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            (path / name).write_text(json.dumps(entity))
        return path

    def exchange_ref(self, number: int) -> dict:
        if self.v2:
            return {"@type": "Exchange", "internalId": number}
        return {"@type": "Exchange", "@id": f"ex-{number}"}


def reference_data(x: Export) -> None:
    ref_unit = x.key("isRefUnit", "referenceUnit")
    x.put("unit_groups", {"@type": "UnitGroup", "@id": "ug-mass", "name": "Units of mass",
                          "units": [{"@id": "u-kg", "name": "kg", "conversionFactor": 1.0,
                                     ref_unit: True},
                                    {"@id": "u-g", "name": "g", "conversionFactor": 0.001}]})
    x.put("unit_groups", {"@type": "UnitGroup", "@id": "ug-energy", "name": "Units of energy",
                          "units": [{"@id": "u-mj", "name": "MJ", "conversionFactor": 1.0,
                                     ref_unit: True},
                                    {"@id": "u-kwh", "name": "kWh", "conversionFactor": 3.6}]})
    for fp, group in (("fp-mass", "ug-mass"), ("fp-energy", "ug-energy")):
        x.put("flow_properties", {"@type": "FlowProperty", "@id": fp, "name": fp,
                                  "unitGroup": x.ref("UnitGroup", group)})
    for fid, name, kind, fp in (
        ("e-co2", "carbon dioxide", "ELEMENTARY_FLOW", "fp-mass"),
        ("e-ore", "iron ore", "ELEMENTARY_FLOW", "fp-mass"),
        ("f-steel", "steel", "PRODUCT_FLOW", "fp-mass"),
        ("f-slag", "slag", "PRODUCT_FLOW", "fp-mass"),
        ("f-elec", "electricity", "PRODUCT_FLOW", "fp-energy"),
        ("f-waste", "waste", "WASTE_FLOW", "fp-mass"),
    ):
        x.put("flows", {"@type": "Flow", "@id": fid, "name": name, "flowType": kind,
                        "flowProperties": [{"flowProperty": x.ref("FlowProperty", fp),
                                            "conversionFactor": 1.0,
                                            x.key("isRefFlowProperty",
                                                  "referenceFlowProperty"): True}]})


def exchange(x: Export, number: int, flow: str, amount: float, is_input: bool, unit: str,
             prop: str, reference: bool = False) -> dict:
    e = {"@type": "Exchange", "flow": x.ref("Flow", flow), "amount": amount,
         x.key("isInput", "input"): is_input, "unit": x.ref("Unit", unit),
         "flowProperty": x.ref("FlowProperty", prop)}
    if x.v2:
        e["internalId"] = number
    else:
        e["@id"] = f"ex-{number}"
    if reference:
        e[x.key("isQuantitativeReference", "quantitativeReference")] = True
    return e


def process(x: Export, pid: str, exchanges: list[dict]) -> None:
    x.put("processes", {"@type": "Process", "@id": pid, "name": pid,
                        "processType": "UNIT_PROCESS", "exchanges": exchanges})


def small_export(v2: bool = True, flag_steel: bool = False) -> Export:
    """p1-steel: 2 kg steel (no reference flag unless flag_steel); 100 kWh electricity;
    1000 g ore; 3 kg CO2; 0.5 kg waste to treatment.
    p2-elec: 10 MJ electricity, 1 kg CO2.  p3-elec-alt: 1 MJ electricity, 0.5 kg CO2.
    p4-waste: treats 1 kg waste, 0.2 kg CO2."""
    x = Export(v2)
    reference_data(x)
    process(x, "p1-steel", [
        exchange(x, 1, "f-steel", 2.0, False, "u-kg", "fp-mass", reference=flag_steel),
        exchange(x, 2, "f-elec", 100.0, True, "u-kwh", "fp-energy"),
        exchange(x, 3, "e-ore", 1000.0, True, "u-g", "fp-mass"),
        exchange(x, 4, "e-co2", 3.0, False, "u-kg", "fp-mass"),
        exchange(x, 5, "f-waste", 0.5, False, "u-kg", "fp-mass"),
    ])
    process(x, "p2-elec", [exchange(x, 1, "f-elec", 10.0, False, "u-mj", "fp-energy", True),
                           exchange(x, 2, "e-co2", 1.0, False, "u-kg", "fp-mass")])
    process(x, "p3-elec-alt", [exchange(x, 1, "f-elec", 1.0, False, "u-mj", "fp-energy", True),
                               exchange(x, 2, "e-co2", 0.5, False, "u-kg", "fp-mass")])
    process(x, "p4-waste", [exchange(x, 1, "f-waste", 1.0, True, "u-kg", "fp-mass", True),
                            exchange(x, 2, "e-co2", 0.2, False, "u-kg", "fp-mass")])
    return x


def product_system(x: Export, sid: str, name: str, electricity: str | None,
                   target: tuple[float, str] | None = (1000.0, "u-g")) -> None:
    """A product system for steel; its electricity link goes to `electricity` (None: no link)."""
    links = [{"provider": x.ref("Process", "p4-waste"), "flow": x.ref("Flow", "f-waste"),
              "process": x.ref("Process", "p1-steel"), "exchange": x.exchange_ref(5)}]
    members = ["p1-steel", "p4-waste"]
    if electricity is not None:
        links.append({"provider": x.ref("Process", electricity), "flow": x.ref("Flow", "f-elec"),
                      "process": x.ref("Process", "p1-steel"), "exchange": x.exchange_ref(2)})
        members.append(electricity)
    system = {"@type": "ProductSystem", "@id": sid, "name": name,
              x.key("refProcess", "referenceProcess"): x.ref("Process", "p1-steel"),
              x.key("refExchange", "referenceExchange"): x.exchange_ref(1),
              "processes": [x.ref("Process", p) for p in members],
              "processLinks": links}
    if target is not None:
        system["targetAmount"] = target[0]
        system["targetUnit"] = x.ref("Unit", target[1])
        system["targetFlowProperty"] = x.ref("FlowProperty", "fp-mass")
    x.put("product_systems", system)


def lcia(x: Export) -> None:
    """One method, two categories: GWP (CO2 1 per kg; ore 0.002 per g) and resources (ore
    5 per kg), plus a factor for a flow the export lacks."""
    unit_key = x.key("refUnit", "referenceUnitName")
    x.put("lcia_categories", {"@type": "ImpactCategory", "@id": "c-gwp", "name": "climate",
                              unit_key: "kg CO2-eq", "impactFactors": [
                                  {"flow": x.ref("Flow", "e-co2"), "value": 1.0,
                                   "unit": x.ref("Unit", "u-kg"),
                                   "flowProperty": x.ref("FlowProperty", "fp-mass")},
                                  {"flow": x.ref("Flow", "e-ore"), "value": 0.002,
                                   "unit": x.ref("Unit", "u-g"),
                                   "flowProperty": x.ref("FlowProperty", "fp-mass")},
                                  {"flow": x.ref("Flow", "e-missing"), "value": 7.0}]})
    x.put("lcia_categories", {"@type": "ImpactCategory", "@id": "c-res", "name": "resources",
                              unit_key: "kg Fe-eq", "impactFactors": [
                                  {"flow": x.ref("Flow", "e-ore"), "value": 5.0}]})
    x.put("lcia_methods", {"@type": "ImpactMethod", "@id": "m-test", "name": "test method",
                           "impactCategories": [x.ref("ImpactCategory", "c-res"),
                                                x.ref("ImpactCategory", "c-gwp")]})


def by_hand(electricity_mj_per_run: float, co2_per_run: float, kg_steel: float = 1.0):
    """Supply, CO2 and ore for kg_steel of steel with the given electricity provider, from a
    dense solve of the three-process system written out by hand."""
    A = np.array([[2.0, 0.0, 0.0],
                  [-360.0, electricity_mj_per_run, 0.0],
                  [-0.5, 0.0, 1.0]])
    s = np.linalg.solve(A, np.array([kg_steel, 0.0, 0.0]))
    co2 = 3.0 * s[0] + co2_per_run * s[1] + 0.2 * s[2]
    ore = -1.0 * s[0]
    return s, co2, ore


def solve(model: hiili.Model, demand: dict[int, float]):
    return hiili.Lca(model).solve(demand)


@pytest.mark.parametrize("v2", [True, False], ids=["schema2", "schema1"])
def test_missing_reference_flag_takes_the_single_product_output(tmp_path, v2):
    model = hiili.read(small_export(v2).write(tmp_path))
    report = model.read_report
    assert report["format"] == "openlca"
    assert report["counts"]["implied_references"] == 1
    assert any("p1-steel" in w and "no quantitative reference flagged" in w
               for w in report["warnings"])
    ids = list(model.activities["id"])
    assert ids == ["p1-steel", "p2-elec", "p3-elec-alt", "p4-waste"]
    r = solve(model, {"p1-steel": 1.0})
    s, co2, ore = by_hand(10.0, 1.0)  # electricity linked by flow: smallest id, p2-elec
    np.testing.assert_allclose(r.supply, [s[0], s[1], 0.0, s[2]], rtol=1e-13)
    inventory = dict(zip(model.flows["id"], r.inventory))
    assert inventory["e-co2"] == pytest.approx(co2, rel=1e-13)
    assert inventory["e-ore"] == pytest.approx(ore, rel=1e-13)


def test_several_candidates_without_a_flag_is_an_error_naming_them(tmp_path):
    x = small_export()
    x.files["processes/p1-steel.json"]["exchanges"].append(
        exchange(x, 6, "f-slag", 1.0, False, "u-kg", "fp-mass"))
    with pytest.raises(hiili.FormatError) as e:
        hiili.read(x.write(tmp_path))
    text = str(e.value)
    assert "p1-steel" in text and "no quantitative reference flagged" in text
    assert "f-steel" in text and "f-slag" in text


@pytest.mark.parametrize("v2", [True, False], ids=["schema2", "schema1"])
@pytest.mark.parametrize("zipped", [False, True], ids=["folder", "zip"])
def test_product_systems_are_named_demands_linked_as_openlca_links_them(tmp_path, v2, zipped):
    x = small_export(v2, flag_steel=True)
    product_system(x, "ps-alt", "steel, other electricity", "p3-elec-alt")
    product_system(x, "ps-default", "steel, default electricity", "p2-elec",
                   target=(2.0, "u-kg"))
    path = x.write(tmp_path / "export.zip" if zipped else tmp_path, zipped=zipped)
    model = hiili.read(path)
    counts = model.read_report["counts"]
    assert counts["product_systems"] == 2
    assert counts["product_system_links"] == 4
    assert counts["product_systems_relinked"] == 1  # ps-default links as the database does
    assert counts["product_system_columns"] == 3    # p1, p3, p4 for ps-alt
    assert set(model.demands) == {"steel, other electricity", "steel, default electricity"}
    assert model.n == 7
    assert list(model.activities["id"])[4:] == ["ps-alt:p1-steel", "ps-alt:p3-elec-alt",
                                                "ps-alt:p4-waste"]
    assert list(model.activities["product_system"])[4] == "steel, other electricity"
    lca = hiili.Lca(model)
    flows = list(model.flows["id"])

    alt = model.demands["steel, other electricity"]  # 1000 g = 1 kg steel, p3's electricity
    assert alt == {4: pytest.approx(1.0)}
    r = lca.solve(alt)
    s, co2, ore = by_hand(1.0, 0.5)
    np.testing.assert_allclose(r.supply[4:], s, rtol=1e-13)
    np.testing.assert_allclose(r.supply[:4], 0.0, atol=0)
    assert r.inventory[flows.index("e-co2")] == pytest.approx(co2, rel=1e-13)
    assert r.inventory[flows.index("e-ore")] == pytest.approx(ore, rel=1e-13)

    default = model.demands["steel, default electricity"]  # 2 kg, on the database's columns
    assert default == {0: pytest.approx(2.0)}
    r = lca.solve(default)
    s, co2, _ = by_hand(10.0, 1.0, kg_steel=2.0)
    np.testing.assert_allclose(r.supply[[0, 1, 3]], s, rtol=1e-13)
    assert r.inventory[flows.index("e-co2")] == pytest.approx(co2, rel=1e-13)


def test_a_product_system_without_a_link_leaves_the_input_unlinked(tmp_path):
    x = small_export(flag_steel=True)
    product_system(x, "ps-none", "steel, no electricity", None, target=None)
    model = hiili.read(x.write(tmp_path))
    demand = model.demands["steel, no electricity"]
    ((column, amount),) = demand.items()
    assert model.activities["id"][column] == "ps-none:p1-steel"
    assert amount == pytest.approx(2.0)  # no target: the reference exchange's amount
    r = hiili.Lca(model).solve(demand)
    co2 = dict(zip(model.flows["id"], r.inventory))["e-co2"]
    assert co2 == pytest.approx(3.0 + 0.2 * 0.5, rel=1e-13)  # no electricity upstream


def test_product_systems_can_be_left_out(tmp_path):
    x = small_export(flag_steel=True)
    product_system(x, "ps-alt", "steel, other electricity", "p3-elec-alt")
    model = hiili.read(x.write(tmp_path), product_systems=False)
    assert model.n == 4 and model.demands == {}


@pytest.mark.parametrize("v2", [True, False], ids=["schema2", "schema1"])
def test_lcia_methods_become_c_with_labelled_categories(tmp_path, v2):
    x = small_export(v2, flag_steel=True)
    lcia(x)
    model = hiili.read(x.write(tmp_path))
    assert list(model.categories["name"]) == ["resources", "climate"]  # the method's order
    assert list(model.categories["method"]) == ["test method", "test method"]
    assert list(model.categories["unit"]) == ["kg Fe-eq", "kg CO2-eq"]
    counts = model.read_report["counts"]
    assert counts["impact_methods"] == 1
    assert counts["impact_categories"] == 2
    assert counts["impact_factors"] == 3
    assert counts["impact_factors_unmatched"] == 1   # e-missing
    assert counts["impact_factor_conversions"] == 1  # ore per g
    r = solve(model, {"p1-steel": 1.0})
    _, co2, ore = by_hand(10.0, 1.0)
    used = -ore  # kg of ore taken from nature
    # openLCA scores a resource input positively: 0.002 per g = 2 per kg, 5 per kg.
    np.testing.assert_allclose(r.scores, [5.0 * used, co2 + 2.0 * used], rtol=1e-13)


def nw_sets(x: Export) -> None:
    """Two normalisation and weighting sets in the method (olca-schema NwSet, NwFactor): one
    with both factors for each category plus a factor for a category the export lacks, one
    with a weighting factor only."""
    method = x.files["lcia_methods/m-test.json"]
    method["nwSets"] = [
        {"@type": "NwSet", "@id": "nw-eu", "name": "EU 2010", "weightedScoreUnit": "Pt",
         "factors": [
             {"@type": "NwFactor", "impactCategory": x.ref("ImpactCategory", "c-gwp"),
              "normalisationFactor": 8100.0, "weightingFactor": 0.2},
             {"@type": "NwFactor", "impactCategory": x.ref("ImpactCategory", "c-res"),
              "normalisationFactor": 0.064, "weightingFactor": 0.08},
             {"@type": "NwFactor", "impactCategory": x.ref("ImpactCategory", "c-gone"),
              "normalisationFactor": 1.0}]},
        {"@type": "NwSet", "@id": "nw-w", "name": "weights only",
         "factors": [{"@type": "NwFactor", "impactCategory": x.ref("ImpactCategory", "c-gwp"),
                      "weightingFactor": 3.0}]}]


@pytest.mark.parametrize("v2", [True, False], ids=["schema2", "schema1"])
def test_normalisation_and_weighting_sets_are_columns_of_the_categories(tmp_path, v2):
    x = small_export(v2, flag_steel=True)
    lcia(x)
    nw_sets(x)
    model = hiili.read(x.write(tmp_path))
    cats = model.categories
    assert list(cats["name"]) == ["resources", "climate"]
    assert list(cats["normalisation: EU 2010"]) == ["0.064", "8100"]
    assert list(cats["weighting: EU 2010"]) == ["0.08", "0.2"]
    assert list(cats["normalisation: weights only"]) == ["", ""]
    assert list(cats["weighting: weights only"]) == ["", "3"]
    counts = model.read_report["counts"]
    assert (counts["nw_sets"], counts["nw_factors"], counts["nw_factors_unmatched"]) == (2, 3, 1)
    assert any("c-gone" in w and "not a row of C" in w for w in model.read_report["warnings"])
    # openLCA's normalised and weighted results (NwSetTable): h / n and h * w / n, summed to a
    # single score, against the dense solve by hand.
    _, co2, ore = by_hand(10.0, 1.0)
    h = np.array([5.0 * -ore, co2 + 2.0 * -ore])
    r = solve(model, {"p1-steel": 1.0})
    np.testing.assert_allclose(r.scores, h, rtol=1e-13)
    n = np.array([float(v) for v in cats["normalisation: EU 2010"]])
    w = np.array([float(v) for v in cats["weighting: EU 2010"]])
    expected = np.array([h[0] * 0.08 / 0.064, h[1] * 0.2 / 8100.0])
    np.testing.assert_allclose(r.scores * w / n, expected, rtol=1e-13)
    assert float(np.sum(r.scores * w / n)) == pytest.approx(expected.sum(), rel=1e-13)


def test_lcia_method_option_and_unknown_method(tmp_path):
    x = small_export(flag_steel=True)
    lcia(x)
    x.put("lcia_methods", {"@type": "ImpactMethod", "@id": "m-other", "name": "other method",
                           "impactCategories": [x.ref("ImpactCategory", "c-gwp")]})
    path = x.write(tmp_path)
    assert list(hiili.read(path, lcia_method="other method").categories["name"]) == ["climate"]
    assert hiili.read(path, lcia=False).k == 0
    with pytest.raises(hiili.InvalidInputError, match="not an LCIA method.*other method"):
        hiili.read(path, lcia_method="nope")


def test_reader_options_reach_the_reader(tmp_path):
    x = small_export(flag_steel=True)
    path = x.write(tmp_path)
    brightway = hiili.read(path, "openlca", biosphere_inputs_negative=False)
    ore = list(brightway.flows["id"]).index("e-ore")
    assert brightway.B.toarray()[ore, 0] == pytest.approx(1.0)
    assert hiili.read(path).B.toarray()[ore, 0] == pytest.approx(-1.0)
    dropped = hiili.read(path, default_providers=False, unlinked="biosphere")
    assert dropped.read_report["counts"]["linked_by_flow"] == 2
    assert "allocation" in hiili.reader_options("openlca")
    with pytest.raises(hiili.InvalidInputError, match="unknown reader option 'alocation'.*allocation"):
        hiili.read(path, alocation="physical")
    with pytest.raises(hiili.InvalidInputError, match="allocation='mass'.*physical"):
        hiili.read(path, allocation="mass")
    with pytest.raises(hiili.InvalidInputError, match="unknown reader option 'strict'"):
        hiili.read(path, strict=True)


def test_every_reader_reports(tmp_path):
    (tmp_path / "A.csv").write_text("row,col,value\n0,0,1\n1,1,2\n0,1,-0.5\n")
    model = hiili.read(tmp_path)
    report = model.read_report
    assert report["format"] == "csv-triplets"
    assert report["counts"]["activities"] == 2
    assert report["counts"]["nnz_A"] == 3
    io = hiili.read(tmp_path, io_coefficients=True)  # the technosphere is I - A
    np.testing.assert_allclose(io.A.toarray(), np.eye(2) - np.array([[1, -0.5], [0, 2]]))
    with pytest.raises(hiili.InvalidInputError, match="csv-triplets"):
        hiili.read(tmp_path, allocation="physical")
    assert hiili.Model(np.eye(2)).read_report is None


def test_a_read_model_pickles_with_its_report_and_demands(tmp_path):
    import pickle

    x = small_export(True, flag_steel=True)
    product_system(x, "ps-alt", "steel, other electricity", "p3-elec-alt")
    model = hiili.read(x.write(tmp_path, zipped=False))
    copy = pickle.loads(pickle.dumps(model))
    assert copy.read_report == model.read_report
    assert copy.demands == model.demands == {"steel, other electricity": {4: pytest.approx(1.0)}}
    np.testing.assert_array_equal(copy.A.toarray(), model.A.toarray())
