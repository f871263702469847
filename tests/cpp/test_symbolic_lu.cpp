// Symbolic LU without row exchanges (src/solver/symbolic_lu.hpp): the patterns of L and U
// against a boolean Gaussian elimination of the same block upper triangular matrix, on many
// small random shapes (scrambled rows and columns, unsymmetric, full rows and columns, several
// blocks, structurally zero pivots).
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "../../src/solver/symbolic_lu.hpp"
#include "hiili/error.hpp"
#include "hiili/sparse.hpp"
#include "test_util.hpp"

using namespace hiili;
using hiili::detail::symbolic_lu;
using hiili::detail::SymbolicLu;
using hiili::test_util::to_csc;

namespace {

using Grid = std::vector<std::vector<char>>;  // B's pattern, [row][column]

struct Case {
  Grid B;                    // block upper triangular, permuted numbering
  std::vector<Index> R;      // block bounds
  std::vector<Index> P, Q;   // A(P[i], Q[j]) = B(i, j)
  CscMatrix A;
};

// A random block upper triangular B: blocks of random sizes, density `d` inside them, a few
// entries above them, the diagonal present unless `holes`; some blocks get a full row and a
// full column; then rows and columns scrambled into A.
Case random_case(unsigned seed, bool holes) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Case c;
  const Index nblocks = 1 + Index(rng() % 4);
  c.R.push_back(0);
  for (Index b = 0; b < nblocks; ++b) c.R.push_back(c.R.back() + 1 + Index(rng() % 14));
  const Index n = c.R.back();
  c.B.assign(n, std::vector<char>(n, 0));
  const double d = 0.05 + 0.3 * u(rng);
  for (Index b = 0; b < nblocks; ++b) {
    const Index k1 = c.R[b], k2 = c.R[b + 1];
    for (Index j = k1; j < k2; ++j) {
      for (Index i = 0; i < k1; ++i) c.B[i][j] = u(rng) < 0.1;
      for (Index i = k1; i < k2; ++i) c.B[i][j] = i == j ? !(holes && u(rng) < 0.3) : u(rng) < d;
    }
    if (k2 - k1 > 2 && u(rng) < 0.5) {  // a hub: a full row and a full column
      const Index h = k1 + Index(rng() % std::uint64_t(k2 - k1));
      for (Index t = k1; t < k2; ++t) c.B[h][t] = c.B[t][h] = 1;
    }
  }
  c.P.resize(n);
  c.Q.resize(n);
  std::iota(c.P.begin(), c.P.end(), 0);
  std::iota(c.Q.begin(), c.Q.end(), 0);
  std::shuffle(c.P.begin(), c.P.end(), rng);
  std::shuffle(c.Q.begin(), c.Q.end(), rng);
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(n, n);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < n; ++j)
      if (c.B[i][j]) A(c.P[i], c.Q[j]) = 1.0;
  c.A = to_csc(A);
  return c;
}

// Boolean Gaussian elimination of each diagonal block in its order; returns the first column
// whose pivot is structurally zero (-1: none) and leaves the filled pattern in G.
Index eliminate(Grid& G, const std::vector<Index>& R) {
  for (std::size_t b = 0; b + 1 < R.size(); ++b)
    for (Index k = R[b]; k < R[b + 1]; ++k) {
      if (!G[k][k]) return k;
      for (Index i = k + 1; i < R[b + 1]; ++i)
        if (G[i][k])
          for (Index j = k + 1; j < R[b + 1]; ++j)
            if (G[k][j]) G[i][j] = 1;
    }
  return -1;
}

std::set<std::pair<Index, Index>> entries(const std::vector<Index>& p,
                                          const std::vector<Index>& i) {
  std::set<std::pair<Index, Index>> s;
  for (std::size_t j = 0; j + 1 < p.size(); ++j)
    for (Index t = p[j]; t < p[j + 1]; ++t)
      EXPECT_TRUE(s.insert({i[t], Index(j)}).second) << "duplicate row " << i[t] << " in " << j;
  return s;
}

}  // namespace

