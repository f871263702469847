// hiili/demand.hpp: demands as readers and solvers share them, without the solver.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "hiili/sparse.hpp"

namespace hiili {

// A sparse demand: (activity index, amount) pairs. Repeated indices add up.
using SparseDemand = std::vector<std::pair<Index, double>>;

// A demand a model's source names (an openLCA product system: its reference process and
// target amount).
struct NamedDemand {
  std::string id;
  std::string name;
  SparseDemand demand;
};

}  // namespace hiili
