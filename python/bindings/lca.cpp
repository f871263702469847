// hiili::Lca, LcaResult, LcaResults (lca.hpp). Results hold Eigen vectors; their fields come
// out as writable numpy views that keep the result alive (no copies).
#include "hiili/lca.hpp"

#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <memory>
#include <span>
#include <string>

#include "bindings.hpp"
#include "hiili/error.hpp"

namespace hiili::python {

namespace {

SparseDemand sparse_demand(const IndexArray& indices, const DoubleArray& amounts) {
  if (indices.ndim() != 1 || amounts.ndim() != 1 || indices.size() != amounts.size())
    throw InvalidInputError(
        "sparse demand: indices and amounts must be 1-d and of equal length, got " +
        std::to_string(indices.size()) + " indices and " + std::to_string(amounts.size()) +
        " amounts");
  SparseDemand demand;
  demand.reserve(static_cast<std::size_t>(indices.size()));
  for (py::ssize_t i = 0; i < indices.size(); ++i)
    demand.emplace_back(indices.data()[i], amounts.data()[i]);
  return demand;
}

std::span<const double> dense_demand(const DoubleArray& demand) {
  if (demand.ndim() != 1)
    throw InvalidInputError("demand must be 1-d, got " + std::to_string(demand.ndim()) +
                            " dimensions");
  return {demand.data(), static_cast<std::size_t>(demand.size())};
}

}  // namespace

void bind_lca(py::module_& m) {
  py::class_<LcaResult>(m, "LcaResult",
                        "supply s = A^-1 f (n), inventory g = B s (m), scores h = C g (k).")
      .def_property_readonly("supply", [](LcaResult& r) -> Eigen::VectorXd& { return r.supply; })
      .def_property_readonly("inventory",
                             [](LcaResult& r) -> Eigen::VectorXd& { return r.inventory; })
      .def_property_readonly("scores", [](LcaResult& r) -> Eigen::VectorXd& { return r.scores; });

  py::class_<LcaResults>(m, "LcaResults", "Results for d demands: one column per demand.")
      .def_property_readonly("supply", [](LcaResults& r) -> Eigen::MatrixXd& { return r.supply; })
      .def_property_readonly("inventory",
                             [](LcaResults& r) -> Eigen::MatrixXd& { return r.inventory; })
      .def_property_readonly("scores", [](LcaResults& r) -> Eigen::MatrixXd& { return r.scores; });

  // Not thread-safe in C++ (its Factorization holds solve scratch space); in Python calls on
  // one Lca take turns (see Guarded). Use one Lca per thread for parallel work.
  py::class_<PyLca>(m, "Lca",
                    "Inventory and impact assessment on one factorisation of the model's A "
                    "(hiili::Lca). The constructor analyses and factorizes.")
      .def(py::init([](std::shared_ptr<Model> model, const FactorizationOptions& options) {
             if (!model) throw InvalidInputError("Lca: model is None");
             py::gil_scoped_release release;
             return std::make_unique<PyLca>(std::shared_ptr<const Model>(std::move(model)),
                                            options);
           }),
           py::arg("model"), py::arg("options") = FactorizationOptions(),
           "Raises InvalidInputError for a malformed model, SingularMatrixError when A is "
           "singular.")
      .def_property_readonly(
          "model", [](PyLca& l) { return std::const_pointer_cast<Model>(l.value.shared_model()); })
      .def_property_readonly("report",
                             [](PyLca& l) { return l.run([](Lca& x) { return x.report(); }); })
      .def(
          "solve",
          [](PyLca& l, const DoubleArray& demand) {
            auto f = dense_demand(demand);
            return l.run([&](Lca& x) { return x.solve(f); });
          },
          py::arg("demand"),
          "Dense demand of length n. InvalidInputError for a wrong length, NaN/Inf or an "
          "all-zero demand.")
      .def(
          "solve_sparse",
          [](PyLca& l, const IndexArray& indices, const DoubleArray& amounts) {
            SparseDemand demand = sparse_demand(indices, amounts);
            return l.run([&](Lca& x) { return x.solve(demand); });
          },
          py::arg("indices"), py::arg("amounts"),
          "Sparse demand as (activity index, amount) pairs; repeated indices add up.")
      .def(
          "solve_many",
          [](PyLca& l, const Eigen::MatrixXd& demands) {
            return l.run([&](Lca& x) { return x.solve_many(demands); });
          },
          py::arg("demands").noconvert(), "float64 n x d demands, one per column.")
      .def(
          "activity_scores",
          [](PyLca& l) { return l.run([](Lca& x) { return x.activity_scores(); }); },
          "k x n: cumulative score of one unit of each activity in each category (k transposed "
          "solves).")
      .def(
          "update_technosphere",
          [](PyLca& l, const DoubleArray& values) {
            if (values.ndim() != 1) throw InvalidInputError("values must be 1-d");
            std::span<const double> v(values.data(), static_cast<std::size_t>(values.size()));
            l.run([&](Lca& x) { x.update_technosphere(v); });
          },
          py::arg("values"), "New values for A (same pattern, CSC order); refactors.")
      .def(
          "dense_demand",
          [](PyLca& l, const IndexArray& indices, const DoubleArray& amounts) {
            SparseDemand demand = sparse_demand(indices, amounts);
            return l.run([&](Lca& x) { return x.dense_demand(demand); });
          },
          py::arg("indices"), py::arg("amounts"))
      .def("rcond",
           [](PyLca& l) { return l.run([](Lca& x) { return x.factorization().rcond(); }); })
      .def("condition_estimate", [](PyLca& l) {
        return l.run([](Lca& x) { return x.factorization().condition_estimate(); });
      });
}

}  // namespace hiili::python
