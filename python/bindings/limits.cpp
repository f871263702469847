// hiili/limits.hpp: the bounds, so that the Python layer names the same ranges as C++ and the
// CLI when a value does not even fit the C++ type (10**30, -1 for an unsigned seed).
#include "hiili/limits.hpp"

#include "bindings.hpp"

namespace hiili::python {

void bind_limits(py::module_& m) {
  m.def("max_threads", &max_threads,
        "The most worker threads one call may ask for: max(256, 8 x hardware threads).");
  m.def("check_threads", &check_threads, py::arg("threads"), py::arg("name") = "threads",
        "InvalidInputError unless threads is 0 (all cores) or in [1, max_threads()].");
  m.def("memory_limit_bytes", &memory_limit_bytes,
        "The memory hiili plans against: physical memory, the cgroup limit, or "
        "HIILI_MEMORY_LIMIT.");
  m.attr("SYNTH_MAX_SIZE") = kMaxSynthSize;
  m.attr("SYNTH_MAX_CATEGORIES") = kMaxSynthCategories;
}

}  // namespace hiili::python