TEST(SymbolicLu, PatternsMatchBooleanElimination) {
  int zero_pivots = 0, fired = 0;
  for (unsigned seed = 0; seed < 400; ++seed) {
    const bool holes = seed % 4 == 3;
    Case c = random_case(seed, holes);
    SCOPED_TRACE("seed " + std::to_string(seed));
    const SymbolicLu lu =
        symbolic_lu(c.A, c.P.data(), c.Q.data(), c.R.data(), Index(c.R.size()) - 1);
    Grid G = c.B;
    const Index zero = eliminate(G, c.R);
    EXPECT_EQ(lu.zero_pivot, zero);
    if (zero >= 0) {
      ++zero_pivots;
      continue;
    }
    ++fired;
    std::set<std::pair<Index, Index>> want_l, want_u;
    for (std::size_t b = 0; b + 1 < c.R.size(); ++b)
      for (Index i = c.R[b]; i < c.R[b + 1]; ++i)
        for (Index j = c.R[b]; j < c.R[b + 1]; ++j)
          if (G[i][j] && i > j) want_l.insert({i, j});
          else if (G[i][j] && i < j) want_u.insert({i, j});
    EXPECT_EQ(entries(lu.Lp, lu.Li), want_l);
    EXPECT_EQ(entries(lu.Up, lu.Ui), want_u);
  }
  EXPECT_GT(zero_pivots, 10);  // both kinds of case were exercised
  EXPECT_GT(fired, 300);
}

// A dense block: L and U full (the pruned search must still find every row).
TEST(SymbolicLu, DenseBlockIsFull) {
  const Index n = 40;
  const CscMatrix A = to_csc(Eigen::MatrixXd::Ones(n, n));
  std::vector<Index> id(n);
  std::iota(id.begin(), id.end(), 0);
  const std::vector<Index> R{0, n};
  const SymbolicLu lu = symbolic_lu(A, id.data(), id.data(), R.data(), 1);
  EXPECT_EQ(lu.zero_pivot, -1);
  EXPECT_EQ(lu.Li.size(), std::size_t(n * (n - 1) / 2));
  EXPECT_EQ(lu.Ui.size(), std::size_t(n * (n - 1) / 2));
}

// An arrow matrix whose full row and column come first: everything fills in.
TEST(SymbolicLu, ArrowFirstFillsIn) {
  const Index n = 12;
  Eigen::MatrixXd arrow = Eigen::MatrixXd::Identity(n, n);
  arrow.row(0).setOnes();
  arrow.col(0).setOnes();
  const CscMatrix A = to_csc(arrow);
  std::vector<Index> id(n);
  std::iota(id.begin(), id.end(), 0);
  const std::vector<Index> R{0, n};
  const SymbolicLu lu = symbolic_lu(A, id.data(), id.data(), R.data(), 1);
  EXPECT_EQ(lu.Li.size(), std::size_t(n * (n - 1) / 2));
  EXPECT_EQ(lu.Ui.size(), std::size_t(n * (n - 1) / 2));
  // Reversed (the hub last): no fill at all.
  std::vector<Index> rev(n);
  for (Index i = 0; i < n; ++i) rev[i] = n - 1 - i;
  const SymbolicLu last = symbolic_lu(A, rev.data(), rev.data(), R.data(), 1);
  EXPECT_EQ(last.Li.size(), std::size_t(n - 1));
  EXPECT_EQ(last.Ui.size(), std::size_t(n - 1));
}

TEST(SymbolicLu, EntryBelowTheBlockDiagonalIsRefused) {
  // A = [1 1; 0 1] is upper triangular: two 1 x 1 blocks in the identity order, but in the
  // reversed order the off-diagonal entry lies below the block diagonal.
  CscMatrix A;
  A.rows = A.cols = 2;
  A.col_ptr = {0, 1, 3};
  A.row_idx = {0, 0, 1};
  A.values = {1.0, 1.0, 1.0};
  const std::vector<Index> id{0, 1}, rev{1, 0}, R{0, 1, 2};
  const SymbolicLu lu = symbolic_lu(A, id.data(), id.data(), R.data(), 2);
  EXPECT_EQ(lu.zero_pivot, -1);
  EXPECT_TRUE(lu.Li.empty());
  EXPECT_TRUE(lu.Ui.empty());  // the entry above lies outside the diagonal blocks
  EXPECT_THROW(symbolic_lu(A, rev.data(), rev.data(), R.data(), 2), InvalidInputError);
}
