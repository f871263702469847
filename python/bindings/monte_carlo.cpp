// hiili::MonteCarlo and friends (monte_carlo.hpp), sampling of one distribution
// (distributions.hpp) and the parameter check (uncertainty.hpp).
//
// run() releases the GIL for the whole run. The engine calls its progress function on the
// calling thread between iterations; here that function briefly takes the GIL back, runs
// PyErr_CheckSignals (so Ctrl-C is seen within about 0.1 s plus one iteration) and the optional
// Python callback. A KeyboardInterrupt stops the run: run() returns (result, True) with the
// completed prefix, and hiili.MonteCarlo.run raises KeyboardInterrupt after keeping it.
#include "hiili/monte_carlo.hpp"

#include <pybind11/eigen.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>

#include "bindings.hpp"
#include "hiili/diagnostics.hpp"
#include "hiili/distributions.hpp"
#include "hiili/error.hpp"

namespace hiili::python {

namespace {

using PyMonteCarlo = Guarded<MonteCarlo>;

Uncertainty make_uncertainty(int type, double loc, double scale, double shape, double minimum,
                             double maximum, bool negative) {
  if (type < 0 || type > 255) throw InvalidInputError("uncertainty type must be in [0, 255]");
  Uncertainty u;
  u.type = static_cast<std::uint8_t>(type);
  u.loc = loc;
  u.scale = scale;
  u.shape = shape;
  u.minimum = minimum;
  u.maximum = maximum;
  u.negative = negative;
  return u;
}

SparseDemand sparse_demand(const IndexArray& indices, const DoubleArray& amounts) {
  if (indices.ndim() != 1 || amounts.ndim() != 1 || indices.size() != amounts.size())
    throw InvalidInputError("demand: indices and amounts must be 1-d and of equal length");
  SparseDemand d;
  d.reserve(static_cast<std::size_t>(indices.size()));
  for (py::ssize_t i = 0; i < indices.size(); ++i) d.emplace_back(indices.data()[i], amounts.data()[i]);
  return d;
}

// A writable numpy view of a column-major matrix owned by `owner`.
py::array matrix_view(Eigen::MatrixXd& m, py::handle owner) {
  const auto r = static_cast<py::ssize_t>(m.rows()), c = static_cast<py::ssize_t>(m.cols());
  return py::array_t<double>({r, c}, {static_cast<py::ssize_t>(sizeof(double)),
                                      static_cast<py::ssize_t>(sizeof(double)) * r},
                             m.data(), owner);
}


// ---- pickling (hiili.distributed ships results from workers): arrays, not lists ------------

template <class T>
py::array_t<T> to_array(const std::vector<T>& v) {
  py::array_t<T> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

template <class T>
std::vector<T> from_array(py::handle obj) {
  auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(obj);
  if (!a || a.ndim() != 1) throw InvalidInputError("pickled Monte Carlo state: expected a 1-d array");
  return std::vector<T>(a.data(), a.data() + a.size());
}

py::tuple statistics_state(const FlowStatistics& st) {
  FlowStatistics::State s = st.state();
  return py::make_tuple(s.reference, s.accuracy, s.bins, s.count, s.out_of_range, to_array(s.sum_hi),
                        to_array(s.sum_lo), to_array(s.sq_hi), to_array(s.sq_lo), to_array(s.min),
                        to_array(s.max), to_array(s.counts));
}

FlowStatistics statistics_from_state(const py::tuple& t) {
  if (t.size() != 12) throw InvalidInputError("pickled FlowStatistics: expected 12 fields");
  FlowStatistics::State s;
  s.reference = t[0].cast<Eigen::VectorXd>();
  s.accuracy = t[1].cast<double>();
  s.bins = t[2].cast<int>();
  s.count = t[3].cast<Index>();
  s.out_of_range = t[4].cast<Index>();
  s.sum_hi = from_array<double>(t[5]);
  s.sum_lo = from_array<double>(t[6]);
  s.sq_hi = from_array<double>(t[7]);
  s.sq_lo = from_array<double>(t[8]);
  s.min = from_array<double>(t[9]);
  s.max = from_array<double>(t[10]);
  s.counts = from_array<std::uint32_t>(t[11]);
  return FlowStatistics::from_state(std::move(s));
}

py::tuple report_state(const MonteCarloReport& r) {
  py::list counts;
  for (int q = 0; q < 3; ++q) counts.append(py::make_tuple(r.uncertain_entries[q], r.sampled_entries[q]));
  return py::make_tuple(r.activities, counts, r.threads, r.workers, r.iterations, r.failed,
                        py::make_tuple(r.seconds, r.setup_seconds, r.sample_seconds,
                                       r.factor_seconds, r.solve_seconds, r.score_seconds),
                        py::make_tuple(r.factorizations, r.refactors, r.refactor_fallbacks,
                                       r.refinements));
}

MonteCarloReport report_from_state(const py::tuple& t) {
  if (t.size() != 8) throw InvalidInputError("pickled MonteCarloReport: expected 8 fields");
  MonteCarloReport r;
  r.activities = t[0].cast<Index>();
  auto counts = t[1].cast<std::vector<std::pair<Index, Index>>>();
  for (std::size_t q = 0; q < 3 && q < counts.size(); ++q)
    std::tie(r.uncertain_entries[q], r.sampled_entries[q]) = counts[q];
  r.threads = t[2].cast<int>();
  r.workers = t[3].cast<int>();
  r.iterations = t[4].cast<Index>();
  r.failed = t[5].cast<Index>();
  std::tie(r.seconds, r.setup_seconds, r.sample_seconds, r.factor_seconds, r.solve_seconds,
           r.score_seconds) = t[6].cast<std::tuple<double, double, double, double, double, double>>();
  std::tie(r.factorizations, r.refactors, r.refactor_fallbacks, r.refinements) =
      t[7].cast<std::tuple<long, long, long, long>>();
  return r;
}

py::tuple result_state(const MonteCarloResult& r) {
  py::list scores, inventory, score_statistics;
  for (const auto& s : r.scores) scores.append(py::cast(s));
  for (const auto& st : r.inventory) inventory.append(statistics_state(st));
  for (const auto& st : r.score_statistics) score_statistics.append(statistics_state(st));
  return py::make_tuple(r.first_iteration, r.requested, r.completed, r.cancelled, scores,
                        to_array(r.failed), inventory, score_statistics, report_state(r.report));
}

MonteCarloResult result_from_state(const py::tuple& t) {
  if (t.size() != 9) throw InvalidInputError("pickled MonteCarloResult: expected 9 fields");
  MonteCarloResult r;
  r.first_iteration = t[0].cast<Index>();
  r.requested = t[1].cast<Index>();
  r.completed = t[2].cast<Index>();
  r.cancelled = t[3].cast<bool>();
  r.failed = from_array<Index>(t[5]);
  for (auto st : t[6].cast<py::list>()) r.inventory.push_back(statistics_from_state(st.cast<py::tuple>()));
  for (auto st : t[7].cast<py::list>())
    r.score_statistics.push_back(statistics_from_state(st.cast<py::tuple>()));
  const Index rows = r.scores_kept() ? r.completed : 0;
  for (auto s : t[4].cast<py::list>()) {
    r.scores.push_back(s.cast<Eigen::MatrixXd>());
    if (r.scores.back().rows() != rows)
      throw InvalidInputError("pickled MonteCarloResult: " + std::to_string(r.scores.back().rows()) +
                              " rows of scores, expected " + std::to_string(rows));
  }
  r.report = report_from_state(t[8].cast<py::tuple>());
  return r;
}

void bind_options(py::module_& m) {
  const MonteCarloOptions d;
  py::class_<MonteCarloOptions>(m, "MonteCarloOptions",
                                "Options of a Monte Carlo run (hiili::MonteCarloOptions).")
      .def(py::init([](std::uint64_t seed, int threads, const FactorizationOptions& factorization,
                       bool sample_technosphere, bool sample_biosphere,
                       bool sample_characterization, bool inventory_statistics,
                       double sketch_accuracy, int sketch_bins, Index chunk,
                       double progress_interval, bool keep_scores, Index stream_block) {
             MonteCarloOptions o;
             o.seed = seed;
             o.threads = threads;
             o.factorization = factorization;
             o.sample_technosphere = sample_technosphere;
             o.sample_biosphere = sample_biosphere;
             o.sample_characterization = sample_characterization;
             o.inventory_statistics = inventory_statistics;
             o.sketch_accuracy = sketch_accuracy;
             o.sketch_bins = sketch_bins;
             o.chunk = chunk;
             o.progress_interval = progress_interval;
             o.keep_scores = keep_scores;
             o.stream_block = stream_block;
             return o;
           }),
           py::kw_only(), py::arg("seed") = d.seed, py::arg("threads") = d.threads,
           py::arg("factorization") = d.factorization,
           py::arg("sample_technosphere") = d.sample_technosphere,
           py::arg("sample_biosphere") = d.sample_biosphere,
           py::arg("sample_characterization") = d.sample_characterization,
           py::arg("inventory_statistics") = d.inventory_statistics,
           py::arg("sketch_accuracy") = d.sketch_accuracy, py::arg("sketch_bins") = d.sketch_bins,
           py::arg("chunk") = d.chunk, py::arg("progress_interval") = d.progress_interval,
           py::arg("keep_scores") = d.keep_scores, py::arg("stream_block") = d.stream_block)
      .def_readwrite("seed", &MonteCarloOptions::seed)
      .def_readwrite("threads", &MonteCarloOptions::threads)
      .def_readwrite("factorization", &MonteCarloOptions::factorization)
      .def_readwrite("sample_technosphere", &MonteCarloOptions::sample_technosphere)
      .def_readwrite("sample_biosphere", &MonteCarloOptions::sample_biosphere)
      .def_readwrite("sample_characterization", &MonteCarloOptions::sample_characterization)
      .def_readwrite("inventory_statistics", &MonteCarloOptions::inventory_statistics)
      .def_readwrite("sketch_accuracy", &MonteCarloOptions::sketch_accuracy)
      .def_readwrite("sketch_bins", &MonteCarloOptions::sketch_bins)
      .def_readwrite("chunk", &MonteCarloOptions::chunk)
      .def_readwrite("progress_interval", &MonteCarloOptions::progress_interval)
      .def_readwrite("keep_scores", &MonteCarloOptions::keep_scores)
      .def_readwrite("stream_block", &MonteCarloOptions::stream_block);
}

void bind_statistics(py::module_& m) {
  py::class_<FlowStatistics>(m, "FlowStatistics",
                             "Streaming statistics of every inventory flow of one demand.")
      .def_property_readonly("flows", &FlowStatistics::flows)
      .def_property_readonly("count", &FlowStatistics::count)
      .def_property_readonly("relative_accuracy", &FlowStatistics::relative_accuracy)
      .def_property_readonly("out_of_range", &FlowStatistics::out_of_range)
      .def("mean", &FlowStatistics::mean)
      .def("variance", &FlowStatistics::variance)
      .def("std", &FlowStatistics::std)
      .def("min", &FlowStatistics::min)
      .def("max", &FlowStatistics::max)
      .def("quantile", &FlowStatistics::quantile, py::arg("q"),
           "Quantile q in [0, 1] of every flow from the sketch (relative accuracy "
           "relative_accuracy).")
      .def("merge", &FlowStatistics::merge, py::arg("other"))
      .def(py::pickle(&statistics_state, &statistics_from_state));

  py::class_<ScoreSummary>(m, "ScoreSummary",
                           "Statistics of a sample of scores (summarize_scores, "
                           "summarize_statistics): per category mean, std (n - 1), min, max, "
                           "and quantiles (categories x levels); count: the rows used.")
      .def_readonly("count", &ScoreSummary::count)
      .def_readonly("levels", &ScoreSummary::levels)
      .def_readonly("mean", &ScoreSummary::mean)
      .def_readonly("std", &ScoreSummary::std)
      .def_readonly("min", &ScoreSummary::min)
      .def_readonly("max", &ScoreSummary::max)
      .def_readonly("quantiles", &ScoreSummary::quantiles);
  m.def(
      "summarize_scores",
      [](const Eigen::MatrixXd& scores, const std::vector<double>& levels) {
        py::gil_scoped_release release;
        return summarize_scores(scores, levels);
      },
      py::arg("scores"), py::arg("levels"),
      "hiili::summarize_scores: statistics of an iterations x k sample, skipping rows with "
      "NaN; quantiles interpolate as numpy.quantile's default. InvalidInputError for a level "
      "outside [0, 1].");
  m.def("summarize_statistics", &summarize_statistics, py::arg("statistics"), py::arg("levels"),
        "hiili::summarize_statistics: the same summary from streaming statistics.");
}

void bind_report(py::module_& m) {
  py::class_<MonteCarloReport>(m, "MonteCarloReport", "What a run did (hiili::MonteCarloReport).")
      .def_readonly("activities", &MonteCarloReport::activities)
      .def_property_readonly("uncertain_entries",
                             [](const MonteCarloReport& r) {
                               return py::make_tuple(r.uncertain_entries[0], r.uncertain_entries[1],
                                                     r.uncertain_entries[2]);
                             })
      .def_property_readonly("sampled_entries",
                             [](const MonteCarloReport& r) {
                               return py::make_tuple(r.sampled_entries[0], r.sampled_entries[1],
                                                     r.sampled_entries[2]);
                             })
      .def_readonly("threads", &MonteCarloReport::threads)
      .def_readonly("workers", &MonteCarloReport::workers)
      .def_readonly("iterations", &MonteCarloReport::iterations)
      .def_readonly("failed", &MonteCarloReport::failed)
      .def_readonly("seconds", &MonteCarloReport::seconds)
      .def_readonly("setup_seconds", &MonteCarloReport::setup_seconds)
      .def_readonly("sample_seconds", &MonteCarloReport::sample_seconds)
      .def_readonly("factor_seconds", &MonteCarloReport::factor_seconds)
      .def_readonly("solve_seconds", &MonteCarloReport::solve_seconds)
      .def_readonly("score_seconds", &MonteCarloReport::score_seconds)
      .def_readonly("factorizations", &MonteCarloReport::factorizations)
      .def_readonly("refactors", &MonteCarloReport::refactors)
      .def_readonly("refactor_fallbacks", &MonteCarloReport::refactor_fallbacks)
      .def_readonly("refinements", &MonteCarloReport::refinements)
      .def("iterations_per_second", &MonteCarloReport::iterations_per_second)
      .def("brief", &MonteCarloReport::brief)
      .def(py::pickle(&report_state, &report_from_state));
}

void bind_result(py::module_& m) {
  py::class_<MonteCarloResult>(m, "MonteCarloResult",
                               "Scores per demand (iterations x k), failed iterations, statistics.")
      .def_readonly("first_iteration", &MonteCarloResult::first_iteration)
      .def_readwrite("requested", &MonteCarloResult::requested,
                     "Iterations asked for (settable: hiili.distributed joins pieces of a run).")
      .def_readonly("completed", &MonteCarloResult::completed)
      .def_readwrite("cancelled", &MonteCarloResult::cancelled,
                     "Stopped early (settable: hiili.distributed marks a cancelled run).")
      .def_property_readonly(
          "scores",
          [](py::object self) {
            auto& r = self.cast<MonteCarloResult&>();
            py::list out;
            for (auto& s : r.scores) out.append(matrix_view(s, self));
            return out;
          },
          "One array per demand: completed x k (views that keep the result alive).")
      .def_property_readonly(
          "failed",
          [](const MonteCarloResult& r) {
            py::array_t<Index> a(static_cast<py::ssize_t>(r.failed.size()));
            std::copy(r.failed.begin(), r.failed.end(), a.mutable_data());
            return a;
          },
          "Absolute iteration numbers whose A was singular or ill-conditioned (NaN scores).")
      .def_property_readonly(
          "inventory",
          [](py::object self) {
            auto& r = self.cast<MonteCarloResult&>();
            py::list out;
            for (auto& st : r.inventory)
              out.append(py::cast(&st, py::return_value_policy::reference_internal, self));
            return out;
          },
          "Per demand, when inventory_statistics was set: FlowStatistics (views into the result).")
      .def_property_readonly(
          "score_statistics",
          [](py::object self) {
            auto& r = self.cast<MonteCarloResult&>();
            py::list out;
            for (auto& st : r.score_statistics)
              out.append(py::cast(&st, py::return_value_policy::reference_internal, self));
            return out;
          },
          "Per demand, when keep_scores was False: FlowStatistics of the k scores.")
      .def_property_readonly("scores_kept", &MonteCarloResult::scores_kept)
      .def_readonly("report", &MonteCarloResult::report)
      .def("num_demands", &MonteCarloResult::num_demands)
      .def("difference", &MonteCarloResult::difference, py::arg("a"), py::arg("b"))
      .def("probability_less", &MonteCarloResult::probability_less, py::arg("a"), py::arg("b"))
      .def("append", &MonteCarloResult::append, py::arg("next"))
      .def(py::pickle(&result_state, &result_from_state),
           "Pickles scores, failed iterations, statistics and report (for hiili.distributed).");
}

void bind_engine(py::module_& m) {
  py::class_<PyMonteCarlo>(m, "MonteCarlo",
                           "Parallel, reproducible Monte Carlo on one model for one or more "
                           "demands (hiili::MonteCarlo). The constructor validates every "
                           "uncertain entry and factorises the deterministic system.")
      .def(py::init([](std::shared_ptr<Model> model, const py::list& demands,
                       const MonteCarloOptions& options) {
             if (!model) throw InvalidInputError("MonteCarlo: model is None");
             std::vector<SparseDemand> ds;
             for (py::handle item : demands) {
               auto pair = item.cast<py::tuple>();
               if (pair.size() != 2)
                 throw InvalidInputError("MonteCarlo: each demand is a pair (indices, amounts)");
               ds.push_back(sparse_demand(pair[0].cast<IndexArray>(), pair[1].cast<DoubleArray>()));
             }
             py::gil_scoped_release release;
             return std::make_unique<PyMonteCarlo>(std::shared_ptr<const Model>(std::move(model)),
                                                   std::move(ds), options);
           }),
           py::arg("model"), py::arg("demands"), py::arg("options") = MonteCarloOptions(),
           "demands: a list of (indices int64, amounts float64) pairs. InvalidInputError for "
           "bad demands or uncertainty parameters (naming the entry), SingularMatrixError when "
           "the deterministic A is singular.")
      .def_property_readonly("num_demands",
                             [](PyMonteCarlo& mc) { return mc.value.num_demands(); })
      .def_property_readonly("num_active", [](PyMonteCarlo& mc) { return mc.value.num_active(); })
      .def_property_readonly("deterministic_scores",
                             [](PyMonteCarlo& mc) { return mc.value.deterministic_scores(); })
      .def(
          "run",
          [](PyMonteCarlo& mc, Index iterations, Index first_iteration, py::object progress) {
            bool interrupted = false;
            std::optional<py::error_already_set> callback_error;
            ProgressFunction fn = [&](const MonteCarloProgress& p) -> bool {
              py::gil_scoped_acquire gil;
              if (PyErr_CheckSignals() != 0) {
                py::error_already_set e;  // fetches and clears the pending exception
                if (e.matches(PyExc_KeyboardInterrupt))
                  interrupted = true;
                else
                  callback_error.emplace(std::move(e));
                return false;
              }
              if (progress.is_none()) return true;
              try {
                py::object r = progress(p.completed, p.total, p.seconds);
                return r.is_none() || r.cast<bool>();
              } catch (py::error_already_set& e) {
                if (e.matches(PyExc_KeyboardInterrupt))
                  interrupted = true;
                else
                  callback_error.emplace(std::move(e));
                return false;
              }
            };
            MonteCarloResult result =
                mc.run([&](MonteCarlo& x) { return x.run(iterations, first_iteration, fn); });
            if (callback_error) throw std::move(*callback_error);
            return py::make_tuple(std::move(result), interrupted);
          },
          py::arg("iterations"), py::arg("first_iteration") = 0, py::arg("progress") = py::none(),
          "Runs iterations first_iteration .. first_iteration + iterations - 1 with the GIL "
          "released. progress(completed, total, seconds) is called on this thread about every "
          "progress_interval seconds; returning False stops the run. Returns (result, "
          "interrupted): interrupted is True when Ctrl-C stopped it (result holds the completed "
          "prefix).");
}

void bind_sampling(py::module_& m) {
  m.def(
      "sample_distribution",
      [](int type, double loc, double scale, double shape, double minimum, double maximum,
         bool negative, double amount, std::uint64_t seed, Index count,
         std::uint64_t first_iteration, std::uint64_t stream) {
        const Uncertainty u = make_uncertainty(type, loc, scale, shape, minimum, maximum, negative);
        std::vector<double> v;
        {
          py::gil_scoped_release release;
          v = sample_distribution(u, amount, seed, count, first_iteration, stream);
        }
        py::array_t<double> out(static_cast<py::ssize_t>(v.size()));
        std::copy(v.begin(), v.end(), out.mutable_data());
        return out;
      },
      py::kw_only(), py::arg("type"), py::arg("loc") = Uncertainty::kNaN,
      py::arg("scale") = Uncertainty::kNaN, py::arg("shape") = Uncertainty::kNaN,
      py::arg("minimum") = Uncertainty::kNaN, py::arg("maximum") = Uncertainty::kNaN,
      py::arg("negative") = false, py::arg("amount") = 0.0, py::arg("seed") = 0,
      py::arg("count") = 1, py::arg("first_iteration") = 0, py::arg("stream") = 0,
      "`count` draws of one stats_arrays distribution, as a Monte Carlo run draws them for the "
      "entry with this stream id in iterations first_iteration, first_iteration + 1, ...");

  m.def(
      "stream_id",
      [](MatrixKind kind, Index entry) {
        if (entry < 0 || entry >= (Index(1) << 62))
          throw InvalidInputError("entry must be in [0, 2^62), got " + std::to_string(entry));
        return stream_id(kind, entry);
      },
      py::arg("kind"), py::arg("entry"),
      "The random stream of entry `entry` of matrix `kind` in a Monte Carlo run (what "
      "sample_distribution's `stream` takes to draw that entry's values).");

  m.def(
      "sampled_values",
      [](const Model& model, MatrixKind kind, std::uint64_t seed, std::uint64_t iteration) {
        std::vector<double> v;
        {
          py::gil_scoped_release release;
          v = sampled_values(model, kind, seed, iteration);
        }
        py::array_t<double> out(static_cast<py::ssize_t>(v.size()));
        std::copy(v.begin(), v.end(), out.mutable_data());
        return out;
      },
      py::arg("model"), py::arg("kind"), py::arg("seed"), py::arg("iteration"),
      "The values of matrix `kind`'s CSC slots in iteration `iteration` of a Monte Carlo run "
      "with `seed`, as MonteCarlo draws them (hiili::sampled_values).");

  m.def(
      "check_uncertainty",
      [](int type, double loc, double scale, double shape, double minimum, double maximum,
         bool negative) {
        return check_uncertainty(make_uncertainty(type, loc, scale, shape, minimum, maximum, negative));
      },
      py::kw_only(), py::arg("type"), py::arg("loc") = Uncertainty::kNaN,
      py::arg("scale") = Uncertainty::kNaN, py::arg("shape") = Uncertainty::kNaN,
      py::arg("minimum") = Uncertainty::kNaN, py::arg("maximum") = Uncertainty::kNaN,
      py::arg("negative") = false, "What is wrong with these parameters, or '' when valid.");

  m.def(
      "with_uncertainty",
      [](std::shared_ptr<Model> model, MatrixKind kind, const py::array_t<std::uint8_t>& type,
         const DoubleArray& loc, const DoubleArray& scale, const DoubleArray& shape,
         const DoubleArray& minimum, const DoubleArray& maximum,
         const py::array_t<bool>& negative) {
        if (!model) throw InvalidInputError("with_uncertainty: model is None");
        const py::ssize_t n = type.size();
        for (py::ssize_t s : {loc.size(), scale.size(), shape.size(), minimum.size(),
                              maximum.size(), negative.size()})
          if (s != n) throw InvalidInputError("with_uncertainty: arrays of different lengths");
        std::vector<Uncertainty> us(static_cast<std::size_t>(n));
        for (py::ssize_t i = 0; i < n; ++i) {
          Uncertainty& u = us[static_cast<std::size_t>(i)];
          u.type = type.data()[i];
          u.loc = loc.data()[i];
          u.scale = scale.data()[i];
          u.shape = shape.data()[i];
          u.minimum = minimum.data()[i];
          u.maximum = maximum.data()[i];
          u.negative = negative.data()[i];
        }
        py::gil_scoped_release release;
        return std::make_shared<Model>(with_uncertainty(*model, kind, std::move(us)));
      },
      py::arg("model"), py::arg("kind"), py::arg("type"), py::arg("loc"), py::arg("scale"),
      py::arg("shape"), py::arg("minimum"), py::arg("maximum"), py::arg("negative"),
      "A copy of the model whose entries of one matrix carry this uncertainty (one value per "
      "entry in entry order; empty arrays remove it).");

  // diagnostics.hpp: uncertainty
  m.def("no_uncertainty_warning", &no_uncertainty_warning, py::arg("report"),
        "'' when the run drew an entry; else the warning's text.");
}

}  // namespace

void bind_monte_carlo(py::module_& m) {
  bind_options(m);
  bind_statistics(m);
  bind_report(m);
  bind_result(m);
  bind_engine(m);
  bind_sampling(m);
}

}  // namespace hiili::python
