#include <gtest/gtest.h>

#include <cmath>

#include "hiili/error.hpp"
#include "hiili/solver.hpp"
#include "hiili/synth.hpp"

using namespace hiili;

TEST(Synth, SameSeedSameModelOtherSeedOtherModel) {
  SynthOptions o;
  o.n = 2000;
  const Model a = synth(o), b = synth(o);
  EXPECT_EQ(a.A().row_idx, b.A().row_idx);
  EXPECT_EQ(a.A().values, b.A().values);
  EXPECT_EQ(a.B().values, b.B().values);
  EXPECT_EQ(a.C().values, b.C().values);
  o.seed = 2;
  const Model c = synth(o);
  EXPECT_NE(a.A().row_idx, c.A().row_idx);
}

TEST(Synth, HasTheEcoinventLikeStructure) {
  SynthOptions o;
  o.n = 20000;
  o.k = 5;
  const Model m = synth(o);
  const CscMatrix& A = m.A();
  EXPECT_EQ(m.num_activities(), 20000);
  EXPECT_EQ(m.num_flows(), 2500);
  EXPECT_EQ(m.num_categories(), 5);
  const double per_column = double(A.nnz()) / double(A.cols);
  EXPECT_GT(per_column, 10.0);
  EXPECT_LT(per_column, 14.0);
  const double b_per_column = double(m.B().nnz()) / double(A.cols);
  EXPECT_GT(b_per_column, 20.0);
  EXPECT_LT(b_per_column, 30.0);
  Index max_column = 0;
  for (Index j = 0; j < A.cols; ++j) {
    max_column = std::max(max_column, A.col_ptr[j + 1] - A.col_ptr[j]);
    double diag = 0.0, off = 0.0;
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) {
      if (A.row_idx[p] == j) diag = A.values[p];
      else {
        EXPECT_LT(A.values[p], 0.0);
        off += std::abs(A.values[p]);
      }
    }
    ASSERT_EQ(diag, 1.0);
    ASSERT_LT(off, 0.91);  // strictly column diagonally dominant
  }
  EXPECT_GT(max_column, 60);  // heavy tail
  // One strongly connected core of about 40 %, seen through KLU's block triangular form.
  const auto s = SymbolicAnalysis::create(A);
  EXPECT_EQ(s->max_block(), 8000);
  EXPECT_EQ(s->blocks(), 20000 - 8000 + 1);
  EXPECT_EQ(m.activities().size(), 20000);
  EXPECT_EQ(m.categories().column("name")[0], "climate change");
}

TEST(Synth, UncertaintyOnOffDiagonalAAndAllOfB) {
  SynthOptions o;
  o.n = 500;
  o.uncertainty = true;
  const Model m = synth(o);
  const MatrixData& t = m.technosphere();
  ASSERT_TRUE(t.has_uncertainty());
  for (std::size_t e = 0; e < t.entries.size(); ++e) {
    const bool diagonal = t.entries[e].row == t.entries[e].col;
    EXPECT_EQ(t.uncertainty[e].type, diagonal ? 0 : 2);
    if (!diagonal) {
      EXPECT_TRUE(t.uncertainty[e].negative);
      EXPECT_NEAR(std::exp(t.uncertainty[e].loc), -t.entries[e].amount, 1e-12);
    }
  }
  ASSERT_TRUE(m.biosphere().has_uncertainty());
  for (const Uncertainty& u : m.biosphere().uncertainty) EXPECT_EQ(u.type, 2);
}

TEST(Synth, RejectsBadOptions) {
  SynthOptions o;
  o.n = 0;
  EXPECT_THROW(synth(o), InvalidInputError);
  o.n = 10;
  o.core_fraction = 1.5;
  EXPECT_THROW(synth(o), InvalidInputError);
  o.core_fraction = 0.4;
  o.k = -1;
  EXPECT_THROW(synth(o), InvalidInputError);
}

TEST(Synth, TinyAndExtremeShapesAreSolvable) {
  for (Index n : {1, 2, 3, 10}) {
    for (double core : {0.0, 0.4, 1.0}) {
      SynthOptions o;
      o.n = n;
      o.core_fraction = core;
      const Model m = synth(o);
      Factorization f(m.A());
      std::vector<double> b(n, 1.0);
      f.solve_in_place(b);
      for (double v : b) EXPECT_TRUE(std::isfinite(v));
    }
  }
}
