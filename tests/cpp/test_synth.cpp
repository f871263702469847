#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "hiili/error.hpp"
#include "hiili/solver.hpp"
#include "hiili/synth.hpp"

using namespace hiili;

namespace {

SynthOptions options(Index n, SynthFamily family, bool uncertainty = false) {
  SynthOptions o;
  o.n = n;
  o.family = family;
  o.uncertainty = uncertainty;
  return o;
}

// FNV-1a over the patterns of A, B, C and the activity names.
std::uint64_t pattern_hash(const Model& m) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&](std::uint64_t v) { h = (h ^ v) * 1099511628211ULL; };
  for (const CscMatrix* M : {&m.A(), &m.B(), &m.C()}) {
    for (Index p : M->col_ptr) mix(std::uint64_t(p));
    for (Index i : M->row_idx) mix(std::uint64_t(i));
  }
  for (const std::string& s : m.activities().column("name"))
    for (char c : s) mix(std::uint64_t(static_cast<unsigned char>(c)));
  return h;
}

double sum(const CscMatrix& M) {
  double s = 0.0;
  for (double v : M.values) s += v;
  return s;
}

// Diagonal 1, negative inputs summing to < 0.91: strictly column diagonally dominant.
void expect_column_diagonally_dominant(const CscMatrix& A) {
  for (Index j = 0; j < A.cols; ++j) {
    double diag = 0.0, off = 0.0;
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) {
      if (A.row_idx[p] == j) {
        diag = A.values[p];
      } else {
        ASSERT_LT(A.values[p], 0.0);
        off += std::abs(A.values[p]);
      }
    }
    ASSERT_EQ(diag, 1.0);
    ASSERT_LT(off, 0.91);
  }
}

Index max_column(const CscMatrix& A) {
  Index most = 0;
  for (Index j = 0; j < A.cols; ++j) most = std::max(most, A.col_ptr[j + 1] - A.col_ptr[j]);
  return most;
}

}  // namespace

TEST(Synth, SameSeedSameModelOtherSeedOtherModel) {
  for (SynthFamily family : {SynthFamily::Ecoinvent, SynthFamily::Stress}) {
    SynthOptions o = options(2000, family);
    const Model a = synth(o), b = synth(o);
    EXPECT_EQ(a.A().row_idx, b.A().row_idx);
    EXPECT_EQ(a.A().values, b.A().values);
    EXPECT_EQ(a.B().values, b.B().values);
    EXPECT_EQ(a.C().values, b.C().values);
    o.seed = 2;
    const Model c = synth(o);
    EXPECT_NE(a.A().row_idx, c.A().row_idx);
  }
}

TEST(Synth, DefaultFamilyIsEcoinvent) {
  EXPECT_EQ(SynthOptions{}.family, SynthFamily::Ecoinvent);
  EXPECT_EQ(synth_family_from_string("stress"), SynthFamily::Stress);
  EXPECT_EQ(synth_family_name(synth_family_from_string("ecoinvent")), "ecoinvent");
  EXPECT_THROW(synth_family_from_string("ecoinvnet"), InvalidInputError);
}

// The stress family is the generator's first structure, unchanged. The reference values were
// printed by the generator of commit c088042 (before the families) for the same options.
TEST(Synth, StressFamilyIsTheFirstStructure) {
  const Model m = synth(options(2000, SynthFamily::Stress));
  EXPECT_EQ(pattern_hash(m), 0x11c581eb36b2afd0ULL);
  EXPECT_NEAR(sum(m.A()), 797.68002531686216, 1e-9);
  EXPECT_NEAR(sum(m.B()), 51245.528779688029, 1e-7);
  EXPECT_NEAR(sum(m.C()), 409.49516072971028, 1e-9);
  SynthOptions o = options(500, SynthFamily::Stress);
  o.seed = 3;
  const Model other = synth(o);
  EXPECT_EQ(pattern_hash(other), 0x568d322cd8f08eadULL);
  EXPECT_NEAR(sum(other.A()), 198.33871261942167, 1e-9);
}

TEST(Synth, StressFamilyHasOneCoreOfFortyPercent) {
  SynthOptions o = options(20000, SynthFamily::Stress);
  o.k = 5;
  const Model m = synth(o);
  const CscMatrix& A = m.A();
  EXPECT_EQ(m.num_flows(), 2500);
  EXPECT_EQ(m.num_categories(), 5);
  const double per_column = double(A.nnz()) / double(A.cols);
  EXPECT_GT(per_column, 10.0);
  EXPECT_LT(per_column, 14.0);
  expect_column_diagonally_dominant(A);
  EXPECT_GT(max_column(A), 60);  // heavy tail
  // One strongly connected core of 40 %, seen through KLU's block triangular form.
  const auto s = SymbolicAnalysis::create(A);
  EXPECT_EQ(s->max_block(), 8000);
  EXPECT_EQ(s->blocks(), 20000 - 8000 + 1);
}

