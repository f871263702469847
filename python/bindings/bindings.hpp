// Shared pieces of the _core module: one bind_* function per public header, and the few
// conversions they share. Type conversion only: anything a C++ user lacks does not belong here.
//
// Adding a header's bindings: write python/bindings/<header>.cpp defining bind_<header>(m),
// declare it below, call it from module.cpp, list the file in CMakeLists.txt.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <mutex>
#include <utility>
#include <vector>

#include "hiili/sparse.hpp"

namespace hiili {
class Lca;
class Factorization;
}  // namespace hiili

namespace hiili::python {

namespace py = pybind11;

void bind_errors(py::module_& m);
void bind_sparse(py::module_& m);
void bind_model(py::module_& m);
void bind_solver(py::module_& m);
void bind_lca(py::module_& m);
void bind_synth(py::module_& m);
void bind_io(py::module_& m);
void bind_monte_carlo(py::module_& m);
void bind_analysis(py::module_& m);
void bind_limits(py::module_& m);

// A CscMatrix from a hiili._core.CscMatrix (copied) or from any object shaped like a
// scipy.sparse CSC matrix or array: `format == "csc"`, `shape`, `indptr`, `indices`, `data`.
// Indices may be int32 or int64, values must be float64 (TypeError otherwise: the Python layer
// converts on purpose, this layer never casts silently). One copy into the CscMatrix's own
// vectors; its invariants are checked later by whoever consumes it (Model::from_csc).
CscMatrix csc_from_python(py::handle obj, const char* name);

// A read-only 1-d numpy view of `data` whose lifetime is tied to `owner`.
template <class T>
py::array readonly_view(const T* data, std::size_t size, py::handle owner) {
  py::array_t<T> view({static_cast<py::ssize_t>(size)}, {static_cast<py::ssize_t>(sizeof(T))}, data,
                      owner);
  view.attr("flags").attr("writeable") = false;
  return view;
}
template <class T>
py::array readonly_view(const std::vector<T>& v, py::handle owner) {
  return readonly_view(v.data(), v.size(), owner);
}

// A 1-d float64 array accepted without silent lossy casts: exact float64 C-contiguous arrays
// pass through without a copy; safe casts (int -> float, float32 -> float64, lists) copy;
// unsafe ones (complex, str) raise TypeError.
using DoubleArray = py::array_t<double, py::array::c_style>;
using IndexArray = py::array_t<Index, py::array::c_style>;

// Runs `f` with the GIL released and `mutex` held, in that order: taking the mutex while
// holding the GIL could deadlock against a thread that holds the mutex and waits for the GIL.
template <class F>
decltype(auto) without_gil(std::mutex& mutex, F&& f) {
  py::gil_scoped_release release;
  std::lock_guard<std::mutex> lock(mutex);
  return std::forward<F>(f)();
}

// Objects that are not thread-safe in C++ (Lca, Factorization: solves write scratch space
// inside them) carry a mutex in Python, so that two Python threads sharing one object take
// turns instead of corrupting it while the GIL is released.
template <class T>
struct Guarded {
  template <class... Args>
  explicit Guarded(Args&&... args) : value(std::forward<Args>(args)...) {}
  T value;
  std::mutex mutex;

  template <class F>
  decltype(auto) run(F&& f) {
    return without_gil(mutex, [&]() -> decltype(auto) { return std::forward<F>(f)(value); });
  }
};

// The Python classes hiili._core.Lca and hiili._core.Factorization hold these. Another binding
// file that takes a Python Lca (e.g. a Monte Carlo entry point) accepts `PyLca&` and works on
// `lca.value` inside `lca.run(...)`, which releases the GIL and takes the object's turn.
using PyLca = Guarded<Lca>;
using PyFactorization = Guarded<Factorization>;

}  // namespace hiili::python
