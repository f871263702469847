// hiili/sensitivity.hpp: how one score responds to every entry of A, B and C.
//
// For h_q = c_q^T B A^-1 f, with s = A^-1 f, g = B s and the adjoint A^T y = B^T c_q
// (one transposed solve, shared with contribution.hpp's ScoreAnalysis):
//
//   dh/dA_ij = -y_i s_j        (every stored entry of A, the diagonal included)
//   dh/dB_fj =  c_qf s_j
//   dh/dC_pf =  g_f  for p = q, 0 for the other categories
//
// The derivatives come as sparse matrices with exactly the patterns of the model's A, B
// and C (explicit zeros kept), so they line up with model.A().values slot by slot. The
// elasticity of an entry x is dh/dx * x / h: the relative change of the score for a
// relative change of the entry (NaN when h is 0). top() ranks entries by |elasticity|.
//
// All derivatives of one score cost one transposed solve plus a pass over the nonzeros.
//
// Thread safety: a Sensitivity is an immutable value; sensitivity(Lca&, ...) solves with
// the Lca's factorisation (one thread per Lca).
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "hiili/contribution.hpp"
#include "hiili/lca.hpp"
#include "hiili/model.hpp"
#include "hiili/sparse.hpp"

namespace hiili {

// One entry of A, B or C with its derivative and elasticity.
struct SensitivityEntry {
  MatrixKind matrix = MatrixKind::Technosphere;
  Index row = 0;
  Index col = 0;
  double value = 0.0;       // the entry's value in the model
  double derivative = 0.0;  // dh/dx
  double elasticity = 0.0;  // dh/dx * x / h
};

struct Sensitivity {
  std::shared_ptr<const Model> model;
  Index category = 0;
  double score = 0.0;         // h_q
  Eigen::VectorXd supply;     // s (n)
  Eigen::VectorXd inventory;  // g (m)
  Eigen::VectorXd adjoint;    // y (n)
  CscMatrix A;                // dh/dA, pattern of model->A()
  CscMatrix B;                // dh/dB, pattern of model->B()
  CscMatrix C;                // dh/dC, pattern of model->C() (zero outside row `category`)

  const CscMatrix& derivatives(MatrixKind kind) const;

  // The `count` entries with the largest |elasticity| (ties: larger |derivative * value|,
  // then A before B before C, then by column and row), over the matrices whose flags are
  // set. Entries whose elasticity is 0 are never listed. count < 0: all nonzero ones.
  std::vector<SensitivityEntry> top(Index count, bool technosphere = true, bool biosphere = true,
                                    bool characterization = true) const;
};

// All derivatives of the score of `category` for `demand`.
// Throws as analyze_score() (contribution.hpp).
Sensitivity sensitivity(Lca& lca, std::span<const double> demand, Index category);
Sensitivity sensitivity(Lca& lca, const SparseDemand& demand, Index category);
// From an existing analysis of lca's model (no solve). Throws InvalidInputError when the
// analysis does not fit the model's sizes.
Sensitivity sensitivity(std::shared_ptr<const Model> model, const ScoreAnalysis& analysis);

}  // namespace hiili
