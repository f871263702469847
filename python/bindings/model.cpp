// hiili::Labels, hiili::Model (model.hpp). A Model is immutable, so its matrices come out as
// read-only views that keep the model alive.
#include "hiili/model.hpp"

#include <pybind11/native_enum.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "bindings.hpp"
#include "hiili/diagnostics.hpp"
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


using IndexArray = py::array_t<Index, py::array::c_style | py::array::forcecast>;
using ValueArray = py::array_t<double, py::array::c_style | py::array::forcecast>;
using BoolArray = py::array_t<bool, py::array::c_style | py::array::forcecast>;
using TypeArray = py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>;

// One array of an entries dict, of the dict's length; a missing optional key gives nullopt.
template <class Array>
std::optional<Array> entry_array(const py::dict& d, const char* key, const char* matrix,
                                 py::ssize_t length, bool required) {
  if (!d.contains(key)) {
    if (required)
      throw InvalidInputError(std::string(matrix) + " entries: missing array '" + key + "'");
    return std::nullopt;
  }
  Array a = py::cast<Array>(d[key]);
  if (a.ndim() != 1 || (length >= 0 && a.size() != length))
    throw InvalidInputError(std::string(matrix) + " entries: '" + key + "' has " +
                            std::to_string(a.size()) + " values, expected " +
                            std::to_string(length) + " (one per entry)");
  return a;
}

// Adds the entries of one matrix given as a dict of arrays (the shape entries() returns).
void add_entries(ModelBuilder& builder, MatrixKind kind, const py::dict& d, const char* matrix) {
  if (d.empty()) return;
  const IndexArray row = *entry_array<IndexArray>(d, "row", matrix, -1, true);
  const py::ssize_t ne = row.size();
  const IndexArray col = *entry_array<IndexArray>(d, "col", matrix, ne, true);
  const ValueArray amount = *entry_array<ValueArray>(d, "amount", matrix, ne, true);
  const auto flip = entry_array<BoolArray>(d, "flip", matrix, ne, false);
  const auto type = entry_array<TypeArray>(d, "uncertainty_type", matrix, ne, false);
  std::optional<ValueArray> params[5];
  const char* names[5] = {"loc", "scale", "shape", "minimum", "maximum"};
  for (int q = 0; q < 5; ++q) params[q] = entry_array<ValueArray>(d, names[q], matrix, ne, false);
  const auto negative = entry_array<BoolArray>(d, "negative", matrix, ne, false);
  builder.reserve(kind, static_cast<std::size_t>(ne));
  for (py::ssize_t e = 0; e < ne; ++e) {
    const Entry entry{row.data()[e], col.data()[e], amount.data()[e], flip && flip->data()[e]};
    if (!type) {
      builder.add(kind, entry.row, entry.col, entry.amount, entry.flip);
      continue;
    }
    Uncertainty u;
    u.type = type->data()[e];
    double* fields[5] = {&u.loc, &u.scale, &u.shape, &u.minimum, &u.maximum};
    for (int q = 0; q < 5; ++q)
      if (params[q]) *fields[q] = params[q]->data()[e];
    u.negative = negative && negative->data()[e];
    builder.add(kind, entry, u);
  }
}

// ---- pickling: the model's own arrays, restored by Model::from_data (no rebuild) ----------

template <class T>
py::array_t<T> array_copy(const std::vector<T>& v) {
  py::array_t<T> out(static_cast<py::ssize_t>(v.size()));
  if (!v.empty()) std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(T));
  return out;
}

template <class T>
std::vector<T> vector_copy(const py::dict& d, const char* key, const char* matrix,
                           py::ssize_t length) {
  using Array = py::array_t<T, py::array::c_style | py::array::forcecast>;
  const Array a = *entry_array<Array>(d, key, matrix, length, true);
  return std::vector<T>(a.data(), a.data() + a.size());
}

py::dict matrix_state(const MatrixData& data) {
  py::dict out = entries_dict(data);
  out["matrix_shape"] = py::make_tuple(data.matrix.rows, data.matrix.cols);
  out["col_ptr"] = array_copy(data.matrix.col_ptr);
  out["row_idx"] = array_copy(data.matrix.row_idx);
  out["values"] = array_copy(data.matrix.values);
  return out;
}

