// hiili::FactorizationOptions, FactorizationReport, Factorization (solver.hpp).
#include "hiili/solver.hpp"

#include <pybind11/eigen.h>
#include <pybind11/native_enum.h>
#include <pybind11/stl.h>

#include <memory>
#include <span>
#include <string>

#include "bindings.hpp"
#include "hiili/diagnostics.hpp"
#include "hiili/error.hpp"

namespace hiili::python {

namespace {

std::span<const double> vector_span(const DoubleArray& a, const char* what) {
  if (a.ndim() != 1)
    throw InvalidInputError(std::string(what) + " must be 1-d, got " + std::to_string(a.ndim()) +
                            " dimensions");
  return {a.data(), static_cast<std::size_t>(a.size())};
}

void bind_enums(py::module_& m) {
  py::native_enum<Backend>(m, "Backend", "enum.Enum")
      .value("Klu", Backend::Klu)
      .value("Umfpack", Backend::Umfpack)
      .value("Eigen", Backend::Eigen)
      .finalize();
  py::native_enum<Ordering>(m, "Ordering", "enum.Enum")
      .value("Amd", Ordering::Amd)
      .value("Colamd", Ordering::Colamd)
      .value("Metis", Ordering::Metis)
      .value("Auto", Ordering::Auto)
      .finalize();
  m.def("to_string", py::overload_cast<Backend>(&to_string), py::arg("backend"));
  m.def("backend_from_string", &backend_from_string, py::arg("name"),
        "'klu', 'umfpack' or 'eigen' (case-insensitive); InvalidInputError otherwise.");
}

void bind_factorization_options(py::module_& m) {
  const FactorizationOptions defaults;
  py::class_<FactorizationOptions>(m, "FactorizationOptions")
      .def(py::init([](Backend backend, Ordering ordering, bool btf, double refine_tolerance,
                       double residual_tolerance, double singular_rcond,
                       double refactor_rcond_ratio, double amd_dense, bool static_refactor,
                       bool static_factor, Index static_solve_after, int refactor_threads,
                       std::string analysis_cache) {
             FactorizationOptions o;
             o.backend = backend;
             o.ordering = ordering;
             o.btf = btf;
             o.refine_tolerance = refine_tolerance;
             o.residual_tolerance = residual_tolerance;
             o.singular_rcond = singular_rcond;
             o.refactor_rcond_ratio = refactor_rcond_ratio;
             o.amd_dense = amd_dense;
             o.static_refactor = static_refactor;
             o.static_factor = static_factor;
             o.static_solve_after = static_solve_after;
             o.refactor_threads = refactor_threads;
             o.analysis_cache = std::move(analysis_cache);
             return o;
           }),
           py::kw_only(), py::arg("backend") = defaults.backend,
           py::arg("ordering") = defaults.ordering, py::arg("btf") = defaults.btf,
           py::arg("refine_tolerance") = defaults.refine_tolerance,
           py::arg("residual_tolerance") = defaults.residual_tolerance,
           py::arg("singular_rcond") = defaults.singular_rcond,
           py::arg("refactor_rcond_ratio") = defaults.refactor_rcond_ratio,
           py::arg("amd_dense") = defaults.amd_dense,
           py::arg("static_refactor") = defaults.static_refactor,
           py::arg("static_factor") = defaults.static_factor,
           py::arg("static_solve_after") = defaults.static_solve_after,
           py::arg("refactor_threads") = defaults.refactor_threads,
           py::arg("analysis_cache") = defaults.analysis_cache)
      .def_readwrite("backend", &FactorizationOptions::backend)
      .def_readwrite("ordering", &FactorizationOptions::ordering)
      .def_readwrite("btf", &FactorizationOptions::btf)
      .def_readwrite("refine_tolerance", &FactorizationOptions::refine_tolerance)
      .def_readwrite("residual_tolerance", &FactorizationOptions::residual_tolerance)
      .def_readwrite("singular_rcond", &FactorizationOptions::singular_rcond)
      .def_readwrite("refactor_rcond_ratio", &FactorizationOptions::refactor_rcond_ratio)
      .def_readwrite("amd_dense", &FactorizationOptions::amd_dense)
      .def_readwrite("static_refactor", &FactorizationOptions::static_refactor)
      .def_readwrite("static_factor", &FactorizationOptions::static_factor)
      .def_readwrite("static_solve_after", &FactorizationOptions::static_solve_after)
      .def_readwrite("refactor_threads", &FactorizationOptions::refactor_threads)
      .def_readwrite("analysis_cache", &FactorizationOptions::analysis_cache)
      .def("__repr__", [](const FactorizationOptions& o) {
        return std::string("FactorizationOptions(backend=") + to_string(o.backend) +
               ", ordering=" + to_string(o.ordering) +
               ", btf=" + (o.btf ? "True" : "False") +
               ", refine_tolerance=" + std::to_string(o.refine_tolerance) +
               ", residual_tolerance=" + std::to_string(o.residual_tolerance) +
               ", singular_rcond=" + std::to_string(o.singular_rcond) +
               ", refactor_rcond_ratio=" + std::to_string(o.refactor_rcond_ratio) +
               ", amd_dense=" + std::to_string(o.amd_dense) +
               ", static_refactor=" + (o.static_refactor ? "True" : "False") +
               ", static_factor=" + (o.static_factor ? "True" : "False") +
               ", static_solve_after=" + std::to_string(o.static_solve_after) +
               ", refactor_threads=" + std::to_string(o.refactor_threads) +
               ", analysis_cache=" + py::repr(py::str(o.analysis_cache)).cast<std::string>() + ")";
      });
}

void bind_factorization_report(py::module_& m) {
  py::class_<FactorizationReport>(m, "FactorizationReport",
                                  "What the last analysis / factorisation did.")
      .def_readonly("backend", &FactorizationReport::backend)
      .def_readonly("n", &FactorizationReport::n)
      .def_readonly("nnz", &FactorizationReport::nnz)
      .def_readonly("nnz_factors", &FactorizationReport::nnz_factors)
      .def_readonly("blocks", &FactorizationReport::blocks)
      .def_readonly("max_block", &FactorizationReport::max_block)
      .def_readonly("rcond", &FactorizationReport::rcond)
      .def_readonly("ordering", &FactorizationReport::ordering)
      .def_property_readonly(
          "metis_blocks", [](const FactorizationReport& r) { return r.orderings.metis_blocks; },
          "KLU: diagonal blocks the analysis ordered by METIS (ordering metis or auto).")
      .def_property_readonly(
          "ordering_flops",
          [](const FactorizationReport& r) {
            return py::make_tuple(r.orderings.amd_flops, r.orderings.metis_flops);
          },
          "ordering auto: predicted multiply-adds (AMD, METIS) on the blocks where both ran.")
      .def_property_readonly(
          "amd_dense", [](const FactorizationReport& r) { return r.orderings.amd_dense; },
          "KLU: AMD's dense-row threshold on the largest block (amd_dense = 0: the rule's "
          "choice, 2 or 1).")
      .def_property_readonly(
          "coupled_blocks", [](const FactorizationReport& r) { return r.orderings.coupled_blocks; },
          "KLU, amd_dense = 0: blocks whose linked hubs made the rule lower AMD's threshold to 1.")
      .def_readonly("analyze_seconds", &FactorizationReport::analyze_seconds)
      .def_readonly("factor_seconds", &FactorizationReport::factor_seconds)
      .def_readonly("factorizations", &FactorizationReport::factorizations)
      .def_readonly("refactors", &FactorizationReport::refactors)
      .def_readonly("refactor_fallbacks", &FactorizationReport::refactor_fallbacks)
      .def_readonly("static_refactors", &FactorizationReport::static_refactors)
      .def_readonly("dense_columns", &FactorizationReport::dense_columns)
      .def_readonly("static_solves", &FactorizationReport::static_solves)
      .def_readonly("static_factor", &FactorizationReport::static_factor,
                    "The last full factorisation ran on the static kernel (option static_factor).")
      .def_readonly("static_factor_fallbacks", &FactorizationReport::static_factor_fallbacks,
                    "Full factorisations sent to the static kernel whose pivots it refused "
                    "(KLU factorized them).")
      .def_readonly("refinements", &FactorizationReport::refinements)
      .def_readonly("last_residual", &FactorizationReport::last_residual)
      .def_property_readonly(
          "cache", [](const FactorizationReport& r) { return to_string(r.cache.outcome); },
          "What the analysis cache did: 'off', 'hit', 'stored' or 'miss'.")
      .def_property_readonly(
          "cache_path", [](const FactorizationReport& r) { return r.cache.path; },
          "The analysis cache file of this pattern and options ('' when off).")
      .def_property_readonly(
          "cache_warning", [](const FactorizationReport& r) { return r.cache.warning; },
          "Why a cache file was rejected or not written; '' when all went well.")
      .def("brief", &FactorizationReport::brief, "One line for logs.")
      .def("__repr__", [](const FactorizationReport& r) { return "<" + r.brief() + ">"; });
}

void bind_factorization(py::module_& m) {
  // A Factorization of a bare matrix, for users who solve their own systems. Not thread-safe
  // in C++; in Python calls on one object take turns (see Guarded).
  py::class_<PyFactorization>(m, "Factorization",
                              "Sparse LU of a square matrix: factorize / refactor / solve / "
                              "solve_transposed.")
      .def(py::init([](py::handle A, const FactorizationOptions& options) {
             CscMatrix a = csc_from_python(A, "A");
             py::gil_scoped_release release;
             return std::make_unique<PyFactorization>(a, options);
           }),
           py::arg("A"), py::arg("options") = FactorizationOptions(),
           "Analyses and factorizes A (scipy.sparse CSC, float64).")
      .def_property_readonly("n", [](PyFactorization& f) { return f.value.n(); })
      .def_property_readonly("is_factorized",
                             [](PyFactorization& f) {
                               return f.run([](Factorization& x) { return x.is_factorized(); });
                             })
      .def(
          "factorize",
          [](PyFactorization& f, const DoubleArray& values) {
            auto v = vector_span(values, "values");
            f.run([&](Factorization& x) { x.factorize(v); });
          },
          py::arg("values"), "Full numeric factorisation with new values (pattern's CSC order).")
      .def(
          "refactor",
          [](PyFactorization& f, const DoubleArray& values) {
            auto v = vector_span(values, "values");
            f.run([&](Factorization& x) { x.refactor(v); });
          },
          py::arg("values"), "Same pattern, new values, reusing the pivot order where possible.")
      .def(
          "solve",
          [](PyFactorization& f, const DoubleArray& b) {
            auto v = vector_span(b, "b");
            return f.run([&](Factorization& x) { return x.solve(v); });
          },
          py::arg("b"), "x = A^-1 b")
      .def(
          "solve_transposed",
          [](PyFactorization& f, const DoubleArray& b) {
            auto v = vector_span(b, "b");
            return f.run([&](Factorization& x) { return x.solve_transposed(v); });
          },
          py::arg("b"), "x = A^-T b")
      .def(
          "solve_many",
          [](PyFactorization& f, Eigen::MatrixXd X, bool transposed) {
            f.run([&](Factorization& x) { x.solve_many_in_place(X, transposed); });
            return X;
          },
          py::arg("B").noconvert(), py::arg("transposed") = false,
          "X = A^-1 B for a float64 n x d matrix B (one solve per column).")
      .def("rcond",
           [](PyFactorization& f) { return f.run([](Factorization& x) { return x.rcond(); }); })
      .def("condition_estimate",
           [](PyFactorization& f) {
             return f.run([](Factorization& x) { return x.condition_estimate(); });
           })
      .def_property_readonly("report", [](PyFactorization& f) {
        return f.run([](Factorization& x) { return x.report(); });
      });
}

void bind_conditioning(py::module_& m) {
  // diagnostics.hpp: conditioning
  m.attr("ILL_CONDITIONED_THRESHOLD") = kIllConditionedThreshold;
  m.def("is_ill_conditioned", &is_ill_conditioned, py::arg("condition_estimate"));
  m.def("condition_warning", &condition_warning, py::arg("condition_estimate"),
        "'' when the estimate is at most ILL_CONDITIONED_THRESHOLD; else the warning's text.");
}

}  // namespace

void bind_solver(py::module_& m) {
  bind_enums(m);
  bind_factorization_options(m);
  bind_factorization_report(m);
  bind_factorization(m);
  bind_conditioning(m);
}

}  // namespace hiili::python
