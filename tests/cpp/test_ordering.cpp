// KLU's block orderings (FactorizationOptions::ordering: Amd, Colamd, Metis, Auto): answers
// against a dense LU on small systems of each shape and against KLU's default order on larger
// ones, the fill estimate against AMD's own count, METIS's permutation direction, and what
// Auto chooses and reports.
#include <gtest/gtest.h>

#include <Eigen/LU>
#include <amd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <set>

#include "hiili/error.hpp"
#include "hiili/solver.hpp"
#include "hiili/synth.hpp"
#include "../../src/solver/ordering.hpp"  // the estimate and the orderings themselves
#include "test_util.hpp"

using namespace hiili;
using test_util::rel_error;
using test_util::to_csc;

namespace {

const Ordering kAll[] = {Ordering::Amd, Ordering::Colamd, Ordering::Metis, Ordering::Auto};

FactorizationOptions with(Ordering o) {
  FactorizationOptions options;
  options.ordering = o;
  return options;
}

// An unsymmetric, diagonally dominant matrix on the pattern of a g x g x g grid (7 points):
// a block that AMD fills in heavily and nested dissection orders well.
CscMatrix grid3d(Index g, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.1, 1.0);
  const Index n = g * g * g;
  CscMatrix A = CscMatrix::zeros(n, n);
  const auto id = [g](Index x, Index y, Index z) { return (z * g + y) * g + x; };
  for (Index z = 0; z < g; ++z)
    for (Index y = 0; y < g; ++y)
      for (Index x = 0; x < g; ++x) {
        const Index j = id(x, y, z);
        std::vector<Index> rows = {j};
        if (x > 0) rows.push_back(id(x - 1, y, z));
        if (x + 1 < g) rows.push_back(id(x + 1, y, z));
        if (y > 0) rows.push_back(id(x, y - 1, z));
        if (y + 1 < g) rows.push_back(id(x, y + 1, z));
        if (z > 0) rows.push_back(id(x, y, z - 1));
        if (z + 1 < g) rows.push_back(id(x, y, z + 1));
        std::sort(rows.begin(), rows.end());
        for (Index i : rows) {
          A.row_idx.push_back(i);
          A.values.push_back(i == j ? 7.0 : -u(rng));
        }
        A.col_ptr[j + 1] = A.nnz();
      }
  return A;
}

Eigen::VectorXd solve(const CscMatrix& A, const FactorizationOptions& options,
                      FactorizationReport* report = nullptr) {
  Factorization f(A, options);
  Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(A.rows, 1.0, 2.0);
  f.solve_in_place(std::span<double>(b.data(), A.rows));
  if (report) *report = f.report();
  return b;
}

TEST(Ordering, EveryOrderingMatchesDenseLu) {
  std::vector<Eigen::MatrixXd> cases;
  cases.push_back(test_util::random_technosphere(120, 0.05, 1));          // dominant
  cases.push_back(test_util::random_technosphere(150, 0.04, 2, false));   // general
  Eigen::MatrixXd scaled = test_util::random_technosphere(100, 0.06, 3);  // badly scaled
  for (Index i = 0; i < scaled.rows(); ++i) scaled.row(i) *= std::pow(10.0, double(i % 13) - 6.0);
  cases.push_back(scaled);
  Eigen::MatrixXd permuted = test_util::random_technosphere(130, 0.05, 4);  // rows shuffled
  std::vector<int> rows(permuted.rows());
  std::iota(rows.begin(), rows.end(), 0);
  std::shuffle(rows.begin(), rows.end(), std::mt19937(5));
  cases.push_back(Eigen::PermutationMatrix<Eigen::Dynamic>(
                      Eigen::Map<Eigen::VectorXi>(rows.data(), Index(rows.size()))) *
                  permuted);
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const Eigen::MatrixXd& D = cases[c];
    const Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(D.rows(), 1.0, 2.0);
    const Eigen::VectorXd want = D.partialPivLu().solve(b);
    for (Ordering o : kAll) {
      SCOPED_TRACE(std::string("case ") + std::to_string(c) + ", " + to_string(o));
      EXPECT_LT(rel_error(solve(to_csc(D), with(o)), want), 1e-10);
    }
  }
}

