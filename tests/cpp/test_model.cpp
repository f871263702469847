#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "hiili/diagnostics.hpp"
#include "hiili/error.hpp"
#include "hiili/model.hpp"
#include "test_util.hpp"

using namespace hiili;

TEST(ModelBuilder, SumsDuplicatesAppliesFlipAndMapsSlots) {
  ModelBuilder b(3, 2, 1);
  b.add_technosphere(0, 0, 1.0);
  b.add_technosphere(1, 1, 2.0);
  b.add_technosphere(2, 2, 4.0);
  const Index e_flip = b.add_technosphere(2, 0, 0.5, /*flip=*/true);  // -0.5
  const Index e_dup = b.add_technosphere(2, 0, 0.25, true);          // -0.25, same slot
  b.add_technosphere(0, 2, -0.3);
  b.add_biosphere(1, 0, 3.0);
  b.add_biosphere(1, 0, 1.0);  // duplicate: 4
  b.add_characterization(0, 1, 2.5);
  Model m = b.build();
  const Eigen::MatrixXd A = m.A().to_dense();
  EXPECT_DOUBLE_EQ(A(2, 0), -0.75);
  EXPECT_DOUBLE_EQ(A(0, 2), -0.3);
  EXPECT_DOUBLE_EQ(A(1, 1), 2.0);
  EXPECT_EQ(m.A().nnz(), 5);
  EXPECT_DOUBLE_EQ(m.B().to_dense()(1, 0), 4.0);
  EXPECT_EQ(m.B().nnz(), 1);
  const MatrixData& t = m.technosphere();
  ASSERT_EQ(t.entries.size(), 6u);
  EXPECT_EQ(t.slots[e_flip], t.slots[e_dup]);
  EXPECT_EQ(m.A().row_idx[t.slots[e_flip]], 2);
  EXPECT_TRUE(t.entries[e_flip].flip);
  // Rewriting values through the slot map reproduces the matrix.
  std::vector<double> values(m.A().nnz(), 0.0);
  for (std::size_t e = 0; e < t.entries.size(); ++e) values[t.slots[e]] += t.entries[e].value();
  EXPECT_EQ(values, m.A().values);
  m.A().validate("A");
}

TEST(ModelBuilder, KeepsExplicitZerosInThePattern) {
  ModelBuilder b(2, 0, 0);
  b.add_technosphere(0, 0, 1.0);
  b.add_technosphere(1, 1, 1.0);
  b.add_technosphere(1, 0, 0.5);
  b.add_technosphere(1, 0, -0.5);
  Model m = b.build();
  EXPECT_EQ(m.A().nnz(), 3);
  EXPECT_EQ(m.num_flows(), 0);
  EXPECT_EQ(m.num_categories(), 0);
}

