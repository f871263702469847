// Fill-reducing orderings of one diagonal block for KLU's user-ordering hook: AMD (with
// hiili's dense-row threshold), METIS nested dissection, and the cheap estimate that picks
// between them (FactorizationOptions::ordering = Auto).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hiili/solver.hpp"

namespace hiili::detail {

// The pattern of A + A^T without the diagonal, in METIS's 32-bit CSR form.
struct SymmetricGraph {
  std::int32_t n = 0;
  std::vector<std::int32_t> xadj;    // n + 1
  std::vector<std::int32_t> adjncy;  // each edge twice, no duplicates, no self loops
};

// Whether a block of n columns and nnz entries fits METIS's 32-bit indices.
bool fits_metis(Index n, Index nnz);
// Throws InvalidInputError when the block does not fit METIS's 32-bit indices.
SymmetricGraph symmetric_graph(Index n, const Index* Ap, const Index* Ai);

// What an ordering predicts for the Cholesky factor of A + A^T in its order: nonzeros of L
// (with the diagonal) and multiply-adds (the sum of squared column counts). Exact for the
// symmetric pattern; an estimate of LU's fill and work without pivoting.
struct FillEstimate {
  double lnz = 0.0;
  double flops = 0.0;
};
FillEstimate estimate_fill(const SymmetricGraph& g, const Index* perm);

// The outcome of one ordering call: status follows AMD's codes (AMD_OK = 0, negative on
// failure); lnz is AMD's or the estimate's nonzeros of L with the diagonal.
struct BlockOrder {
  int status = 0;
  double lnz = 0.0;
};
BlockOrder amd_order(Index n, const Index* Ap, const Index* Ai, Index* perm, double dense);

// FactorizationOptions::amd_dense = 0 (kAmdDenseAuto): AMD's dense-row threshold chosen per
// block from its pattern. AMD keeps a row while its degree in A + A^T is at most
// max(16, dense * sqrt(n)). The rows that threshold 2 keeps and threshold 1 drops (the "band")
// cost AMD little when they are linked to few other high-degree rows (ecoinvent-like cores:
// 1-5 links per band row, and no band at all from n = 50,000) and make its degree updates
// nearly quadratic when the hubs supply each other (stress-like cores; AMD 1.6-2.7x slower at
// 2 than at 1). Each link costs AMD about one more pass over a band row's neighbours, at least
// sqrt(n) of them, so the rule weighs links x sqrt(n) per band row: kDenseCoupled when
// links * sqrt(n) > kCoupledWork * band_rows, else kDenseApart, which is also kept on blocks
// under kAutoDenseMinBlock: there threshold 1's extra fill costs the factorisation about what
// it saves the analysis, and every refactor 15-30 %. A fixed count of links per band row (20,
// session 8) missed the stress cores of n = 300,000 and 1,000,000 (12.6 and 7.4 links per
// band row on cores of 120,000 and 400,000, where threshold 1 makes the analysis 1.6x
// faster): the hubs' links spread over more rows as n grows while each band row's
// neighbours grow with sqrt(n) (bench/what_was_tried.md, sessions 8 and 9).
// kCoupledWork = 1,250 is the old 20 links per band row at the smallest block the rule
// looks at (20 x sqrt(4,000) = 1,265).
inline constexpr double kAmdDenseAuto = 0.0;
inline constexpr double kDenseApart = 2.0;
inline constexpr double kDenseCoupled = 1.0;
inline constexpr double kCoupledWork = 1250.0;
inline constexpr Index kAutoDenseMinBlock = 4000;
// The rule's revision, part of the analysis cache's key when amd_dense is by rule: a file
// written under another revision of the rule holds another order and is a miss.
inline constexpr std::uint32_t kAmdDenseRuleRevision = 2;

struct DenseChoice {
  double dense = kDenseApart;
  Index band_rows = 0;  // rows of the band (0 on a block under kAutoDenseMinBlock)
  Index links = 0;      // entries between a band row and a row above the low limit
};
DenseChoice choose_amd_dense(Index n, const Index* Ap, const Index* Ai);
// METIS_NodeND on A + A^T (fixed seed: the same order on every run).
BlockOrder metis_order(const SymmetricGraph& g, Index* perm);

// Ordering::Auto tries METIS only on a block of at least kAutoMetisMinBlock whose AMD order
// predicts more than kAutoMetisFill times the block's nonzeros in L: nested dissection pays
// only on large blocks that fill in heavily, and METIS takes 2-7x AMD's time on the synth
// cores, where it never won (their ratio: ecoinvent 3-5, stress 6-10 up to n = 100,000;
// bench/what_was_tried.md, "Orderings").
// Ordering::Metis orders every block of 3 or more by METIS.
inline constexpr Index kAutoMetisMinBlock = 2000;
inline constexpr double kAutoMetisFill = 10.0;

}  // namespace hiili::detail