TEST(Ordering, SingularAndNearSingularUnderEveryOrdering) {
  Eigen::MatrixXd D = test_util::random_technosphere(60, 0.1, 6, false);
  D.col(7) = D.col(3);  // numerically singular: two equal columns
  Eigen::MatrixXd near = D;
  near(D.col(3).cwiseAbs().maxCoeff() > 0 ? 3 : 0, 7) *= 1.0 + 1e-8;  // condition ~1e8
  const Eigen::VectorXd b = Eigen::VectorXd::LinSpaced(60, 1.0, 2.0);
  const Eigen::VectorXd want = near.partialPivLu().solve(b);
  for (Ordering o : kAll) {
    SCOPED_TRACE(to_string(o));
    EXPECT_THROW(solve(to_csc(D), with(o)), SingularMatrixError);
    EXPECT_LT(rel_error(solve(to_csc(near), with(o)), want), 1e-5);
  }
}

TEST(Ordering, SynthFamiliesAgreeWithKluDefaultOrder) {
  for (SynthFamily family : {SynthFamily::Ecoinvent, SynthFamily::Stress}) {
    SynthOptions so;
    so.n = 3000;
    so.family = family;
    so.labels = false;
    const Model m = synth(so);
    FactorizationReport amd;
    const Eigen::VectorXd want = solve(m.A(), {}, &amd);
    for (Ordering o : {Ordering::Metis, Ordering::Auto}) {
      SCOPED_TRACE(std::string(synth_family_name(family)) + ", " + to_string(o));
      FactorizationReport r;
      EXPECT_LT(rel_error(solve(m.A(), with(o), &r), want), 1e-12);
      EXPECT_EQ(r.ordering, o);
      // METIS's order is applied in the right direction: the inverse permutation fills
      // these cores in 8-15x (measured), the right one within 2x of AMD.
      EXPECT_LT(r.nnz_factors, 2 * amd.nnz_factors);
    }
  }
}

TEST(Ordering, FillEstimateIsAmdsOwnCount) {
  const CscMatrix A = grid3d(9, 7);
  const Index n = A.rows;
  std::vector<Index> perm(n);
  double control[AMD_CONTROL], info[AMD_INFO];
  amd_l_defaults(control);
  control[AMD_DENSE] = -1.0;  // no dense rows: AMD's count is then exact
  ASSERT_EQ(amd_l_order(n, A.col_ptr.data(), A.row_idx.data(), perm.data(), control, info),
            AMD_OK);
  const detail::SymmetricGraph g =
      detail::symmetric_graph(n, A.col_ptr.data(), A.row_idx.data());
  EXPECT_EQ(g.xadj[n], A.nnz() - n);  // the grid's pattern is symmetric: each edge once a side
  const detail::FillEstimate e = detail::estimate_fill(g, perm.data());
  EXPECT_EQ(e.lnz, info[AMD_LNZ] + double(n));
  // The natural order of a path 0-1-...-(n-1) fills nothing: n + (n - 1) entries.
  CscMatrix path = CscMatrix::zeros(50, 50);
  for (Index j = 0; j < 50; ++j) {
    for (Index i = std::max<Index>(0, j - 1); i <= std::min<Index>(49, j + 1); ++i)
      path.row_idx.push_back(i), path.values.push_back(i == j ? 2.0 : -1.0);
    path.col_ptr[j + 1] = path.nnz();
  }
  std::vector<Index> natural(50);
  std::iota(natural.begin(), natural.end(), 0);
  const auto pg = detail::symmetric_graph(50, path.col_ptr.data(), path.row_idx.data());
  EXPECT_EQ(detail::estimate_fill(pg, natural.data()).lnz, 99.0);
}