TEST(Synth, EcoinventFamilyHasTheCalibratedStructure) {
  SynthOptions o = options(20000, SynthFamily::Ecoinvent);
  o.k = 5;
  const Model m = synth(o);
  const CscMatrix& A = m.A();
  EXPECT_EQ(m.num_activities(), 20000);
  EXPECT_EQ(m.num_flows(), 2500);
  EXPECT_EQ(m.num_categories(), 5);
  const double per_column = double(A.nnz()) / double(A.cols);
  EXPECT_GT(per_column, 10.5);  // ecoinvent 3.x: about 12 (docs/synth.md)
  EXPECT_LT(per_column, 13.5);
  expect_column_diagonally_dominant(A);
  EXPECT_GT(max_column(A), 60);
  // One strongly connected background of 40 % (the core_fraction); the rest is triangular.
  const auto s = SymbolicAnalysis::create(A);
  EXPECT_EQ(s->max_block(), 8000);
  EXPECT_EQ(s->blocks(), 20000 - 8000 + 1);
  // Markets have no elementary flows; producers about mean_flows.
  const auto& name = m.activities().column("name");
  Index markets = 0;
  double producer_flows = 0.0;
  for (Index j = 0; j < A.cols; ++j) {
    const Index flows = m.B().col_ptr[j + 1] - m.B().col_ptr[j];
    if (name[j].rfind("market for ", 0) == 0) {
      ++markets;
      EXPECT_EQ(flows, 0);
    } else {
      producer_flows += double(flows);
    }
  }
  EXPECT_GT(markets, 20000 / 6);  // about a fifth of the activities
  EXPECT_LT(markets, 20000 / 4);
  const double mean_flows = producer_flows / double(A.cols - markets);
  EXPECT_GT(mean_flows, 20.0);
  EXPECT_LT(mean_flows, 30.0);
  EXPECT_EQ(m.categories().column("name")[0], "climate change");
}

TEST(Synth, EcoinventFamilyKeepsRegionsApartExceptThroughGlobalMarkets) {
  const Model m = synth(options(8000, SynthFamily::Ecoinvent));  // 19 regions
  const CscMatrix& A = m.A();
  const auto& location = m.activities().column("location");
  Index global = 0;
  for (Index j = 0; j < A.cols; ++j) {
    global += location[j] == "GLO";
    for (Index p = A.col_ptr[j]; p < A.col_ptr[j + 1]; ++p) {
      const Index i = A.row_idx[p];
      if (location[i] != "GLO" && location[j] != "GLO") ASSERT_EQ(location[i], location[j]);
    }
  }
  EXPECT_GT(global, 0);
  EXPECT_LE(global, 16);
}

TEST(Synth, UncertaintyDescribesTheSameSystem) {
  for (SynthFamily family : {SynthFamily::Ecoinvent, SynthFamily::Stress}) {
    const Model plain = synth(options(1500, family));
    const Model m = synth(options(1500, family, true));
    EXPECT_EQ(plain.A().col_ptr, m.A().col_ptr);
    EXPECT_EQ(plain.A().row_idx, m.A().row_idx);
    EXPECT_EQ(plain.A().values, m.A().values);
    EXPECT_EQ(plain.B().row_idx, m.B().row_idx);
    EXPECT_EQ(plain.B().values, m.B().values);
    EXPECT_EQ(plain.C().values, m.C().values);
    const MatrixData& t = m.technosphere();
    ASSERT_TRUE(t.has_uncertainty());
    for (std::size_t e = 0; e < t.entries.size(); ++e) {
      const bool diagonal = t.entries[e].row == t.entries[e].col;
      EXPECT_EQ(t.uncertainty[e].type, diagonal ? 0 : 2);
      if (!diagonal) {  // lognormal whose median is the amount
        EXPECT_TRUE(t.uncertainty[e].negative);
        EXPECT_NEAR(std::exp(t.uncertainty[e].loc), -t.entries[e].amount, 1e-12);
        EXPECT_GT(t.uncertainty[e].scale, 0.0);
      }
    }
    const MatrixData& b = m.biosphere();
    ASSERT_TRUE(b.has_uncertainty());
    for (std::size_t e = 0; e < b.entries.size(); ++e) {
      EXPECT_EQ(b.uncertainty[e].type, 2);
      EXPECT_NEAR(std::exp(b.uncertainty[e].loc) / b.entries[e].amount, 1.0, 1e-12);
    }
  }
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
  o.k = 3;
  o.family = static_cast<SynthFamily>(7);
  EXPECT_THROW(synth(o), InvalidInputError);
}

TEST(Synth, TinyAndExtremeShapesAreSolvable) {
  for (SynthFamily family : {SynthFamily::Ecoinvent, SynthFamily::Stress}) {
    for (Index n : {1, 2, 3, 10, 100, 700}) {
      for (double core : {0.0, 0.4, 1.0}) {
        SynthOptions o = options(n, family);
        o.core_fraction = core;
        const Model m = synth(o);
        expect_column_diagonally_dominant(m.A());
        Factorization f(m.A());
        std::vector<double> b(n, 1.0);
        f.solve_in_place(b);
        for (double v : b) EXPECT_TRUE(std::isfinite(v));
      }
    }
  }
}
