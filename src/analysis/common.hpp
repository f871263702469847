// Internals shared by the analyses (never installed).
#pragma once

#include <Eigen/Core>
#include <cmath>
#include <span>
#include <string>

#include "hiili/error.hpp"
#include "hiili/lca.hpp"
#include "hiili/model.hpp"
#include "hiili/sparse.hpp"

namespace hiili::analysis {

inline std::span<const double> span_of(const Eigen::VectorXd& v) {
  return {v.data(), static_cast<std::size_t>(v.size())};
}

// Slot of entry (row, col) in M's value array, or -1 when it is not stored.
Index find_slot(const CscMatrix& M, Index row, Index col);

// A's diagonal (0 where not stored).
Eigen::VectorXd diagonal(const CscMatrix& A);

// The analyses read the model's A, B and C; the Lca solves with the values it last
// factorized. They differ after Lca::update_technosphere: refuse instead of answering with a
// mix of two matrices.
void require_factorization_matches(const Lca& lca, const char* what);

inline void require_category(const Model& model, Index category, const char* what) {
  if (model.num_categories() == 0)
    throw InvalidInputError(std::string(what) + ": the model has no impact categories");
  if (category < 0 || category >= model.num_categories())
    throw InvalidInputError(std::string(what) + ": category " + std::to_string(category) +
                            " out of range [0, " + std::to_string(model.num_categories()) + ")");
}

inline std::string fmt_index(Index i) { return std::to_string(i); }

}  // namespace hiili::analysis