TEST(Ordering, AutoChoosesTheLowerEstimateAndSaysSo) {
  const CscMatrix A = grid3d(18, 8);  // 5,832 unknowns in one block; AMD fills it in heavily
  const Eigen::VectorXd want = solve(A, {});
  FactorizationReport r;
  EXPECT_LT(rel_error(solve(A, with(Ordering::Auto), &r), want), 1e-12);
  ASSERT_GT(r.orderings.amd_flops, 0.0);
  ASSERT_GT(r.orderings.metis_flops, 0.0);
  EXPECT_EQ(r.orderings.metis_blocks, r.orderings.metis_flops < r.orderings.amd_flops ? 1 : 0);
  EXPECT_EQ(r.orderings.blocks, 1);
  EXPECT_EQ(r.orderings.largest, A.rows);
  // On a synth system AMD's fill is low: Auto does not try METIS and is AMD, bit for bit.
  SynthOptions so;
  so.n = 6000;
  so.labels = false;
  const Model m = synth(so);
  FactorizationReport amd, chosen;
  const Eigen::VectorXd x_amd = solve(m.A(), {}, &amd);
  const Eigen::VectorXd x_auto = solve(m.A(), with(Ordering::Auto), &chosen);
  EXPECT_EQ(chosen.orderings.metis_blocks, 0);
  EXPECT_EQ(chosen.orderings.metis_flops, 0.0);
  EXPECT_EQ(chosen.nnz_factors, amd.nnz_factors);
  EXPECT_EQ(0, std::memcmp(x_auto.data(), x_amd.data(), sizeof(double) * x_amd.size()));
}

TEST(Ordering, MetisIsDeterministic) {
  const CscMatrix A = grid3d(10, 9);
  FactorizationReport r1, r2;
  const Eigen::VectorXd x1 = solve(A, with(Ordering::Metis), &r1);
  const Eigen::VectorXd x2 = solve(A, with(Ordering::Metis), &r2);
  EXPECT_EQ(r1.nnz_factors, r2.nnz_factors);
  EXPECT_EQ(r1.orderings.metis_blocks, 1);
  EXPECT_EQ(0, std::memcmp(x1.data(), x2.data(), sizeof(double) * x1.size()));
}

// A block of n = s^2 columns (AMD's limits s at threshold 1, 2s at 2) with a zero-free
// diagonal and a ring (one strongly connected block), `hubs` rows of degree 2s + 22 (above
// both limits) and 20 band rows of degree 1.5s - 4 (between them); `coupled`: each band row
// also takes an input from every hub activity (an entry in the hub's column), so it has
// `hubs` links. No entry has its mirror (checked), so a row's degree in A + A^T is its row
// count plus its column count, the rule's bound. n = 4,096: degrees 150 and 92.
CscMatrix hub_block(Index hubs, bool coupled, Index s = 64) {
  const Index n = s * s;
  std::vector<std::vector<Index>> cols(n);
  for (Index j = 0; j < n; ++j) cols[j] = {j, (j + 1) % n};
  // The hubs' and band rows' entries lie in columns 200 and up, away from their own rows
  // (53 is prime to n - 200: `count` distinct columns).
  const auto spread = [&](Index row, Index count, Index start) {
    for (Index k = 0; k < count; ++k) cols[200 + (start + 53 * k) % (n - 200)].push_back(row);
  };
  const Index hub_degree = 2 * s + 22, band_degree = 3 * s / 2 - 4;
  for (Index h = 0; h < hubs; ++h) spread(h, hub_degree - 2, 1000 + 7 * h);
  for (Index b = 0; b < 20; ++b) {
    spread(100 + b, band_degree - 2 - (coupled ? hubs : 0), 2000 + 11 * b);
    if (coupled)
      for (Index h = 0; h < hubs; ++h) cols[h].push_back(100 + b);
  }
  CscMatrix A = CscMatrix::zeros(n, n);
  for (Index j = 0; j < n; ++j) {
    std::sort(cols[j].begin(), cols[j].end());
    cols[j].erase(std::unique(cols[j].begin(), cols[j].end()), cols[j].end());
    for (Index i : cols[j]) {
      A.row_idx.push_back(i);
      A.values.push_back(i == j ? 1.0 + double(cols[j].size()) : -1.0 / double(1 + (i + j) % 5));
    }
    A.col_ptr[j + 1] = A.nnz();
  }
  return A;
}

