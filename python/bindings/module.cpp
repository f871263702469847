// The hiili._core extension module: thin bindings of the public C++ API, one bind_* per header.
// Friendly signatures, pandas and label lookup live in python/hiili/*.py.
#include "bindings.hpp"
#include "hiili/version.hpp"

PYBIND11_MODULE(_core, m) {
  namespace hp = hiili::python;
  m.doc() = "hiili's C++ core (pybind11). Use the hiili package rather than this module.";
  m.attr("__version__") = hiili::kVersion;

  hp::bind_errors(m);  // first: the others' docstrings and defaults may raise
  hp::bind_sparse(m);
  hp::bind_model(m);
  hp::bind_solver(m);
  hp::bind_lca(m);
  hp::bind_synth(m);
  hp::bind_io(m);
  hp::bind_monte_carlo(m);
  hp::bind_analysis(m);
  hp::bind_limits(m);
}
