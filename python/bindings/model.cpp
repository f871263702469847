// hiili::Labels, hiili::Model (model.hpp). A Model is immutable, so its matrices come out as
// read-only views that keep the model alive.
#include "hiili/model.hpp"

#include <pybind11/native_enum.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>

#include "bindings.hpp"
#include "hiili/error.hpp"

namespace hiili::python {

namespace {

// The entries a matrix was built from, column by column, as a dict of numpy arrays.
py::dict entries_dict(const MatrixData& data) {
  const std::size_t ne = data.entries.size();
  py::array_t<Index> row(ne), col(ne), slot(ne);
  py::array_t<double> amount(ne);
  py::array_t<bool> flip(ne);
  auto r = row.mutable_unchecked<1>(), c = col.mutable_unchecked<1>(),
       s = slot.mutable_unchecked<1>();
  auto a = amount.mutable_unchecked<1>();
  auto f = flip.mutable_unchecked<1>();
  for (std::size_t e = 0; e < ne; ++e) {
    const Entry& entry = data.entries[e];
    const auto i = static_cast<py::ssize_t>(e);
    r(i) = entry.row;
    c(i) = entry.col;
    a(i) = entry.amount;
    f(i) = entry.flip;
    s(i) = data.slots[e];
  }
  py::dict out;
  out["row"] = row;
  out["col"] = col;
  out["amount"] = amount;
  out["flip"] = flip;
  out["slot"] = slot;
  if (data.has_uncertainty()) {
    py::array_t<std::uint8_t> type(ne);
    py::array_t<double> loc(ne), scale(ne), shape(ne), minimum(ne), maximum(ne);
    py::array_t<bool> negative(ne);
    auto t = type.mutable_unchecked<1>();
    auto lo = loc.mutable_unchecked<1>(), sc = scale.mutable_unchecked<1>(),
         sh = shape.mutable_unchecked<1>(), mi = minimum.mutable_unchecked<1>(),
         ma = maximum.mutable_unchecked<1>();
    auto ng = negative.mutable_unchecked<1>();
    for (std::size_t e = 0; e < ne; ++e) {
      const Uncertainty& u = data.uncertainty[e];
      const auto i = static_cast<py::ssize_t>(e);
      t(i) = u.type;
      lo(i) = u.loc;
      sc(i) = u.scale;
      sh(i) = u.shape;
      mi(i) = u.minimum;
      ma(i) = u.maximum;
      ng(i) = u.negative;
    }
    out["uncertainty_type"] = type;
    out["loc"] = loc;
    out["scale"] = scale;
    out["shape"] = shape;
    out["minimum"] = minimum;
    out["maximum"] = maximum;
    out["negative"] = negative;
  }
  return out;
}

}  // namespace

void bind_model(py::module_& m) {
  py::native_enum<MatrixKind>(m, "MatrixKind", "enum.Enum")
      .value("Technosphere", MatrixKind::Technosphere)
      .value("Biosphere", MatrixKind::Biosphere)
      .value("Characterization", MatrixKind::Characterization)
      .finalize();
  m.def("to_string", py::overload_cast<MatrixKind>(&to_string), py::arg("kind"));

  py::class_<Labels>(m, "Labels",
                     "A table of string labels, one row per activity, flow or category, with "
                     "named columns. find() tries the 'id' column, then 'name', then the first.")
      .def(py::init<>())
      .def(py::init<Index>(), py::arg("size"))
      .def_property_readonly("size", &Labels::size)
      .def("__len__", &Labels::size)
      .def_property_readonly("empty", &Labels::empty)
      .def("set_column", &Labels::set_column, py::arg("name"), py::arg("values"))
      .def("has_column", &Labels::has_column, py::arg("name"))
      .def("column", &Labels::column, py::arg("name"))
      .def("column_names", &Labels::column_names)
      .def("find", &Labels::find, py::arg("key"),
           "The row whose id (else name, else first column) equals key, or None. Raises "
           "InvalidInputError when several rows match.")
      .def("__repr__", [](const Labels& l) {
        std::string columns;
        for (const auto& name : l.column_names()) columns += (columns.empty() ? "" : ", ") + name;
        return "<hiili._core.Labels " + std::to_string(l.size()) + " rows [" + columns + "]>";
      });

  py::class_<Model, std::shared_ptr<Model>>(
      m, "Model",
      "An LCA model (hiili::Model): technosphere A (n x n), biosphere B (m x n), "
      "characterization C (k x m), labels. Immutable; safe to share between threads.")
      .def_static(
          "from_csc",
          [](py::handle A, py::handle B, py::handle C, Labels activities, Labels flows,
             Labels categories) {
            CscMatrix a = csc_from_python(A, "A"), b = csc_from_python(B, "B"),
                      c = csc_from_python(C, "C");
            py::gil_scoped_release release;
            return std::make_shared<Model>(Model::from_csc(std::move(a), std::move(b), std::move(c),
                                                           std::move(activities), std::move(flows),
                                                           std::move(categories)));
          },
          py::arg("A"), py::arg("B"), py::arg("C"), py::arg("activities") = Labels(),
          py::arg("flows") = Labels(), py::arg("categories") = Labels(),
          "Builds a model from scipy.sparse CSC matrices (float64 values, int32/int64 indices; "
          "copied once). Raises InvalidInputError for bad shapes, indices or values.")
      .def_property_readonly("num_activities", &Model::num_activities)
      .def_property_readonly("num_flows", &Model::num_flows)
      .def_property_readonly("num_categories", &Model::num_categories)
      .def_property_readonly("A", &Model::A)
      .def_property_readonly("B", &Model::B)
      .def_property_readonly("C", &Model::C)
      .def_property_readonly("activities", &Model::activities)
      .def_property_readonly("flows", &Model::flows)
      .def_property_readonly("categories", &Model::categories)
      .def(
          "has_uncertainty",
          [](const Model& model, MatrixKind kind) { return model.data(kind).has_uncertainty(); },
          py::arg("kind"))
      .def(
          "entries",
          [](const Model& model, MatrixKind kind) { return entries_dict(model.data(kind)); },
          py::arg("kind"),
          "The entries the matrix was built from, in input order, as a dict of numpy arrays: "
          "row, col, amount, flip, slot (position in the CSC values), and when the matrix has "
          "uncertainty: uncertainty_type, loc, scale, shape, minimum, maximum, negative.")
      .def("__repr__", [](const Model& model) {
        return "<hiili._core.Model n=" + std::to_string(model.num_activities()) +
               " m=" + std::to_string(model.num_flows()) +
               " k=" + std::to_string(model.num_categories()) + ">";
      });
}

}  // namespace hiili::python