MatrixData matrix_from_state(const py::dict& d, const char* matrix) {
  MatrixData data;
  const auto shape = d["matrix_shape"].cast<std::pair<Index, Index>>();
  data.matrix.rows = shape.first;
  data.matrix.cols = shape.second;
  data.matrix.col_ptr = vector_copy<Index>(d, "col_ptr", matrix, -1);
  data.matrix.row_idx = vector_copy<Index>(d, "row_idx", matrix, -1);
  data.matrix.values =
      vector_copy<double>(d, "values", matrix, static_cast<py::ssize_t>(data.matrix.row_idx.size()));
  const auto row = vector_copy<Index>(d, "row", matrix, -1);
  const auto ne = static_cast<py::ssize_t>(row.size());
  const auto col = vector_copy<Index>(d, "col", matrix, ne);
  const auto amount = vector_copy<double>(d, "amount", matrix, ne);
  const auto flip = vector_copy<bool>(d, "flip", matrix, ne);
  data.slots = vector_copy<Index>(d, "slot", matrix, ne);
  data.entries.resize(row.size());
  for (std::size_t e = 0; e < row.size(); ++e)
    data.entries[e] = {row[e], col[e], amount[e], flip[e]};
  if (!d.contains("uncertainty_type")) return data;
  const auto type = vector_copy<std::uint8_t>(d, "uncertainty_type", matrix, ne);
  const char* names[5] = {"loc", "scale", "shape", "minimum", "maximum"};
  std::vector<double> params[5];
  for (int q = 0; q < 5; ++q) params[q] = vector_copy<double>(d, names[q], matrix, ne);
  const auto negative = vector_copy<bool>(d, "negative", matrix, ne);
  data.uncertainty.resize(row.size());
  for (std::size_t e = 0; e < row.size(); ++e)
    data.uncertainty[e] = {type[e],         params[0][e], params[1][e], params[2][e],
                           params[3][e],    params[4][e], negative[e]};
  return data;
}

py::tuple labels_state(const Labels& labels) {
  py::list columns;
  for (const auto& name : labels.column_names())
    columns.append(py::make_tuple(name, labels.column(name)));
  return py::make_tuple(labels.size(), columns);
}

Labels labels_from_state(const py::tuple& state) {
  Labels labels(state[0].cast<Index>());
  for (auto column : state[1].cast<py::list>()) {
    auto pair = column.cast<py::tuple>();
    labels.set_column(pair[0].cast<std::string>(), pair[1].cast<std::vector<std::string>>());
  }
  return labels;
}

constexpr int kModelStateVersion = 1;

py::tuple model_state(const Model& model) {
  return py::make_tuple(kModelStateVersion, matrix_state(model.technosphere()),
                        matrix_state(model.biosphere()), matrix_state(model.characterization()),
                        labels_state(model.activities()), labels_state(model.flows()),
                        labels_state(model.categories()));
}

std::shared_ptr<Model> model_from_state(const py::tuple& state) {
  if (state.size() != 7 || state[0].cast<int>() != kModelStateVersion)
    throw InvalidInputError("not a pickled hiili model of this version (state version " +
                            std::to_string(kModelStateVersion) + ")");
  MatrixData a = matrix_from_state(state[1].cast<py::dict>(), "technosphere");
  MatrixData b = matrix_from_state(state[2].cast<py::dict>(), "biosphere");
  MatrixData c = matrix_from_state(state[3].cast<py::dict>(), "characterization");
  Labels activities = labels_from_state(state[4].cast<py::tuple>());
  Labels flows = labels_from_state(state[5].cast<py::tuple>());
  Labels categories = labels_from_state(state[6].cast<py::tuple>());
  py::gil_scoped_release release;
  return std::make_shared<Model>(Model::from_data(std::move(a), std::move(b), std::move(c),
                                                  std::move(activities), std::move(flows),
                                                  std::move(categories)));
}

