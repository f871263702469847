// hiili::SynthOptions, hiili::synth (synth.hpp).
#include "hiili/synth.hpp"

#include <memory>
#include <string>

#include "bindings.hpp"

namespace hiili::python {

void bind_synth(py::module_& m) {
  const SynthOptions d;
  py::class_<SynthOptions>(m, "SynthOptions",
                           "Options of the seeded LCA system generator; m = -1 means n / 8; family "
                           "'ecoinvent' (realistic, the default) or 'stress'.")
      .def(py::init([](Index n, Index m, Index k, std::uint64_t seed, const std::string& family,
                       double core_fraction, double mean_inputs, double mean_flows,
                       bool uncertainty) {
             SynthOptions o;
             o.family = synth_family_from_string(family);
             o.n = n;
             o.m = m;
             o.k = k;
             o.seed = seed;
             o.core_fraction = core_fraction;
             o.mean_inputs = mean_inputs;
             o.mean_flows = mean_flows;
             o.uncertainty = uncertainty;
             return o;
           }),
           py::kw_only(), py::arg("n") = d.n, py::arg("m") = d.m, py::arg("k") = d.k,
           py::arg("seed") = d.seed, py::arg("family") = std::string(synth_family_name(d.family)),
           py::arg("core_fraction") = d.core_fraction, py::arg("mean_inputs") = d.mean_inputs,
           py::arg("mean_flows") = d.mean_flows, py::arg("uncertainty") = d.uncertainty)
      .def_readwrite("n", &SynthOptions::n)
      .def_readwrite("m", &SynthOptions::m)
      .def_readwrite("k", &SynthOptions::k)
      .def_readwrite("seed", &SynthOptions::seed)
      .def_property(
          "family", [](const SynthOptions& o) { return std::string(synth_family_name(o.family)); },
          [](SynthOptions& o, const std::string& name) {
            o.family = synth_family_from_string(name);
          })
      .def_readwrite("core_fraction", &SynthOptions::core_fraction)
      .def_readwrite("mean_inputs", &SynthOptions::mean_inputs)
      .def_readwrite("mean_flows", &SynthOptions::mean_flows)
      .def_readwrite("uncertainty", &SynthOptions::uncertainty);

  m.def(
      "synth",
      [](const SynthOptions& options) {
        py::gil_scoped_release release;
        return std::make_shared<Model>(synth(options));
      },
      py::arg("options") = SynthOptions(),
      "A seeded LCA system (family 'ecoinvent' or 'stress'); the same options give the same "
      "model on any machine. InvalidInputError for n < 1, k < 0, fractions outside [0, 1] or "
      "an unknown family.");
}

}  // namespace hiili::python