// The rule's statistics from the definitions, with sets: the exact degree in A + A^T, the
// band (sqrt n, 2 sqrt n], the entries between a band row and a row above sqrt n, and the
// choice: threshold 1 when links x sqrt(n) exceed 1,250 per band row.
detail::DenseChoice reference_choice(const CscMatrix& A) {
  const Index n = A.rows;
  std::vector<std::set<Index>> adj(n);
  for (Index j = 0; j < n; ++j)
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p)
      if (A.row_idx[p] != j) adj[j].insert(A.row_idx[p]), adj[A.row_idx[p]].insert(j);
  const double low = std::sqrt(double(n)), high = 2.0 * low;
  const auto band = [&](Index i) { return double(adj[i].size()) > low && adj[i].size() <= high; };
  detail::DenseChoice c;
  for (Index j = 0; j < n; ++j) {
    c.band_rows += band(j);
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) {
      const Index i = A.row_idx[p];
      if (i == j) continue;
      c.links += band(i) && double(adj[j].size()) > low;
      c.links += band(j) && double(adj[i].size()) > low;
    }
  }
  c.dense = double(c.links) * low > 1250.0 * double(c.band_rows) ? 1.0 : 2.0;
  return c;
}

void expect_rule_matches_reference(const CscMatrix& A, double want) {
  for (Index j = 0; j < A.rows; ++j)  // no mirrored pair: the rule's bound is exact here
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) {
      const Index i = A.row_idx[p];
      const Index* col = A.row_idx.data();
      ASSERT_TRUE(i == j || !std::binary_search(col + A.col_ptr[i], col + A.col_ptr[i + 1], j));
    }
  const detail::DenseChoice ref = reference_choice(A);
  const detail::DenseChoice got =
      detail::choose_amd_dense(A.rows, A.col_ptr.data(), A.row_idx.data());
  EXPECT_EQ(ref.band_rows, 20);  // the construction holds: 20 rows in the band
  EXPECT_EQ(got.band_rows, ref.band_rows);
  EXPECT_EQ(got.links, ref.links);
  EXPECT_EQ(got.dense, ref.dense);
  EXPECT_EQ(got.dense, want);
}

TEST(Ordering, DenseRuleCountsTheBandAndItsLinks) {
  for (Index hubs : {0, 5, 25}) {
    for (bool coupled : {false, true}) {
      SCOPED_TRACE("hubs " + std::to_string(hubs) + (coupled ? ", coupled" : ", apart"));
      // 25 linked hubs: (25 + 1.9) x 64 = 1,722 per band row (1.9 links from the ring
      // between the band rows), above the rule's 1,250; 5: 442.
      expect_rule_matches_reference(
          hub_block(hubs, coupled),
          coupled && hubs == 25 ? detail::kDenseCoupled : detail::kDenseApart);
    }
  }
  // Under kAutoDenseMinBlock the rule keeps 2 without looking.
  const Eigen::MatrixXd small = test_util::random_technosphere(300, 0.3, 10);
  const CscMatrix S = to_csc(small);
  const detail::DenseChoice s =
      detail::choose_amd_dense(S.rows, S.col_ptr.data(), S.row_idx.data());
  EXPECT_EQ(s.dense, detail::kDenseApart);
  EXPECT_EQ(s.band_rows, 0);
}

TEST(Ordering, DenseRuleBoundaryScalesWithTheSquareRootOfTheBlock) {
  // hub_block's band rows 100..119 are consecutive on the ring: 19 band-band entries, 2 links
  // each, so a coupled band row has hubs + 1.9 links.
  // n = 4,096 (sqrt 64): the boundary is 1,250 / 64 = 19.5 links per band row.
  {
    SCOPED_TRACE("n 4,096, 18.9 and 19.9 links per band row");
    expect_rule_matches_reference(hub_block(17, true), detail::kDenseApart);    // 1,210
    expect_rule_matches_reference(hub_block(18, true), detail::kDenseCoupled);  // 1,274
  }
  // n = 16,384 (sqrt 128): 9.8 links per band row, half session 8's fixed 20. 13.9 is what
  // a stress core of 120,000 shows (12.6 links per band row; its AMD runs 1.6x faster at
  // threshold 1); the same rows without the hubs' links stay apart.
  {
    SCOPED_TRACE("n 16,384, 8.9, 9.9 and 13.9 links per band row");
    expect_rule_matches_reference(hub_block(7, true, 128), detail::kDenseApart);      // 1,139
    expect_rule_matches_reference(hub_block(8, true, 128), detail::kDenseCoupled);    // 1,267
    expect_rule_matches_reference(hub_block(12, true, 128), detail::kDenseCoupled);   // 1,779
    expect_rule_matches_reference(hub_block(12, false, 128), detail::kDenseApart);    // 243
  }
}