TEST(ModelBuilder, RejectsBadEntriesNamingThem) {
  ModelBuilder b(3, 2, 1);
  EXPECT_THROW(b.add_technosphere(3, 0, 1.0), InvalidInputError);
  EXPECT_THROW(b.add_technosphere(0, -1, 1.0), InvalidInputError);
  EXPECT_THROW(b.add_biosphere(2, 0, 1.0), InvalidInputError);
  EXPECT_THROW(b.add_characterization(1, 0, 1.0), InvalidInputError);
  EXPECT_THROW(b.add_technosphere(0, 0, std::nan("")), InvalidInputError);
  EXPECT_THROW(b.add_biosphere(0, 0, std::numeric_limits<double>::infinity()), InvalidInputError);
  try {
    b.add_biosphere(5, 1, 1.0);
    FAIL();
  } catch (const InvalidInputError& e) {
    EXPECT_NE(std::string(e.what()).find("biosphere"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("row 5"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ModelBuilder(0, 1, 1), InvalidInputError);
  EXPECT_THROW(ModelBuilder(2, -1, 1), InvalidInputError);
}

TEST(ModelBuilder, KeepsUncertaintyAlignedWithEntries) {
  ModelBuilder b(2, 1, 1);
  b.add_technosphere(0, 0, 1.0);
  Uncertainty u;
  u.type = 2;
  u.loc = std::log(0.5);
  u.scale = 0.1;
  u.negative = true;
  b.add(MatrixKind::Technosphere, Entry{1, 0, -0.5, false}, u);
  b.add_technosphere(1, 1, 1.0);
  Model m = b.build();
  const MatrixData& t = m.technosphere();
  ASSERT_TRUE(t.has_uncertainty());
  ASSERT_EQ(t.uncertainty.size(), 3u);
  EXPECT_EQ(t.uncertainty[0].type, 0);
  EXPECT_EQ(t.uncertainty[1].type, 2);
  EXPECT_TRUE(t.uncertainty[1].negative);
  EXPECT_FALSE(m.biosphere().has_uncertainty());
}

TEST(Model, FromCscChecksShapesAndValues) {
  const Eigen::MatrixXd A = test_util::random_technosphere(4, 0.3, 1);
  const Eigen::MatrixXd B = test_util::random_dense(3, 4, 0.5, 2);
  const Eigen::MatrixXd C = test_util::random_dense(2, 3, 0.8, 3);
  Model m = Model::from_csc(test_util::to_csc(A), test_util::to_csc(B), test_util::to_csc(C));
  EXPECT_EQ(m.num_activities(), 4);
  EXPECT_EQ(m.num_flows(), 3);
  EXPECT_EQ(m.num_categories(), 2);
  EXPECT_EQ(m.A().to_dense(), A);
  EXPECT_THROW(Model::from_csc(test_util::to_csc(B), test_util::to_csc(B), test_util::to_csc(C)),
               InvalidInputError);  // A not square
  EXPECT_THROW(Model::from_csc(test_util::to_csc(A), test_util::to_csc(C), test_util::to_csc(C)),
               InvalidInputError);  // B has the wrong number of columns
  EXPECT_THROW(Model::from_csc(test_util::to_csc(A), test_util::to_csc(B), test_util::to_csc(B)),
               InvalidInputError);  // C has the wrong number of columns
  CscMatrix bad = test_util::to_csc(A);
  bad.values[0] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(Model::from_csc(bad, test_util::to_csc(B), test_util::to_csc(C)), InvalidInputError);
  bad = test_util::to_csc(A);
  bad.row_idx[0] = 99;
  EXPECT_THROW(Model::from_csc(bad, test_util::to_csc(B), test_util::to_csc(C)), InvalidInputError);
  bad = test_util::to_csc(A);
  bad.col_ptr.pop_back();
  EXPECT_THROW(Model::from_csc(bad, test_util::to_csc(B), test_util::to_csc(C)), InvalidInputError);
  EXPECT_THROW(Model::from_csc(CscMatrix::zeros(0, 0), CscMatrix::zeros(0, 0), CscMatrix::zeros(0, 0)),
               InvalidInputError);
}

TEST(Model, FromDataTakesAnotherModelsPartsAndChecksThem) {
  ModelBuilder b(2, 1, 1);
  b.add_technosphere(0, 0, 1.0);
  b.add_technosphere(1, 1, 1.0);
  Uncertainty u;
  u.type = 2;
  u.loc = std::log(0.5);
  u.scale = 0.1;
  b.add(MatrixKind::Technosphere, Entry{1, 0, 0.5, true}, u);
  b.add_technosphere(1, 0, -0.25);  // a duplicate: both entries share one slot
  b.add_biosphere(0, 1, 2.0);
  b.add_characterization(0, 0, 3.0);
  Labels activities(2);
  activities.set_column("id", {"a", "b"});
  b.set_activities(activities);
  const Model m = b.build();
  const Model copy = Model::from_data(m.technosphere(), m.biosphere(), m.characterization(),
                                      m.activities(), m.flows(), m.categories());
  EXPECT_EQ(copy.A().to_dense(), m.A().to_dense());
  EXPECT_EQ(copy.B().to_dense(), m.B().to_dense());
  EXPECT_EQ(copy.technosphere().slots, m.technosphere().slots);
  ASSERT_EQ(copy.technosphere().uncertainty.size(), 4u);
  EXPECT_EQ(copy.technosphere().uncertainty[2].type, 2);
  EXPECT_EQ(copy.activities().find("b"), std::optional<Index>(1));

  MatrixData moved = m.technosphere();
  moved.slots[2] = 0;  // entry 2 is at (1, 0), slot 0 holds (0, 0)
  EXPECT_NE(test_util::invalid_input_message([&] {
              Model::from_data(moved, m.biosphere(), m.characterization());
            }).find("technosphere A entry 2"),
            std::string::npos);
  MatrixData short_uncertainty = m.technosphere();
  short_uncertainty.uncertainty.pop_back();
  EXPECT_THROW(Model::from_data(short_uncertainty, m.biosphere(), m.characterization()),
               InvalidInputError);
  EXPECT_THROW(Model::from_data(m.technosphere(), m.characterization(), m.characterization()),
               InvalidInputError);  // B has the wrong number of columns
  EXPECT_THROW(Model::from_data(m.technosphere(), m.biosphere(), m.characterization(), Labels(3)),
               InvalidInputError);  // activity labels of the wrong length
}

TEST(Labels, FindsByIdThenNameAndRejectsAmbiguity) {
  Labels l(3);
  l.set_column("id", {"a", "b", "c"});
  l.set_column("name", {"steel", "steel", "b"});
  EXPECT_EQ(l.find("c"), 2);
  EXPECT_EQ(l.find("b"), 1);  // id wins over name
  EXPECT_FALSE(l.find("nothing").has_value());
  EXPECT_THROW(l.find("steel"), InvalidInputError);
  EXPECT_THROW(l.set_column("unit", {"kg"}), InvalidInputError);
  EXPECT_THROW(l.column("unit"), InvalidInputError);
  EXPECT_EQ(l.column_names(), (std::vector<std::string>{"id", "name"}));
  ModelBuilder b(2, 1, 1);
  EXPECT_THROW(b.set_activities(l), InvalidInputError);  // 3 rows for 2 activities
}

// The one label rule (resolve_label, Model::activity_index and friends): every form a table
// prints is accepted back, and an ambiguity lists candidates that each resolve.
Model labelled_model() {
  ModelBuilder b(4, 1, 2);
  for (Index j = 0; j < 4; ++j) b.add_technosphere(j, j, 1.0);
  b.add_characterization(0, 0, 1.0);
  b.add_characterization(1, 0, 2.0);
  Labels activities(4);
  activities.set_column("id", {"a1", "a2", "a3", "a4"});
  activities.set_column("name", {"plastics 39", "plastics 39", "power", ""});
  activities.set_column("code", {"221100", "331110", "", "7"});
  activities.set_column("location", {"ES", "GLO", "", "DE"});
  b.set_activities(std::move(activities));
  Labels categories(2);
  categories.set_column("id", {"impact potential/gcc/kg co2 eq", "impact potential/acid"});
  categories.set_column("name", {"Greenhouse Gases", "Acid Rain"});
  categories.set_column("code", {"GCC", "ACID"});
  b.set_categories(std::move(categories));
  return b.build();
}

std::string message_of(const Model& m, const std::string& key) {
  try {
    m.activity_index(key);
  } catch (const InvalidInputError& e) {
    return e.what();
  }
  return "";
}

TEST(Labels, ResolveAcceptsEveryPrintedForm) {
  const Model m = labelled_model();
  EXPECT_EQ(m.activity_index("a3"), 2);                // id
  EXPECT_EQ(m.activity_index("power"), 2);             // name
  EXPECT_EQ(m.activity_index("221100"), 0);            // another column (a sector code)
  EXPECT_EQ(m.category_index("GCC"), 0);               // a category code
  EXPECT_EQ(m.category_index("Acid Rain"), 1);
  EXPECT_EQ(m.activity_index("#1"), 1);                // "#i"
  EXPECT_EQ(m.activity_index("3"), 3);                 // a plain index
  EXPECT_EQ(m.activity_index("7"), 3);                 // ... but a label wins ("code" of row 3)
  EXPECT_EQ(m.activity_index("plastics 39 [ES]"), 0);  // as tables print it
  EXPECT_EQ(m.activity_index("plastics 39 [GLO]"), 1);
  for (Index i = 0; i < m.num_activities(); ++i)
    EXPECT_EQ(m.activity_index(m.activities().display(i)), i) << m.activities().display(i);
  EXPECT_EQ(m.activities().display(3), "a4 [DE]");  // empty name: the id
  EXPECT_EQ(m.flows().display(0), "#0");            // no labels
  EXPECT_EQ(m.flow_index("#0"), 0);
}

TEST(Labels, ResolveNamesTheCandidatesOfAnAmbiguity) {
  const Model m = labelled_model();
  const std::string what = message_of(m, "plastics 39");
  EXPECT_NE(what.find("activity 'plastics 39' is ambiguous"), std::string::npos) << what;
  EXPECT_NE(what.find("'plastics 39 [ES]' (#0)"), std::string::npos) << what;
  EXPECT_NE(what.find("'plastics 39 [GLO]' (#1)"), std::string::npos) << what;
  EXPECT_NE(message_of(m, "steel").find("unknown activity label 'steel'"), std::string::npos);
  EXPECT_NE(message_of(m, "#4").find("activity index 4 out of range [0, 4)"), std::string::npos);
  EXPECT_NE(message_of(m, "-1").find("out of range"), std::string::npos);
  EXPECT_THROW(m.activity_index(""), InvalidInputError);
  EXPECT_THROW(m.activity_index("#"), InvalidInputError);
  EXPECT_THROW(m.activity_index("1x"), InvalidInputError);
  EXPECT_THROW(m.category_index("#2"), InvalidInputError);
  EXPECT_THROW(m.flow_index("#1"), InvalidInputError);
}

TEST(Labels, ResolveListsAtMostTenCandidates) {
  Labels l(12);
  l.set_column("name", std::vector<std::string>(12, "same"));
  try {
    resolve_label(l, 12, "same", "flow");
    FAIL() << "expected InvalidInputError";
  } catch (const InvalidInputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("12 rows match"), std::string::npos) << what;
    EXPECT_NE(what.find("'same' (#9) and 2 more"), std::string::npos) << what;
  }
}

// The many-column product (one pass over the matrix) against the dense product, and equal to
// the one-column product column by column (same sums in the same order).
TEST(CscMatrix, ManyColumnProductMatchesDenseAndOneColumnProducts) {
  const Eigen::MatrixXd D = test_util::random_dense(40, 30, 0.2, 3);
  const CscMatrix M = test_util::to_csc(D);
  for (Index d : {1, 2, 5, 9}) {
    Eigen::MatrixXd X = test_util::random_dense(30, d, 0.6, unsigned(d));
    X(0, 0) = -2.5;
    const Eigen::MatrixXd Y = M.multiply(X);
    ASSERT_EQ(Y.rows(), 40);
    ASSERT_EQ(Y.cols(), d);
    EXPECT_LT(test_util::rel_error(Y, D * X), 1e-14);
    for (Index c = 0; c < d; ++c) {
      const Eigen::VectorXd x = X.col(c);
      EXPECT_TRUE(Y.col(c) == M.multiply(std::span<const double>(x.data(), 30))) << c;
    }
  }
  EXPECT_THROW(M.multiply(Eigen::MatrixXd(29, 2)), InvalidInputError);
  EXPECT_EQ(M.multiply(Eigen::MatrixXd(30, 0)).cols(), 0);
  // And M^T X.
  for (Index d : {1, 2, 7, 20}) {
    const Eigen::MatrixXd X = test_util::random_dense(40, d, 0.6, 50 + unsigned(d));
    const Eigen::MatrixXd Y = M.multiply_transposed(X);
    ASSERT_EQ(Y.rows(), 30);
    ASSERT_EQ(Y.cols(), d);
    EXPECT_LT(test_util::rel_error(Y, D.transpose() * X), 1e-14);
    for (Index c = 0; c < d; ++c) {
      const Eigen::VectorXd x = X.col(c);
      EXPECT_TRUE(Y.col(c) == M.multiply_transposed(std::span<const double>(x.data(), 40))) << c;
    }
  }
  EXPECT_THROW(M.multiply_transposed(Eigen::MatrixXd(30, 2)), InvalidInputError);
  EXPECT_EQ(M.multiply_transposed(Eigen::MatrixXd(40, 0)).rows(), 30);
}

// ---- diagnostics.hpp: climate_notes ----------------------------------------------------------

namespace {

// One activity emitting CO2, CH4 and N2O (and a pesticide), one category per row of `factors`:
// each row gives the factors of those four flows.
Model climate_model(const std::vector<std::array<double, 4>>& factors,
                    const std::vector<std::string>& names, const std::vector<std::string>& codes,
                    const std::vector<std::string>& units) {
  const Index k = static_cast<Index>(factors.size());
  ModelBuilder b(1, 4, k);
  b.add_technosphere(0, 0, 1.0);
  for (Index f = 0; f < 4; ++f) b.add_biosphere(f, 0, 1.0);
  for (Index q = 0; q < k; ++q)
    for (Index f = 0; f < 4; ++f)
      if (factors[q][f] != 0.0) b.add_characterization(q, f, factors[q][f]);
  Labels flows(4);
  flows.set_column("name", {"Carbon dioxide", "Methane", "Nitrous oxide", "Cyfluthrin"});
  flows.set_column("category", {"air", "air", "air", "water"});
  b.set_flows(flows);
  Labels categories(k);
  categories.set_column("name", names);
  categories.set_column("code", codes);
  categories.set_column("unit", units);
  b.set_categories(categories);
  return b.build();
}

}  // namespace

TEST(ClimateNotes, AGoodGwpRowHasNone) {
  Model m = climate_model({{1.0, 28.0, 265.0, 0.0}}, {"Greenhouse Gases"}, {"GHG"}, {"kg CO2 eq"});
  EXPECT_TRUE(is_climate_category(m, 0));
  EXPECT_TRUE(climate_notes(m).empty());
}

TEST(ClimateNotes, ARowWithoutCo2NamesTheFactorTheLargestOnesAndWhereCo2Went) {
  // USEEIO v1.2's shape: the climate row characterises a pesticide, CO2's 1 sits in HAZW.
  Model m = climate_model({{0.0, 25.0, 298.0, 4.9e8}, {1.0, 0.0, 0.0, 0.0}},
                          {"Global Climate Change", "Hazardous Waste"}, {"GCC", "HAZW"},
                          {"kg CO2 eq", "kg"});
  const auto notes = climate_notes(m);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].category, 0);
  const std::string& text = notes[0].message;
  for (const char* part :
       {"'Global Climate Change' (GCC)", "carbon dioxide", "factor of 0", "expected 0.9 to 1.1",
        "'Cyfluthrin' (water) 4.9e+08", "is in category 'Hazardous Waste' (HAZW)"})
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
}

