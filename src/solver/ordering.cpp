#include "solver/ordering.hpp"

#include <amd.h>
#include <metis.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "hiili/error.hpp"

namespace hiili::detail {

static_assert(sizeof(idx_t) == sizeof(std::int32_t), "Debian's METIS has 32-bit idx_t");

bool fits_metis(Index n, Index nnz) {
  constexpr Index most = std::numeric_limits<std::int32_t>::max();
  return n <= most && 2 * nnz <= most;
}

SymmetricGraph symmetric_graph(Index n, const Index* Ap, const Index* Ai) {
  if (!fits_metis(n, Ap[n]))
    throw InvalidInputError("a " + std::to_string(n) + " x " + std::to_string(n) + " block with " +
                            std::to_string(Ap[n]) +
                            " nonzeros is too large for METIS's 32-bit indices: use ordering = amd");
  SymmetricGraph g;
  g.n = static_cast<std::int32_t>(n);
  std::vector<std::int32_t> degree(n + 1, 0);
  for (Index j = 0; j < n; ++j)
    for (Index p = Ap[j]; p < Ap[j + 1]; ++p)
      if (Ai[p] != j) ++degree[j], ++degree[Ai[p]];
  std::vector<std::int32_t> start(n + 1, 0);
  for (Index i = 0; i < n; ++i) start[i + 1] = start[i] + degree[i];
  std::vector<std::int32_t> adj(start[n]);
  std::vector<std::int32_t> next(start.begin(), start.end() - 1);
  for (Index j = 0; j < n; ++j)
    for (Index p = Ap[j]; p < Ap[j + 1]; ++p)
      if (const Index i = Ai[p]; i != j) {
        adj[next[i]++] = static_cast<std::int32_t>(j);
        adj[next[j]++] = static_cast<std::int32_t>(i);
      }
  // Drop duplicates (a_ij and a_ji both present) in place, vertex by vertex.
  std::vector<std::int32_t> mark(n, -1);
  g.xadj.assign(n + 1, 0);
  std::int32_t out = 0;
  for (Index i = 0; i < n; ++i) {
    for (std::int32_t p = start[i]; p < start[i + 1]; ++p)
      if (mark[adj[p]] != i) mark[adj[p]] = static_cast<std::int32_t>(i), adj[out++] = adj[p];
    g.xadj[i + 1] = out;
  }
  adj.resize(out);
  g.adjncy = std::move(adj);
  return g;
}

// Liu's row-subtree walk: row k of L is the union of the elimination-tree paths from each
// earlier neighbour up to k; the tree is built in the same pass. O(nnz(L)) time.
FillEstimate estimate_fill(const SymmetricGraph& g, const Index* perm) {
  const Index n = g.n;
  std::vector<Index> pinv(n), parent(n, -1), mark(n, -1), count(n, 1);
  for (Index k = 0; k < n; ++k) pinv[perm[k]] = k;
  for (Index k = 0; k < n; ++k) {
    mark[k] = k;
    const Index i = perm[k];
    for (std::int32_t p = g.xadj[i]; p < g.xadj[i + 1]; ++p) {
      for (Index t = pinv[g.adjncy[p]]; t < k && mark[t] != k; t = parent[t]) {
        ++count[t];
        mark[t] = k;
        if (parent[t] == -1) parent[t] = k;
      }
    }
  }
  FillEstimate e;
  for (Index c : count) e.lnz += double(c), e.flops += double(c) * double(c);
  return e;
}

BlockOrder amd_order(Index n, const Index* Ap, const Index* Ai, Index* perm, double dense) {
  double control[AMD_CONTROL];
  double info[AMD_INFO];
  amd_l_defaults(control);
  control[AMD_DENSE] = dense;
  const int status = amd_l_order(n, Ap, Ai, perm, control, info);
  return {status < AMD_OK ? status : AMD_OK, info[AMD_LNZ] + double(n)};
}

namespace {
// AMD's test: a row is dense above max(16, dense * sqrt(n)) neighbours in A + A^T.
double amd_limit(Index n, double dense) { return std::max(16.0, dense * std::sqrt(double(n))); }
}  // namespace

// Two passes over the block's entries: the first bounds each row's degree in A + A^T by its
// column plus its row count (exact without symmetric pairs; the band and the hubs are taken
// on this bound), the second counts the entries between a band row and a row above the low
// limit (a pair a_ij, a_ji counts twice) in the columns of such rows only.
DenseChoice choose_amd_dense(Index n, const Index* Ap, const Index* Ai) {
  DenseChoice choice;
  if (n < kAutoDenseMinBlock) return choice;
  std::vector<Index> degree(n, 0);
  for (Index j = 0; j < n; ++j) {
    degree[j] += Ap[j + 1] - Ap[j];
    for (Index q = Ap[j]; q < Ap[j + 1]; ++q) degree[Ai[q]] += Ai[q] == j ? -1 : 1;
  }
  const double low = amd_limit(n, kDenseCoupled), high = amd_limit(n, kDenseApart);
  std::vector<unsigned char> kind(n);  // 0: kept by both limits, 1: the band, 2: above both
  for (Index j = 0; j < n; ++j) {
    const double d = double(degree[j]);
    kind[j] = d > high ? 2 : d > low ? 1 : 0;
    choice.band_rows += kind[j] == 1;
  }
  if (choice.band_rows == 0) return choice;
  for (Index j = 0; j < n; ++j) {
    const unsigned char kj = kind[j];
    if (kj == 0) continue;  // a link has a band row and a row above the low limit
    for (Index q = Ap[j]; q < Ap[j + 1]; ++q) {
      const unsigned char ki = kind[Ai[q]];
      if (ki == 0 || Ai[q] == j) continue;
      choice.links += Index(ki == 1) + Index(kj == 1);
    }
  }
  if (double(choice.links) * std::sqrt(double(n)) > kCoupledWork * double(choice.band_rows))
    choice.dense = kDenseCoupled;
  return choice;
}

BlockOrder metis_order(const SymmetricGraph& g, Index* perm) {
  idx_t options[METIS_NOPTIONS];
  METIS_SetDefaultOptions(options);
  options[METIS_OPTION_NUMBERING] = 0;
  options[METIS_OPTION_SEED] = 1;
  idx_t n = g.n;
  std::vector<idx_t> order(g.n), inverse(g.n);
  // METIS takes non-const arrays it only reads.
  auto* xadj = const_cast<idx_t*>(g.xadj.data());
  auto* adjncy = const_cast<idx_t*>(g.adjncy.data());
  const int status =
      METIS_NodeND(&n, xadj, adjncy, nullptr, options, order.data(), inverse.data());
  if (status != METIS_OK) return {status == METIS_ERROR_MEMORY ? AMD_OUT_OF_MEMORY : AMD_INVALID};
  // KLU wants the old index of each new position: METIS's first output (its second, the
  // inverse, fills in like a dense matrix; tests/cpp/test_ordering.cpp checks the direction).
  for (Index k = 0; k < g.n; ++k) perm[k] = order[k];
  return {AMD_OK, estimate_fill(g, perm).lnz};
}

}  // namespace hiili::detail
