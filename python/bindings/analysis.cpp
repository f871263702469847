// contribution.hpp, sensitivity.hpp, scenario.hpp: contributions, supply-chain trees,
// structural paths, sensitivities and what-if scenarios. Type conversion only; pandas tables,
// labels and plots live in python/hiili/analysis.py and plots.py.
#include <pybind11/eigen.h>
#include <pybind11/native_enum.h>
#include <pybind11/stl.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "hiili/contribution.hpp"
#include "hiili/error.hpp"
#include "hiili/lca.hpp"
#include "hiili/scenario.hpp"
#include "hiili/sensitivity.hpp"

namespace hiili::python {

namespace {

// The type hiili._core.Lca holds (lca.cpp): calls take the object's turn with the GIL released.
using LcaHandle = Guarded<Lca>;

std::span<const double> demand_span(const DoubleArray& demand) {
  if (demand.ndim() != 1)
    throw InvalidInputError("demand must be 1-d, got " + std::to_string(demand.ndim()) +
                            " dimensions");
  return {demand.data(), static_cast<std::size_t>(demand.size())};
}

template <class T>
py::array_t<T> to_array(const std::vector<T>& v) {
  py::array_t<T> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

// Sensitivity::top as columns (numpy arrays), so that ranking every entry stays cheap.
py::dict entries_dict(const std::vector<SensitivityEntry>& entries) {
  std::vector<std::uint8_t> matrix;
  std::vector<Index> row, col;
  std::vector<double> value, derivative, elasticity;
  for (const auto& e : entries) {
    matrix.push_back(static_cast<std::uint8_t>(e.matrix));
    row.push_back(e.row);
    col.push_back(e.col);
    value.push_back(e.value);
    derivative.push_back(e.derivative);
    elasticity.push_back(e.elasticity);
  }
  py::dict out;
  out["matrix"] = to_array(matrix);  // 0: A, 1: B, 2: C (MatrixKind's order)
  out["row"] = to_array(row);
  out["col"] = to_array(col);
  out["value"] = to_array(value);
  out["derivative"] = to_array(derivative);
  out["elasticity"] = to_array(elasticity);
  return out;
}

void bind_contributions(py::module_& m) {
  // ---- contribution.hpp ---------------------------------------------------------------------
  py::class_<ScoreAnalysis>(m, "ScoreAnalysis",
                            "One score taken apart (hiili::ScoreAnalysis): supply, inventory, "
                            "characterisation factors c_q, b = B^T c_q and the adjoint y.")
      .def_readonly("category", &ScoreAnalysis::category)
      .def_readonly("score", &ScoreAnalysis::score)
      .def_property_readonly("demand",
                             [](ScoreAnalysis& a) -> Eigen::VectorXd& { return a.demand; })
      .def_property_readonly("supply",
                             [](ScoreAnalysis& a) -> Eigen::VectorXd& { return a.supply; })
      .def_property_readonly("inventory",
                             [](ScoreAnalysis& a) -> Eigen::VectorXd& { return a.inventory; })
      .def_property_readonly("scores",
                             [](ScoreAnalysis& a) -> Eigen::VectorXd& { return a.scores; })
      .def_property_readonly("factors",
                             [](ScoreAnalysis& a) -> Eigen::VectorXd& { return a.factors; })
      .def_property_readonly("unit_direct",
                             [](ScoreAnalysis& a) -> Eigen::VectorXd& { return a.unit_direct; })
      .def_property_readonly("adjoint",
                             [](ScoreAnalysis& a) -> Eigen::VectorXd& { return a.adjoint; })
      .def_property_readonly("production",
                             [](ScoreAnalysis& a) -> Eigen::VectorXd& { return a.production; })
      .def("process_contributions", &ScoreAnalysis::process_contributions,
           "s o b: the direct impact of each activity (sums to the score).")
      .def("flow_contributions", &ScoreAnalysis::flow_contributions,
           "c_q o g: the impact of each flow (sums to the score).")
      .def("upstream_scores", &ScoreAnalysis::upstream_scores,
           "y o (A_jj s_j): the cumulative score of each activity's output for this demand.");

  m.def(
      "analyze_score",
      [](LcaHandle& lca, const DoubleArray& demand, Index category) {
        auto f = demand_span(demand);
        return lca.run([&](Lca& x) { return analyze_score(x, f, category); });
      },
      py::arg("lca"), py::arg("demand"), py::arg("category"),
      "Solves for a dense demand and takes apart the score of `category` (one forward, one "
      "transposed solve). InvalidInputError for a bad demand or category.");
  m.def(
      "process_contributions",
      [](const Model& model, const Eigen::VectorXd& supply) {
        return process_contributions(model, supply);
      },
      py::arg("model"), py::arg("supply"), "k x n: C B diag(s).");
  m.def(
      "flow_contributions",
      [](const Model& model, const Eigen::VectorXd& inventory) {
        return flow_contributions(model, inventory);
      },
      py::arg("model"), py::arg("inventory"), "k x m: C diag(g).");

  py::class_<RankedContributions>(m, "RankedContributions")
      .def_property_readonly("indices",
                             [](const RankedContributions& r) {
                               std::vector<Index> v;
                               for (const auto& t : r.top) v.push_back(t.index);
                               return to_array(v);
                             })
      .def_property_readonly("values",
                             [](const RankedContributions& r) {
                               std::vector<double> v;
                               for (const auto& t : r.top) v.push_back(t.value);
                               return to_array(v);
                             })
      .def_property_readonly("shares",
                             [](const RankedContributions& r) {
                               std::vector<double> v;
                               for (const auto& t : r.top) v.push_back(t.share);
                               return to_array(v);
                             })
      .def_readonly("rest", &RankedContributions::rest)
      .def_readonly("rest_count", &RankedContributions::rest_count)
      .def_readonly("total", &RankedContributions::total);
  m.def(
      "rank_contributions",
      [](const Eigen::VectorXd& values, Index top) { return rank_contributions(values, top); },
      py::arg("values"), py::arg("top"),
      "The `top` values by magnitude (ties by index; zeros never listed) and the rest summed.");
}

void bind_supply_tree(py::module_& m) {
  py::class_<TreeOptions>(m, "TreeOptions")
      .def(py::init<>())
      .def_readwrite("cutoff", &TreeOptions::cutoff)
      .def_readwrite("max_depth", &TreeOptions::max_depth)
      .def_readwrite("max_nodes", &TreeOptions::max_nodes)
      .def_readwrite("expand_loops", &TreeOptions::expand_loops);

  py::class_<TreeNode>(m, "TreeNode")
      .def_readonly("activity", &TreeNode::activity)
      .def_readonly("parent", &TreeNode::parent)
      .def_readonly("depth", &TreeNode::depth)
      .def_readonly("amount", &TreeNode::amount)
      .def_readonly("direct", &TreeNode::direct)
      .def_readonly("cumulative", &TreeNode::cumulative)
      .def_readonly("rest", &TreeNode::rest)
      .def_readonly("rest_count", &TreeNode::rest_count)
      .def_readonly("loop", &TreeNode::loop)
      .def_readonly("expanded", &TreeNode::expanded)
      .def_readonly("children", &TreeNode::children);

  py::class_<SupplyTree>(m, "SupplyTree")
      .def_readonly("category", &SupplyTree::category)
      .def_readonly("score", &SupplyTree::score)
      .def_readonly("options", &SupplyTree::options)
      .def_readonly("nodes", &SupplyTree::nodes)
      .def_readonly("truncated", &SupplyTree::truncated)
      .def("to_json", &SupplyTree::to_json, py::arg("activities") = Labels(),
           py::arg("indent") = -1,
           "Nested JSON; labels from the activities' name (else id, else first) column.")
      .def_property_readonly("columns", [](const SupplyTree& t) {
        // The nodes as columns, for pandas.
        std::vector<Index> activity, parent, rest_count;
        std::vector<int> depth;
        std::vector<double> amount, direct, cumulative, rest;
        std::vector<bool> loop, expanded;
        for (const auto& n : t.nodes) {
          activity.push_back(n.activity);
          parent.push_back(n.parent);
          depth.push_back(n.depth);
          amount.push_back(n.amount);
          direct.push_back(n.direct);
          cumulative.push_back(n.cumulative);
          rest.push_back(n.rest);
          rest_count.push_back(n.rest_count);
          loop.push_back(n.loop);
          expanded.push_back(n.expanded);
        }
        py::dict out;
        out["activity"] = to_array(activity);
        out["parent"] = to_array(parent);
        out["depth"] = to_array(depth);
        out["amount"] = to_array(amount);
        out["direct"] = to_array(direct);
        out["cumulative"] = to_array(cumulative);
        out["rest"] = to_array(rest);
        out["rest_count"] = to_array(rest_count);
        out["loop"] = py::array(py::cast(loop)).attr("astype")("bool");
        out["expanded"] = py::array(py::cast(expanded)).attr("astype")("bool");
        return out;
      });

  m.def(
      "supply_chain_tree",
      [](LcaHandle& lca, const DoubleArray& demand, Index category, const TreeOptions& options) {
        auto f = demand_span(demand);
        return lca.run([&](Lca& x) { return supply_chain_tree(x, f, category, options); });
      },
      py::arg("lca"), py::arg("demand"), py::arg("category"), py::arg("options") = TreeOptions(),
      "Best-first walk of the demand's supply chain (see hiili/contribution.hpp).");
}

void bind_paths(py::module_& m) {
  py::class_<PathOptions>(m, "PathOptions")
      .def(py::init<>())
      .def_readwrite("top", &PathOptions::top)
      .def_readwrite("cutoff", &PathOptions::cutoff)
      .def_readwrite("max_length", &PathOptions::max_length)
      .def_readwrite("max_expansions", &PathOptions::max_expansions);

  py::class_<Path>(m, "Path")
      .def_readonly("activities", &Path::activities)
      .def_readonly("amount", &Path::amount)
      .def_readonly("value", &Path::value)
      .def_readonly("share", &Path::share)
      .def_readonly("cumulative", &Path::cumulative);

  py::class_<PathAnalysis>(m, "PathAnalysis")
      .def_readonly("category", &PathAnalysis::category)
      .def_readonly("score", &PathAnalysis::score)
      .def_readonly("paths", &PathAnalysis::paths)
      .def_readonly("coverage", &PathAnalysis::coverage)
      .def_readonly("expansions", &PathAnalysis::expansions)
      .def_readonly("complete", &PathAnalysis::complete);

  m.def(
      "structural_paths",
      [](LcaHandle& lca, const DoubleArray& demand, Index category, const PathOptions& options) {
        auto f = demand_span(demand);
        return lca.run([&](Lca& x) { return structural_paths(x, f, category, options); });
      },
      py::arg("lca"), py::arg("demand"), py::arg("category"), py::arg("options") = PathOptions(),
      "Top paths of the power series of A by |value| (see hiili/contribution.hpp).");
}

void bind_sensitivity(py::module_& m) {
  // ---- sensitivity.hpp ----------------------------------------------------------------------
  py::class_<Sensitivity>(m, "Sensitivity",
                          "dh/dA, dh/dB, dh/dC of one score as CscMatrix with the model's "
                          "patterns (read-only views; the object stays alive with them).")
      .def_readonly("category", &Sensitivity::category)
      .def_readonly("score", &Sensitivity::score)
      .def_property_readonly("supply", [](Sensitivity& s) -> Eigen::VectorXd& { return s.supply; })
      .def_property_readonly("inventory",
                             [](Sensitivity& s) -> Eigen::VectorXd& { return s.inventory; })
      .def_property_readonly("adjoint",
                             [](Sensitivity& s) -> Eigen::VectorXd& { return s.adjoint; })
      .def_property_readonly(
          "A", [](Sensitivity& s) -> const CscMatrix& { return s.A; },
          py::return_value_policy::reference_internal)
      .def_property_readonly(
          "B", [](Sensitivity& s) -> const CscMatrix& { return s.B; },
          py::return_value_policy::reference_internal)
      .def_property_readonly(
          "C", [](Sensitivity& s) -> const CscMatrix& { return s.C; },
          py::return_value_policy::reference_internal)
      .def(
          "top",
          [](const Sensitivity& s, Index count, bool a, bool b, bool c) {
            return entries_dict(s.top(count, a, b, c));
          },
          py::arg("count"), py::arg("technosphere") = true, py::arg("biosphere") = true,
          py::arg("characterization") = true,
          "The `count` entries with the largest |elasticity| (count < 0: all nonzero ones), as "
          "a dict of arrays: matrix (0 A, 1 B, 2 C), row, col, value, derivative, elasticity.");

  m.def(
      "sensitivity",
      [](LcaHandle& lca, const DoubleArray& demand, Index category) {
        auto f = demand_span(demand);
        return lca.run([&](Lca& x) { return sensitivity(x, f, category); });
      },
      py::arg("lca"), py::arg("demand"), py::arg("category"),
      "All derivatives of the score of `category` (one transposed solve).");
}

void bind_scenarios(py::module_& m) {
  // ---- scenario.hpp -------------------------------------------------------------------------
  py::class_<Change>(m, "Change")
      .def(py::init<>())
      .def(py::init([](MatrixKind matrix, Index row, Index col, double value, std::string row_label,
                       std::string col_label) {
             Change c;
             c.matrix = matrix;
             c.row = row;
             c.col = col;
             c.value = value;
             c.row_label = std::move(row_label);
             c.col_label = std::move(col_label);
             return c;
           }),
           py::arg("matrix"), py::arg("row"), py::arg("col"), py::arg("value"),
           py::arg("row_label") = "", py::arg("col_label") = "")
      .def_readwrite("matrix", &Change::matrix)
      .def_readwrite("row", &Change::row)
      .def_readwrite("col", &Change::col)
      .def_readwrite("value", &Change::value)
      .def_readwrite("row_label", &Change::row_label)
      .def_readwrite("col_label", &Change::col_label);

  py::class_<Scenario>(m, "Scenario")
      .def(py::init<>())
      .def(py::init([](std::string name, std::vector<Change> changes) {
             return Scenario{std::move(name), std::move(changes)};
           }),
           py::arg("name"), py::arg("changes"))
      .def_readwrite("name", &Scenario::name)
      .def_readwrite("changes", &Scenario::changes)
      .def("to_json", &Scenario::to_json, py::arg("indent") = 2)
      .def_static("from_json", &Scenario::from_json, py::arg("text"),
                  "FormatError naming the field for anything that is not a scenario.")
      .def("save", &Scenario::save, py::arg("path"))
      .def_static("load", &Scenario::load, py::arg("path"))
      .def("resolved", &Scenario::resolved, py::arg("model"),
           "Labels replaced by indices; InvalidInputError for unknown labels, indices out of "
           "range, non-finite values or an entry changed twice.");
}

void bind_what_if(py::module_& m) {
  py::native_enum<WhatIfStrategy>(m, "WhatIfStrategy", "enum.Enum")
      .value("Auto", WhatIfStrategy::Auto)
      .value("Woodbury", WhatIfStrategy::Woodbury)
      .value("Refactor", WhatIfStrategy::Refactor)
      .finalize();
  py::native_enum<UpdateMethod>(m, "UpdateMethod", "enum.Enum")
      .value("Unchanged", UpdateMethod::Unchanged)
      .value("Woodbury", UpdateMethod::Woodbury)
      .value("Refactor", UpdateMethod::Refactor)
      .value("Factorize", UpdateMethod::Factorize)
      .finalize();
  m.def("to_string", py::overload_cast<UpdateMethod>(&to_string), py::arg("method"));

  py::class_<WhatIfOptions>(m, "WhatIfOptions")
      .def(py::init<>())
      .def_readwrite("strategy", &WhatIfOptions::strategy)
      .def_readwrite("max_rank", &WhatIfOptions::max_rank)
      .def_readwrite("residual_tolerance", &WhatIfOptions::residual_tolerance);

  py::class_<ScenarioResult>(m, "ScenarioResult")
      .def_readonly("name", &ScenarioResult::name)
      .def_property_readonly(
          "result", [](ScenarioResult& r) -> LcaResult& { return r.result; },
          py::return_value_policy::reference_internal)
      .def_readonly("method", &ScenarioResult::method)
      .def_readonly("rank", &ScenarioResult::rank)
      .def_readonly("residual", &ScenarioResult::residual)
      .def_readonly("refined", &ScenarioResult::refined)
      .def_readonly("fell_back", &ScenarioResult::fell_back);

  py::class_<WhatIfResults>(m, "WhatIfResults")
      .def_property_readonly(
          "baseline", [](WhatIfResults& r) -> LcaResult& { return r.baseline; },
          py::return_value_policy::reference_internal)
      .def_readonly("scenarios", &WhatIfResults::scenarios);

  m.def(
      "what_if",
      [](LcaHandle& lca, const DoubleArray& demand, const std::vector<Scenario>& scenarios,
         const WhatIfOptions& options) {
        auto f = demand_span(demand);
        return lca.run([&](Lca& x) { return what_if(x, f, scenarios, options); });
      },
      py::arg("lca"), py::arg("demand"), py::arg("scenarios"), py::arg("options") = WhatIfOptions(),
      "Each scenario's result for the demand, from the existing factorisation (Woodbury) or a "
      "refactorisation; the Lca is left as it was.");
}

}  // namespace

void bind_analysis(py::module_& m) {
  bind_contributions(m);
  bind_supply_tree(m);
  bind_paths(m);
  bind_sensitivity(m);
  bind_scenarios(m);
  bind_what_if(m);
}

}  // namespace hiili::python