TEST(Ordering, DenseRuleChoiceIsReportedAndSolvesAsTheExplicitThreshold) {
  const CscMatrix A = hub_block(25, true);
  FactorizationReport rule, one, two;
  const Eigen::VectorXd x = solve(A, {}, &rule);
  FactorizationOptions o;
  o.amd_dense = 1.0;
  const Eigen::VectorXd x1 = solve(A, o, &one);
  o.amd_dense = 2.0;
  const Eigen::VectorXd x2 = solve(A, o, &two);
  EXPECT_EQ(rule.orderings.largest, A.rows);  // one strongly connected block
  EXPECT_EQ(rule.orderings.amd_dense, 1.0);
  EXPECT_EQ(rule.orderings.coupled_blocks, 1);
  EXPECT_EQ(one.orderings.amd_dense, 1.0);
  EXPECT_EQ(one.orderings.coupled_blocks, 0);  // an explicit threshold is not the rule's
  EXPECT_EQ(two.orderings.amd_dense, 2.0);
  EXPECT_EQ(0, std::memcmp(x.data(), x1.data(), sizeof(double) * x.size()));
  EXPECT_LT(rel_error(x, x2), 1e-12);
  EXPECT_NE(rule.brief().find("amd_dense 1"), std::string::npos) << rule.brief();
  // The same block with one row's values zero is singular, and refused under the rule's order.
  CscMatrix S = A;
  for (Index p = 0; p < S.nnz(); ++p)
    if (S.row_idx[p] == 2500) S.values[p] = 0.0;
  EXPECT_THROW(solve(S, {}), SingularMatrixError);
}

TEST(Ordering, DenseRuleOnSynthFamilies) {
  // The 4,000 core of n = 10,000: ecoinvent's band rows link to few hubs (threshold 2, the
  // order of before), stress's to many (threshold 1).
  for (SynthFamily family : {SynthFamily::Ecoinvent, SynthFamily::Stress}) {
    SCOPED_TRACE(synth_family_name(family));
    SynthOptions so;
    so.n = 10000;
    so.family = family;
    so.labels = false;
    const Model m = synth(so);
    FactorizationReport rule, fixed;
    const Eigen::VectorXd x = solve(m.A(), {}, &rule);
    const double want = family == SynthFamily::Stress ? 1.0 : 2.0;
    FactorizationOptions o;
    o.amd_dense = want;
    const Eigen::VectorXd y = solve(m.A(), o, &fixed);
    EXPECT_EQ(rule.orderings.amd_dense, want);
    EXPECT_EQ(rule.orderings.coupled_blocks, family == SynthFamily::Stress ? 1 : 0);
    EXPECT_EQ(rule.orderings.largest, 4000);
    EXPECT_EQ(rule.nnz_factors, fixed.nnz_factors);
    EXPECT_EQ(0, std::memcmp(x.data(), y.data(), sizeof(double) * x.size()));
  }
}

TEST(Ordering, DenseRuleKeepsTwoOnLargerEcoinventCores) {
  // Ecoinvent's band rows (its regional hubs) link to 1 hub row each on the 8,000 core of
  // n = 20,000, and from n = 50,000 (core 20,000) no row lies in the band at all.
  for (Index n : {20000, 50000}) {
    SCOPED_TRACE("n " + std::to_string(n));
    SynthOptions so;
    so.n = n;
    so.labels = false;
    FactorizationReport rule;
    solve(synth(so).A(), {}, &rule);
    EXPECT_EQ(rule.orderings.largest, n * 2 / 5);
    EXPECT_EQ(rule.orderings.amd_dense, 2.0);
    EXPECT_EQ(rule.orderings.coupled_blocks, 0);
  }
}

TEST(Ordering, Names) {
  for (Ordering o : kAll) EXPECT_EQ(ordering_from_string(to_string(o)), o);
  EXPECT_EQ(ordering_from_string("METIS"), Ordering::Metis);
  EXPECT_THROW(ordering_from_string("nd"), InvalidInputError);
}

}  // namespace
