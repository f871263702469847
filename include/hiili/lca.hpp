// hiili/lca.hpp: life cycle inventory and impact assessment on one factorisation.
//
//   supply     s = A^-1 f          (scaling of every activity)
//   inventory  g = B s             (emissions and resource uses)
//   scores     h = C g             (impact per category)
//
// An Lca analyses and factorizes A once (in its constructor) and answers any number of
// demands from that factorisation. activity_scores() gives the cumulative score of one unit
// of every activity in every category with k transposed solves A^T y_q = B^T c_q (the adjoint),
// never n forward solves.
//
// Thread safety: an Lca is not thread-safe (its Factorization holds solve scratch space).
// Use one Lca per thread, or one SymbolicAnalysis shared by per-thread Factorizations.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hiili/demand.hpp"
#include "hiili/model.hpp"
#include "hiili/solver.hpp"

namespace hiili {

struct LcaResult {
  Eigen::VectorXd supply;     // s, n
  Eigen::VectorXd inventory;  // g, m
  Eigen::VectorXd scores;     // h, k
};

// Results for d demands at once: one column per demand.
struct LcaResults {
  Eigen::MatrixXd supply;     // n x d
  Eigen::MatrixXd inventory;  // m x d
  Eigen::MatrixXd scores;     // k x d
};

class Lca {
 public:
  // Analyses and factorizes model->A(). Throws InvalidInputError for an empty or malformed
  // model, SingularMatrixError when A is singular.
  explicit Lca(std::shared_ptr<const Model> model, const FactorizationOptions& options = {});
  explicit Lca(Model model, const FactorizationOptions& options = {});

  const Model& model() const { return *model_; }
  const std::shared_ptr<const Model>& shared_model() const { return model_; }
  Factorization& factorization() { return factorization_; }
  const FactorizationReport& report() const { return factorization_.report(); }

  // Dense demand of length n. Throws InvalidInputError for a wrong length, NaN/Inf, or an
  // all-zero demand (EmptyDemand: nothing to solve for).
  LcaResult solve(std::span<const double> demand);
  LcaResult solve(const SparseDemand& demand);
  // F is n x d, one demand per column.
  LcaResults solve_many(const Eigen::MatrixXd& demands);

  // k x n: entry (q, j) is the score in category q of producing one unit of activity j's
  // product, including its whole supply chain.
  Eigen::MatrixXd activity_scores();

  // Replaces A's values (same pattern, CSC order) and refactors; B and C stay.
  void update_technosphere(std::span<const double> values);

  // Whether the factorisation holds the model's A: false after update_technosphere (or a
  // refactor through factorization()) with other values. The analyses, which read the
  // model's A, B and C, require it. Compares the values (one pass, no solve).
  bool factorization_matches_model() const;

  // Throws InvalidInputError unless `demand` has n entries, all finite, not all zero.
  void check_demand(std::span<const double> demand) const;

  // The dense demand vector for a sparse one (checks indices and values).
  Eigen::VectorXd dense_demand(const SparseDemand& demand) const;

 private:
  void finish(LcaResult& result) const;
  std::shared_ptr<const Model> model_;
  Factorization factorization_;
};

}  // namespace hiili
