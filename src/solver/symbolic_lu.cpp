#include "solver/symbolic_lu.hpp"

#include <string>
#include <utility>

#include "hiili/error.hpp"

namespace hiili::detail {
namespace {

// The state of the column-by-column search: L's columns so far (rows in Li, the first
// lpend[k] - Lp[k] of column k searched, the rest pruned) and the marks of the current column.
struct Search {
  SymbolicLu& out;
  std::vector<Index> lpend, mark, stack, reach;
  std::vector<char> pruned;

  // Adds the rows reachable from B's entry at row i (permuted) to column j's pattern: rows
  // below j are L's and end the path, rows above j go on through L's column.
  void visit(Index i, Index j) {
    if (mark[i] == j) return;
    mark[i] = j;
    reach.push_back(i);
    if (i >= j) return;
    stack.push_back(i);
    while (!stack.empty()) {
      const Index k = stack.back();
      stack.pop_back();
      for (Index p = out.Lp[k]; p < lpend[k]; ++p) {
        const Index r = out.Li[p];
        if (mark[r] == j) continue;
        mark[r] = j;
        reach.push_back(r);
        if (r < j) stack.push_back(r);
      }
    }
  }

  // Eisenstat-Liu: each column k of U(:, j) with j in its L pattern keeps only rows <= j for
  // later searches (the rows below j are reached through j itself).
  void prune(Index j, Index u0) {
    for (Index t = u0; t < Index(out.Ui.size()); ++t) {
      const Index k = out.Ui[t];
      if (pruned[k]) continue;
      const Index p0 = out.Lp[k], p1 = out.Lp[k + 1];
      bool has_j = false;
      for (Index p = p0; p < p1 && !has_j; ++p) has_j = out.Li[p] == j;
      if (!has_j) continue;
      Index keep = p0;
      for (Index p = p0; p < p1; ++p)
        if (out.Li[p] <= j) std::swap(out.Li[p], out.Li[keep++]);
      lpend[k] = keep;
      pruned[k] = 1;
    }
  }
};

}  // namespace

SymbolicLu symbolic_lu(const CscMatrix& A, const Index* P, const Index* Q, const Index* R,
                       Index nblocks) {
  const Index n = A.cols;
  SymbolicLu out;
  out.Lp.assign(n + 1, 0);
  out.Up.assign(n + 1, 0);
  out.Li.reserve(A.nnz());
  out.Ui.reserve(A.nnz());
  std::vector<Index> pinv(n);
  for (Index i = 0; i < n; ++i) pinv[P[i]] = i;
  Search s{out, std::vector<Index>(n, 0), std::vector<Index>(n, -1), {}, {},
           std::vector<char>(n, 0)};
  for (Index b = 0; b < nblocks; ++b) {
    const Index k1 = R[b], k2 = R[b + 1];
    for (Index j = k1; j < k2; ++j) {
      s.reach.clear();
      const Index col = Q[j];
      for (Index p = A.col_ptr[col]; p < A.col_ptr[col + 1]; ++p) {
        const Index i = pinv[A.row_idx[p]];
        if (i >= k2)
          throw InvalidInputError("symbolic LU: entry (" + std::to_string(i) + ", " +
                                  std::to_string(j) + ") of A(P, Q) below its block diagonal");
        if (i >= k1) s.visit(i, j);
      }
      bool diagonal = false;
      for (Index i : s.reach) {
        if (i < j) out.Ui.push_back(i);
        else if (i > j) out.Li.push_back(i);
        else diagonal = true;
      }
      if (!diagonal && out.zero_pivot < 0) out.zero_pivot = j;
      out.Up[j + 1] = Index(out.Ui.size());
      out.Lp[j + 1] = Index(out.Li.size());
      s.lpend[j] = out.Lp[j + 1];
      s.prune(j, out.Up[j]);
    }
  }
  return out;
}

}  // namespace hiili::detail
