// Symbolic LU without row exchanges: the exact patterns of L and U of B = A(P, Q) factored
// block by block (BTF blocks [R[b], R[b+1])) with the diagonal pivots, as the static-pivot
// kernel (static_lu.hpp) wants them. Gilbert-Peierls: column j's pattern is the reach of A's
// column in the graph of the columns of L computed so far, with Eisenstat-Liu symmetric
// pruning (a column k of L with L(j, k) and U(k, j) both nonzero is searched only down to row
// j afterwards) so that the search stays near O(nnz(L + U)) rather than the elimination's
// flop count.
#pragma once

#include <vector>

#include "hiili/sparse.hpp"

namespace hiili::detail {

struct SymbolicLu {
  // CSC in the permuted numbering, n + 1 pointers, rows unsorted, no diagonal entries:
  // L strictly below and U strictly above the diagonal, inside each diagonal block.
  std::vector<Index> Lp, Li, Up, Ui;
  // -1, or the first permuted column whose diagonal entry is structurally zero after the
  // elimination (no LU without row exchanges exists; the patterns are then incomplete).
  Index zero_pivot = -1;
};

// P, Q: row and column permutations (B(i, j) = A(P[i], Q[j])), R: nblocks + 1 block bounds.
// Throws InvalidInputError when A(P, Q) has an entry below its block diagonal.
SymbolicLu symbolic_lu(const CscMatrix& A, const Index* P, const Index* Q, const Index* R,
                       Index nblocks);

}  // namespace hiili::detail
