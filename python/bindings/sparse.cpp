// hiili::CscMatrix: scipy CSC in (one copy into the matrix's own vectors, int32 indices
// widened), read-only numpy views out.
#include "hiili/sparse.hpp"

#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <cstring>
#include <string>

#include "bindings.hpp"
#include "hiili/error.hpp"

namespace hiili::python {

namespace {

std::string describe(py::handle obj) { return py::str(py::type::of(obj).attr("__name__")); }

template <class From, class To>
void copy_into(const py::array_t<From, 0>& a, std::vector<To>& out) {
  out.resize(static_cast<std::size_t>(a.shape(0)));
  if constexpr (std::is_same_v<From, To>) {
    if (a.flags() & py::array::c_style) {
      if (!out.empty()) std::memcpy(out.data(), a.data(), out.size() * sizeof(To));
      return;
    }
  }
  auto r = a.template unchecked<1>();
  for (py::ssize_t i = 0; i < r.shape(0); ++i) out[static_cast<std::size_t>(i)] = r(i);
}

void check_1d(const py::array& a, const char* name, const char* field) {
  if (a.ndim() != 1)
    throw py::value_error(std::string(name) + "." + field + " must be 1-d, got " +
                          std::to_string(a.ndim()) + " dimensions");
}

std::vector<Index> index_vector(py::handle obj, const char* name, const char* field) {
  if (!py::isinstance<py::array>(obj))
    throw py::type_error(std::string(name) + "." + field + " must be a numpy array, got " +
                         describe(obj));
  auto a = py::reinterpret_borrow<py::array>(obj);
  check_1d(a, name, field);
  std::vector<Index> out;
  if (py::isinstance<py::array_t<std::int64_t, 0>>(a)) {
    copy_into(py::array_t<std::int64_t, 0>::ensure(a), out);
  } else if (py::isinstance<py::array_t<std::int32_t, 0>>(a)) {
    copy_into(py::array_t<std::int32_t, 0>::ensure(a), out);
  } else {
    throw py::type_error(std::string(name) + "." + field + " must be int32 or int64, got " +
                         std::string(py::str(a.dtype())));
  }
  return out;
}

std::vector<double> value_vector(py::handle obj, const char* name) {
  if (!py::isinstance<py::array_t<double, 0>>(obj))
    throw py::type_error(
        std::string(name) + ".data must be a float64 numpy array, got " +
        (py::isinstance<py::array>(obj) ? std::string(py::str(obj.attr("dtype"))) : describe(obj)) +
        "; convert it explicitly (e.g. .astype(float))");
  auto a = py::array_t<double, 0>::ensure(obj);
  check_1d(a, name, "data");
  std::vector<double> out;
  copy_into(a, out);
  return out;
}

}  // namespace

CscMatrix csc_from_python(py::handle obj, const char* name) {
  if (py::isinstance<CscMatrix>(obj)) return obj.cast<const CscMatrix&>();
  if (!py::hasattr(obj, "format") || !py::hasattr(obj, "indptr") ||
      py::str(obj.attr("format")).cast<std::string>() != "csc")
    throw py::type_error(std::string(name) +
                         ": expected a scipy.sparse CSC matrix or hiili._core.CscMatrix, got " +
                         describe(obj));
  auto shape = obj.attr("shape").cast<py::tuple>();
  if (shape.size() != 2) throw py::value_error(std::string(name) + ": expected a 2-d matrix");
  CscMatrix M;
  M.rows = shape[0].cast<Index>();
  M.cols = shape[1].cast<Index>();
  M.col_ptr = index_vector(obj.attr("indptr"), name, "indptr");
  M.row_idx = index_vector(obj.attr("indices"), name, "indices");
  M.values = value_vector(obj.attr("data"), name);
  return M;
}

void bind_sparse(py::module_& m) {
  py::class_<CscMatrix>(m, "CscMatrix",
                        "A compressed sparse column matrix with 64-bit indices (hiili::CscMatrix). "
                        "Arrays are read-only views into its storage.")
      .def(py::init([](py::handle matrix) { return csc_from_python(matrix, "matrix"); }),
           py::arg("matrix"),
           "Copies a scipy.sparse CSC matrix (int32/int64 indices, float64 values).")
      .def_static("zeros", &CscMatrix::zeros, py::arg("rows"), py::arg("cols"))
      .def_readonly("rows", &CscMatrix::rows)
      .def_readonly("cols", &CscMatrix::cols)
      .def_property_readonly("shape",
                             [](const CscMatrix& M) { return py::make_tuple(M.rows, M.cols); })
      .def_property_readonly("nnz", &CscMatrix::nnz)
      .def_property_readonly("col_ptr",
                             [](py::object self) {
                               return readonly_view(self.cast<const CscMatrix&>().col_ptr, self);
                             })
      .def_property_readonly("row_idx",
                             [](py::object self) {
                               return readonly_view(self.cast<const CscMatrix&>().row_idx, self);
                             })
      .def_property_readonly(
          "values",
          [](py::object self) { return readonly_view(self.cast<const CscMatrix&>().values, self); })
      .def("validate", &CscMatrix::validate, py::arg("name") = "matrix",
           "Checks the CSC invariants; raises InvalidInputError naming `name` and the entry.")
      .def(
          "multiply",
          [](const CscMatrix& M, const DoubleArray& x) {
            if (x.ndim() != 1) throw InvalidInputError("multiply: x must be 1-d");
            return M.multiply(std::span<const double>(x.data(), x.size()));
          },
          py::arg("x"), "y = M x")
      .def(
          "multiply_transposed",
          [](const CscMatrix& M, const DoubleArray& x) {
            if (x.ndim() != 1) throw InvalidInputError("multiply_transposed: x must be 1-d");
            return M.multiply_transposed(std::span<const double>(x.data(), x.size()));
          },
          py::arg("x"), "y = M^T x")
      .def("to_dense", &CscMatrix::to_dense)
      .def("__repr__", [](const CscMatrix& M) {
        return "<hiili._core.CscMatrix " + std::to_string(M.rows) + " x " + std::to_string(M.cols) +
               ", " + std::to_string(M.nnz()) + " stored>";
      });
}

}  // namespace hiili::python