TEST(ClimateNotes, MethaneAndNitrousOxideOutOfRangeAreNoted) {
  Model m = climate_model({{1.0, 0.5, 1.0, 0.0}}, {"Climate change"}, {""}, {"kg CO2-Eq"});
  const auto notes = climate_notes(m);
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].message.find("methane 'Methane' (air) a factor of 0.5"), std::string::npos)
      << notes[0].message;
  EXPECT_NE(notes[1].message.find("nitrous oxide"), std::string::npos) << notes[1].message;
}

TEST(ClimateNotes, OtherCategoriesAndPartialIndicatorsAreNotChecked) {
  Model m = climate_model({{0.0, 0.0, 0.0, 1.0}, {0.0, 0.0, 0.0, 0.0}},
                          {"Acid Rain", "Climate change - Biogenic"}, {"ACID", ""},
                          {"kg SO2 eq", "kg CO2 eq"});
  EXPECT_FALSE(is_climate_category(m, 0));
  EXPECT_TRUE(is_climate_category(m, 1));
  EXPECT_TRUE(climate_notes(m).empty());
}

TEST(ClimateNotes, UnnamedFlowsCannotBeChecked) {
  ModelBuilder b(1, 1, 1);
  b.add_technosphere(0, 0, 1.0);
  b.add_biosphere(0, 0, 1.0);
  b.add_characterization(0, 0, 5.0);
  Labels categories(1);
  categories.set_column("code", {"GHG"});
  b.set_categories(categories);
  EXPECT_TRUE(climate_notes(b.build()).empty());
}