void bind_matrix_kind_and_labels(py::module_& m) {
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
      .def("display", &Labels::display, py::arg("i"),
           "The label tables and messages print for row i (name [location] (compartment), "
           "else '#i'); Model.activity_index and friends accept it back.")
      .def(
          "display_all",
          [](const Labels& labels, Index size) {
            std::vector<std::string> out;
            out.reserve(static_cast<std::size_t>(std::max<Index>(size, 0)));
            for (Index i = 0; i < size; ++i) out.push_back(labels.display(i));
            return out;
          },
          py::arg("size"), "display(i) for i in range(size) (size: the rows of the model).")
      .def("__repr__", [](const Labels& l) {
        std::string columns;
        for (const auto& name : l.column_names()) columns += (columns.empty() ? "" : ", ") + name;
        return "<hiili._core.Labels " + std::to_string(l.size()) + " rows [" + columns + "]>";
      });
}

void bind_model_class(py::module_& m) {
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
      .def_static(
          "from_entries",
          [](Index n, Index m, Index k, const py::dict& technosphere, const py::dict& biosphere,
             const py::dict& characterization, Labels activities, Labels flows,
             Labels categories) {
            ModelBuilder builder(n, m, k);
            add_entries(builder, MatrixKind::Technosphere, technosphere, "technosphere");
            add_entries(builder, MatrixKind::Biosphere, biosphere, "biosphere");
            add_entries(builder, MatrixKind::Characterization, characterization,
                        "characterization");
            builder.set_activities(std::move(activities));
            builder.set_flows(std::move(flows));
            builder.set_categories(std::move(categories));
            py::gil_scoped_release release;
            return std::make_shared<Model>(builder.build());
          },
          py::arg("n"), py::arg("m"), py::arg("k"), py::arg("technosphere"),
          py::arg("biosphere") = py::dict(), py::arg("characterization") = py::dict(),
          py::arg("activities") = Labels(), py::arg("flows") = Labels(),
          py::arg("categories") = Labels(),
          "Builds a model from entries (hiili::ModelBuilder): per matrix a dict of equal-length "
          "arrays row, col, amount and optionally flip and the uncertainty columns "
          "uncertainty_type, loc, scale, shape, minimum, maximum, negative (the shape entries() "
          "returns). Entries at the same position are summed in the matrix and keep their own "
          "uncertainty. Raises InvalidInputError naming the matrix and entry.")
      .def_property_readonly("num_activities", &Model::num_activities)
      .def_property_readonly("num_flows", &Model::num_flows)
      .def_property_readonly("num_categories", &Model::num_categories)
      .def_property_readonly("A", &Model::A)
      .def_property_readonly("B", &Model::B)
      .def_property_readonly("C", &Model::C)
      .def_property_readonly("activities", &Model::activities)
      .def_property_readonly("flows", &Model::flows)
      .def_property_readonly("categories", &Model::categories)
      .def("activity_index", &Model::activity_index, py::arg("key"),
           "The activity a label names (hiili::resolve_label: id, name, first column, any "
           "other column, the printed label, '#i' or an index). Raises InvalidInputError "
           "when unknown, out of range or ambiguous (listing the candidates).")
      .def("flow_index", &Model::flow_index, py::arg("key"), "As activity_index, for flows.")
      .def("category_index", &Model::category_index, py::arg("key"),
           "As activity_index, for impact categories.")
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
      .def(py::pickle(&model_state, &model_from_state),
           "Pickles the model's own arrays (CSC matrices, entries, slots, uncertainty, labels); "
           "unpickling checks them (Model::from_data) without rebuilding.")
      .def("__repr__", [](const Model& model) {
        return "<hiili._core.Model n=" + std::to_string(model.num_activities()) +
               " m=" + std::to_string(model.num_flows()) +
               " k=" + std::to_string(model.num_categories()) + ">";
      });
}

void bind_characterisation_checks(py::module_& m) {
  // diagnostics.hpp: characterisation (the header has no binding file of its own)
  m.def(
      "climate_notes",
      [](const Model& model) {
        std::vector<std::pair<Index, std::string>> out;
        for (auto& note : climate_notes(model)) out.emplace_back(note.category, note.message);
        return out;
      },
      py::arg("model"),
      "[(category, message)]: climate categories whose factors for carbon dioxide, methane or "
      "nitrous oxide are off (hiili/diagnostics.hpp).");
  m.def("is_climate_category", &is_climate_category, py::arg("model"), py::arg("category"));
}

}  // namespace

void bind_model(py::module_& m) {
  bind_matrix_kind_and_labels(m);
  bind_model_class(m);
  bind_characterisation_checks(m);
}

}  // namespace hiili::python
