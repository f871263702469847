// Tests of hiili/io/matrix_files.hpp: Matrix Market and CSV triplet models, hand-made with
// known matrices, round trips through the writers (a published USEEIO model, a Brightway model
// with uncertainty), and hostile variants of every file.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "hiili/error.hpp"
#include "hiili/io/datapackage.hpp"
#include "hiili/io/matrix_files.hpp"
#include "hiili/io/read.hpp"
#include "hiili/io/useeio.hpp"
#include "hiili/lca.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using hiili::test_util::TempDir;
using hiili::test_util::expect_format_error;
using hiili::FormatError;
using hiili::Index;

namespace {

const fs::path kShared = HIILI_SHARED_DATA;



// A = [[1, 0, 0], [-0.5, 1, -0.2], [0, -0.1, 1]], B = [[2, 0, 1], [0, 3, 0]], C = [[1, 10]].
Eigen::MatrixXd dense_A() {
  Eigen::MatrixXd A(3, 3);
  A << 1, 0, 0, -0.5, 1, -0.2, 0, -0.1, 1;
  return A;
}
Eigen::MatrixXd dense_B() {
  Eigen::MatrixXd B(2, 3);
  B << 2, 0, 1, 0, 3, 0;
  return B;
}
Eigen::MatrixXd dense_C() {
  Eigen::MatrixXd C(1, 2);
  C << 1, 10;
  return C;
}

void write_mm_model(const TempDir& dir) {
  dir.write("mm/A.mtx",
            "%%MatrixMarket matrix coordinate real general\n% technosphere\n\n3 3 6\n"
            "1 1 1\n2 1 -0.5\n2 2 1\n2 3 -0.2\n3 2 -1e-1\n3 3 1.0\n");
  dir.write("mm/B.mtx", "%%MatrixMarket matrix coordinate real general\n2 3 3\n1 1 2\n2 2 3\n1 3 1\n");
  dir.write("mm/C.mtx", "%%MatrixMarket matrix array real general\n1 2\n1\n10\n");
  dir.write("mm/activities.csv", "id,name,location\na1,\"Steel, hot rolled\",GLO\na2,Power,DE\na3,Transport,CH\n");
  dir.write("mm/flows.csv", "id,name,unit\nco2,Carbon dioxide,kg\nch4,Methane,kg\n");
  dir.write("mm/categories.csv", "id,name,unit\ngwp,Climate change,kg CO2 eq\n");
}

void write_csv_model(const TempDir& dir) {
  dir.write("csv/A.csv", "row,col,value\n0,0,1\n1,0,-0.5\n1,1,1\n1,2,-0.2\n2,1,-0.1\n2,2,1\n");
  dir.write("csv/B.csv", "0,0,2\r\n1,1,3\r\n0,2,1\r\n");  // no header, CRLF
  dir.write("csv/C.csv", "\xEF\xBB\xBFrow,col,value\n0,0,1\n0,1,10\n");  // UTF-8 byte order mark
}

void check_small(const hiili::Model& m) {
  EXPECT_TRUE(m.A().to_dense().isApprox(dense_A(), 1e-15));
  EXPECT_EQ(m.B().to_dense(), dense_B());
  EXPECT_EQ(m.C().to_dense(), dense_C());
  hiili::Lca lca(m);
  const Eigen::MatrixXd want = dense_C() * dense_B() * dense_A().inverse();
  EXPECT_TRUE(lca.activity_scores().isApprox(want, 1e-13));
}

}  // namespace

// ---- Matrix Market -------------------------------------------------------------------------

TEST(MatrixMarket, SmallModelWithLabels) {
  TempDir dir;
  write_mm_model(dir);
  EXPECT_EQ(hiili::io::detect_format(dir.path() / "mm"), hiili::io::Format::MatrixMarket);
  const hiili::Model m = hiili::io::read(dir.path() / "mm");
  check_small(m);
  EXPECT_EQ(m.activities().column("name")[0], "Steel, hot rolled");
  EXPECT_EQ(m.activities().column("location")[1], "DE");
  EXPECT_EQ(m.flows().column("unit")[1], "kg");
  EXPECT_EQ(m.categories().column("name")[0], "Climate change");
  EXPECT_EQ(m.activities().find("a3"), 2);
}

TEST(MatrixMarket, SingleFileIsTheTechnosphere) {
  TempDir dir;
  const fs::path f = dir.write("A.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 1\n2 2 1\n1 2 -0.5\n");
  EXPECT_EQ(hiili::io::detect_format(f), hiili::io::Format::MatrixMarket);
  const hiili::Model m = hiili::io::read(f);
  EXPECT_EQ(m.num_activities(), 2);
  EXPECT_EQ(m.num_flows(), 0);
  EXPECT_EQ(m.num_categories(), 0);
  EXPECT_DOUBLE_EQ(m.A().to_dense()(0, 1), -0.5);
}

TEST(MatrixMarket, FieldsAndSymmetries) {
  TempDir dir;
  const auto read = [&](const std::string& text) {
    return hiili::io::read_matrix_market_matrix(dir.write("m.mtx", text)).to_dense();
  };
  Eigen::MatrixXd want(3, 3);
  want << 4, 1, 0, 1, 5, 2, 0, 2, 6;
  EXPECT_EQ(read("%%MatrixMarket matrix coordinate real symmetric\n3 3 5\n1 1 4\n2 1 1\n2 2 5\n3 2 2\n3 3 6\n"), want);
  EXPECT_EQ(read("%%MatrixMarket matrix array real symmetric\n3 3\n4\n1\n0\n5\n2\n6\n"), want);
  Eigen::MatrixXd skew(2, 2);
  skew << 0, -3, 3, 0;
  EXPECT_EQ(read("%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 3\n"), skew);
  EXPECT_EQ(read("%%MatrixMarket matrix array real skew-symmetric\n2 2\n3\n"), skew);
  Eigen::MatrixXd pattern(2, 3);
  pattern << 1, 0, 0, 0, 0, 1;
  EXPECT_EQ(read("%%matrixmarket MATRIX Coordinate Pattern General\n2 3 2\n1 1\n2 3\n"), pattern);
  Eigen::MatrixXd ints(2, 2);
  ints << 7, 0, 0, -2;
  EXPECT_EQ(read("%%MatrixMarket matrix coordinate integer general\n2 2 2\n1 1 7\n2 2 -2\n"), ints);
  Eigen::MatrixXd dense(2, 3);
  dense << 1, 3, 5, 2, 4, 6;
  EXPECT_EQ(read("%%MatrixMarket matrix array real general\n% column-major\n2 3\n1\n2\n3\n4\n5\n6\n"), dense);
  // Duplicates add up; CRLF and trailing blank lines are fine.
  Eigen::MatrixXd dup(1, 1);
  dup << 3.5;
  EXPECT_EQ(read("%%MatrixMarket matrix coordinate real general\r\n1 1 2\r\n1 1 1.5\r\n1 1 2\r\n\r\n"), dup);
  const hiili::CscMatrix empty = hiili::io::read_matrix_market_matrix(
      dir.write("e.mtx", "%%MatrixMarket matrix coordinate real general\n0 4 0\n"));
  EXPECT_EQ(empty.rows, 0);
  EXPECT_EQ(empty.cols, 4);
}

TEST(MatrixMarket, IoCoefficients) {
  TempDir dir;
  dir.write("io/A.mtx", "%%MatrixMarket matrix coordinate real general\n2 2 3\n1 1 0.1\n1 2 0.2\n2 2 0.3\n");
  hiili::io::MatrixFilesOptions options;
  options.io_coefficients = true;
  const hiili::Model m = hiili::io::read_matrix_market(dir.path() / "io", options);
  Eigen::MatrixXd want(2, 2);
  want << 0.9, -0.2, 0, 0.7;
  EXPECT_TRUE(m.A().to_dense().isApprox(want, 1e-15));
  EXPECT_EQ(m.technosphere().entries.size(), 5u);
}

TEST(MatrixMarket, RoundTripOfAPublishedModel) {
  const fs::path useeio = kShared / "useeio_v2.0_ghg";
  ASSERT_TRUE(fs::exists(useeio)) << "missing " << useeio;
  const hiili::Model original = hiili::io::read_useeio(useeio);
  TempDir dir;
  hiili::io::write_matrix_market(original, dir.path() / "out");
  const hiili::Model copy = hiili::io::read(dir.path() / "out");
  for (auto kind : {hiili::MatrixKind::Technosphere, hiili::MatrixKind::Biosphere,
                    hiili::MatrixKind::Characterization}) {
    const auto& a = original.data(kind).matrix;
    const auto& b = copy.data(kind).matrix;
    EXPECT_EQ(a.rows, b.rows);
    EXPECT_EQ(a.cols, b.cols);
    EXPECT_EQ(a.col_ptr, b.col_ptr);
    EXPECT_EQ(a.row_idx, b.row_idx);
    EXPECT_EQ(a.values, b.values);  // bit for bit: shortest round-trip text
  }
  EXPECT_EQ(copy.activities().column("description"), original.activities().column("description"));
  EXPECT_EQ(copy.flows().column("id"), original.flows().column("id"));
  EXPECT_EQ(copy.categories().column("unit"), original.categories().column("unit"));
}

// ---- CSV triplets -------------------------------------------------------------------------

TEST(CsvTriplets, SmallModel) {
  TempDir dir;
  write_csv_model(dir);
  EXPECT_EQ(hiili::io::detect_format(dir.path() / "csv"), hiili::io::Format::CsvTriplets);
  const hiili::Model m = hiili::io::read(dir.path() / "csv");
  check_small(m);
  EXPECT_TRUE(m.activities().empty());
}

TEST(CsvTriplets, LabelsGiveTheShape) {
  TempDir dir;
  write_csv_model(dir);
  // Four activities (the last has only its diagonal), three flows (one without entries).
  dir.write("csv/A.csv", "row,col,value\n0,0,1\n1,0,-0.5\n1,1,1\n1,2,-0.2\n2,1,-0.1\n2,2,1\n3,3,2\n");
  dir.write("csv/activities.csv", "id,name\na,A\nb,B\nc,C\nd,D\n");
  dir.write("csv/flows.csv", "id\nx\ny\nz\n");
  dir.write("csv/C.csv", "row,col,value\n0,0,1\n0,1,10\n0,2,5\n");
  const hiili::Model m = hiili::io::read_csv_triplets(dir.path() / "csv");
  EXPECT_EQ(m.num_activities(), 4);
  EXPECT_EQ(m.num_flows(), 3);
  EXPECT_EQ(m.flows().column("id")[2], "z");
}

TEST(CsvTriplets, FlipAndUncertaintyColumns) {
  TempDir dir;
  dir.write("u/A.csv",
            "col,row,value,flip,uncertainty_type,loc,scale,shape,minimum,maximum,negative\n"
            "0,0,1,false,0,,,,,,\n"
            "1,1,1,0,,,,,,,\n"
            "1,0,0.4,true,2,-0.916,0.1,,,,false\n");
  const hiili::Model m = hiili::io::read_csv_triplets(dir.path() / "u");
  EXPECT_DOUBLE_EQ(m.A().to_dense()(0, 1), -0.4);
  const auto& t = m.technosphere();
  ASSERT_TRUE(t.has_uncertainty());
  EXPECT_EQ(t.uncertainty[2].type, 2);
  EXPECT_DOUBLE_EQ(t.uncertainty[2].loc, -0.916);
  EXPECT_DOUBLE_EQ(t.uncertainty[2].scale, 0.1);
  EXPECT_TRUE(std::isnan(t.uncertainty[2].shape));
  EXPECT_TRUE(t.entries[2].flip);
  EXPECT_EQ(t.uncertainty[0].type, 0);
}

TEST(CsvTriplets, RoundTripKeepsEntriesFlipAndUncertainty) {
  const fs::path fixtures = kShared / "bw2calc_fixtures" / "fixtures";
  ASSERT_TRUE(fs::exists(fixtures)) << "missing " << fixtures;
  std::vector<fs::path> packages;
  for (int i = 1; i <= 5; ++i) packages.push_back(fixtures / ("multi_lca_simple_" + std::to_string(i) + ".zip"));
  const hiili::Model original = hiili::io::read_datapackages(packages);
  TempDir dir;
  hiili::io::write_csv_triplets(original, dir.path() / "out");
  const hiili::Model copy = hiili::io::read(dir.path() / "out");
  for (auto kind : {hiili::MatrixKind::Technosphere, hiili::MatrixKind::Biosphere,
                    hiili::MatrixKind::Characterization}) {
    const auto& a = original.data(kind);
    const auto& b = copy.data(kind);
    ASSERT_EQ(a.entries.size(), b.entries.size());
    EXPECT_EQ(a.matrix.values, b.matrix.values);
    EXPECT_EQ(a.has_uncertainty(), b.has_uncertainty());
    for (std::size_t e = 0; e < a.entries.size(); ++e) {
      EXPECT_EQ(a.entries[e].row, b.entries[e].row);
      EXPECT_EQ(a.entries[e].col, b.entries[e].col);
      EXPECT_EQ(a.entries[e].amount, b.entries[e].amount);
      EXPECT_EQ(a.entries[e].flip, b.entries[e].flip);
      if (!a.has_uncertainty()) continue;
      const auto &u = a.uncertainty[e], &v = b.uncertainty[e];
      EXPECT_EQ(u.type, v.type);
      for (auto [x, y] : {std::pair{u.loc, v.loc}, {u.scale, v.scale}, {u.shape, v.shape},
                          {u.minimum, v.minimum}, {u.maximum, v.maximum}})
        EXPECT_TRUE((std::isnan(x) && std::isnan(y)) || x == y) << x << " vs " << y;
      EXPECT_EQ(u.negative, v.negative);
    }
  }
  EXPECT_EQ(copy.activities().column("product"), original.activities().column("product"));
  EXPECT_EQ(copy.categories().column("name"), original.categories().column("name"));
}

// ---- hostile files --------------------------------------------------------------------------

struct Hostile {
  const char* name;
  const char* file;  // relative to the model folder
  std::string content;
  std::vector<std::string> message;
};

void PrintTo(const Hostile& h, std::ostream* os) { *os << h.name; }

class MatrixMarketHostile : public ::testing::TestWithParam<Hostile> {};
class CsvTripletsHostile : public ::testing::TestWithParam<Hostile> {};

void run_hostile(const Hostile& h, const fs::path& folder, const TempDir& dir, const std::string& sub,
                 const std::function<void()>& read) {
  if (h.content == "<delete>")
    fs::remove(folder / h.file);
  else
    dir.write(sub + "/" + h.file, h.content);
  try {
    read();
    ADD_FAILURE() << "no FormatError for " << h.name;
  } catch (const FormatError& e) {
    const std::string what = e.what();
    for (const std::string& part : h.message)
      EXPECT_NE(what.find(part), std::string::npos) << "message lacks '" << part << "': " << what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << h.name << ": expected FormatError, got " << e.what();
  }
}

TEST_P(MatrixMarketHostile, IsFormatError) {
  TempDir dir;
  write_mm_model(dir);
  const fs::path folder = dir.path() / "mm";
  run_hostile(GetParam(), folder, dir, "mm", [&] { (void)hiili::io::read_matrix_market(folder); });
}

TEST_P(CsvTripletsHostile, IsFormatError) {
  TempDir dir;
  write_csv_model(dir);
  const fs::path folder = dir.path() / "csv";
  run_hostile(GetParam(), folder, dir, "csv", [&] { (void)hiili::io::read_csv_triplets(folder); });
}

const std::string kMM = "%%MatrixMarket matrix coordinate real general\n";

INSTANTIATE_TEST_SUITE_P(
    Files, MatrixMarketHostile,
    ::testing::Values(
        Hostile{"missing_A", "A.mtx", "<delete>", {"A.mtx", "no such file"}},
        Hostile{"empty", "A.mtx", "", {"A.mtx", "empty"}},
        Hostile{"no_header", "A.mtx", "3 3 1\n1 1 1\n", {"A.mtx", "line 1", "%%MatrixMarket"}},
        Hostile{"short_header", "A.mtx", "%%MatrixMarket matrix coordinate real\n3 3 0\n", {"A.mtx", "line 1"}},
        Hostile{"vector_object", "A.mtx", "%%MatrixMarket vector coordinate real general\n3 3 0\n", {"A.mtx", "'vector'"}},
        Hostile{"complex", "A.mtx", "%%MatrixMarket matrix coordinate complex general\n1 1 1\n1 1 1 0\n", {"A.mtx", "'complex'"}},
        Hostile{"hermitian", "A.mtx", "%%MatrixMarket matrix coordinate real hermitian\n1 1 1\n1 1 1\n", {"A.mtx", "'hermitian'"}},
        Hostile{"array_pattern", "A.mtx", "%%MatrixMarket matrix array pattern general\n1 1\n", {"A.mtx", "coordinate"}},
        Hostile{"no_size_line", "A.mtx", kMM + "% only comments\n", {"A.mtx", "no size line"}},
        Hostile{"bad_size_line", "A.mtx", kMM + "3 three 6\n", {"A.mtx", "line 2", "'three'"}},
        Hostile{"size_line_too_short", "A.mtx", kMM + "3 3\n", {"A.mtx", "line 2", "rows cols entries"}},
        Hostile{"negative_size", "A.mtx", kMM + "-3 3 1\n1 1 1\n", {"A.mtx", "negative"}},
        Hostile{"huge_size", "A.mtx", kMM + "99999999999 99999999999 1\n1 1 1\n", {"A.mtx", "limit"}},
        Hostile{"implausible_size", "A.mtx", kMM + "50000000 50000000 1\n1 1 1\n", {"A.mtx", "implausibly large"}},
        // Found by fuzzing: a few bytes declaring a model of 10^5..10^6 rows (hundreds of MB).
        Hostile{"implausible_size_below_a_million", "A.mtx", kMM + "900000 900000 1\n1 1 1\n", {"A.mtx", "implausibly large"}},
        Hostile{"huge_entry_count", "A.mtx", kMM + "3 3 99999999999\n1 1 1\n", {"A.mtx", "more than the file can hold"}},
        Hostile{"truncated", "A.mtx", kMM + "3 3 6\n1 1 1\n2 1 -0.5\n2 2 1\n", {"A.mtx", "truncated", "6 entries declared, 3 found"}},
        Hostile{"too_many", "A.mtx", kMM + "3 3 1\n1 1 1\n2 2 1\n", {"A.mtx", "line 4", "more entries"}},
        Hostile{"zero_index", "A.mtx", kMM + "3 3 1\n0 1 1\n", {"A.mtx", "line 3", "1-based"}},
        Hostile{"index_too_big", "A.mtx", kMM + "3 3 1\n4 1 1\n", {"A.mtx", "line 3", "outside"}},
        Hostile{"nan_value", "A.mtx", kMM + "3 3 1\n1 1 nan\n", {"A.mtx", "line 3", "not finite"}},
        Hostile{"inf_value", "A.mtx", kMM + "3 3 1\n1 1 -inf\n", {"A.mtx", "line 3", "not finite"}},
        Hostile{"overflow_value", "A.mtx", kMM + "3 3 1\n1 1 1e999\n", {"A.mtx", "line 3"}},
        Hostile{"text_value", "A.mtx", kMM + "3 3 1\n1 1 one\n", {"A.mtx", "line 3", "'one'"}},
        Hostile{"float_index", "A.mtx", kMM + "3 3 1\n1.5 1 1\n", {"A.mtx", "line 3", "integers"}},
        Hostile{"extra_token", "A.mtx", kMM + "3 3 1\n1 1 1 1\n", {"A.mtx", "line 3"}},
        Hostile{"upper_in_symmetric", "A.mtx", "%%MatrixMarket matrix coordinate real symmetric\n3 3 1\n1 2 1\n", {"A.mtx", "line 3", "above the diagonal"}},
        Hostile{"diagonal_in_skew", "A.mtx", "%%MatrixMarket matrix coordinate real skew-symmetric\n3 3 1\n2 2 1\n", {"A.mtx", "line 3", "diagonal"}},
        Hostile{"rectangular_symmetric", "A.mtx", "%%MatrixMarket matrix coordinate real symmetric\n3 2 0\n", {"A.mtx", "square"}},
        Hostile{"array_too_short", "A.mtx", "%%MatrixMarket matrix array real general\n3 3\n1\n2\n", {"A.mtx", "truncated"}},
        Hostile{"array_declares_too_much", "A.mtx", "%%MatrixMarket matrix array real general\n60000 60000\n1\n", {"A.mtx", "more values than the file"}},
        Hostile{"utf16", "A.mtx", std::string("\xFF\xFE%\0%\0", 6), {"A.mtx", "UTF-16"}},
        Hostile{"nul_bytes", "A.mtx", kMM + std::string("3 3 1\n1 1 \0\n", 12), {"A.mtx", "NUL"}},
        Hostile{"A_not_square", "A.mtx", kMM + "3 2 1\n1 1 1\n", {"A.mtx", "square"}},
        Hostile{"B_wrong_columns", "B.mtx", kMM + "2 4 1\n1 1 1\n", {"B.mtx", "4 columns"}},
        Hostile{"C_wrong_columns", "C.mtx", kMM + "1 3 1\n1 1 1\n", {"C.mtx", "3 columns"}},
        Hostile{"C_without_B", "B.mtx", "<delete>", {"C.mtx", "without a biosphere"}},
        Hostile{"labels_too_few", "activities.csv", "id,name\na1,x\na2,y\n", {"activities.csv", "2 rows", "3"}},
        Hostile{"labels_too_many", "flows.csv", "id\na\nb\nc\n", {"flows.csv", "line 4", "more rows"}},
        Hostile{"labels_duplicate_id", "activities.csv", "id,name\na1,x\na2,y\na1,z\n", {"activities.csv", "line 4", "duplicate id 'a1'", "line 2"}},
        Hostile{"labels_field_count", "activities.csv", "id,name\na1,x\na2\na3,z\n", {"activities.csv", "line 3", "1 fields"}},
        Hostile{"labels_unterminated_quote", "activities.csv", "id,name\na1,\"x\na2,y\na3,z\n", {"activities.csv", "line 2", "unterminated"}},
        Hostile{"labels_text_after_quote", "activities.csv", "id,name\na1,\"x\"y\na2,y\na3,z\n", {"activities.csv", "line 2", "after the closing quote"}},
        Hostile{"labels_invalid_utf8", "activities.csv", "id,name\na1,x\na2,\xC3\x28\na3,z\n", {"activities.csv", "line 3", "UTF-8"}},
        Hostile{"labels_overlong_utf8", "activities.csv", "id,name\na1,x\na2,\xC0\xAF\na3,z\n", {"activities.csv", "line 3", "UTF-8"}},
        Hostile{"labels_empty", "categories.csv", "", {"categories.csv", "empty"}},
        Hostile{"labels_unnamed_column", "categories.csv", "id,,unit\ngwp,x,kg\n", {"categories.csv", "line 1", "no name"}},
        Hostile{"labels_duplicate_column", "categories.csv", "id,id\ngwp,x\n", {"categories.csv", "line 1", "duplicate column"}}),
    [](const auto& info) { return std::string(info.param.name); });

INSTANTIATE_TEST_SUITE_P(
    Files, CsvTripletsHostile,
    ::testing::Values(
        Hostile{"missing_A", "A.csv", "<delete>", {"A.csv", "no such file"}},
        Hostile{"empty", "A.csv", "", {"A.csv", "empty"}},
        Hostile{"header_only", "A.csv", "row,col,value\n", {"A.csv", "no entries"}},
        Hostile{"unknown_column", "A.csv", "row,col,value,colour\n0,0,1,red\n", {"A.csv", "line 1", "'colour'"}},
        Hostile{"duplicate_column", "A.csv", "row,col,value,row\n0,0,1,0\n", {"A.csv", "line 1", "duplicate"}},
        Hostile{"no_value_column", "A.csv", "row,col\n0,0\n", {"A.csv", "line 1", "'value'"}},
        Hostile{"text_index", "A.csv", "0,0,1\nx,1,1\n", {"A.csv", "line 2", "integers"}},
        Hostile{"negative_index", "A.csv", "0,0,1\n-1,1,1\n", {"A.csv", "line 2", "negative"}},
        Hostile{"huge_index", "A.csv", "0,0,1\n999999999999,1,1\n", {"A.csv", "line 2", "limit"}},
        Hostile{"implausible_index", "A.csv", "0,0,1\n50000000,1,1\n", {"A.csv", "implausible"}},
        Hostile{"implausible_index_below_a_million", "A.csv", "0,0,1\n0,1,0.5\n720808,2,4000.3\n", {"A.csv", "implausible"}},
        Hostile{"nan_value", "A.csv", "0,0,1\n1,1,NaN\n", {"A.csv", "line 2", "not finite"}},
        Hostile{"inf_value", "A.csv", "0,0,1\n1,1,inf\n", {"A.csv", "line 2", "not finite"}},
        Hostile{"empty_value", "A.csv", "0,0,1\n1,1,\n", {"A.csv", "line 2", "not a number"}},
        Hostile{"comma_decimal", "A.csv", "0,0,1\n1,1,\"0,5\"\n", {"A.csv", "line 2", "'0,5'"}},
        Hostile{"too_few_fields", "A.csv", "0,0,1\n1,1\n", {"A.csv", "line 2", "2 fields"}},
        Hostile{"too_many_fields", "A.csv", "row,col,value\n0,0,1\n1,1,1,1\n", {"A.csv", "line 3", "4 fields"}},
        Hostile{"bad_flip", "A.csv", "row,col,value,flip\n0,0,1,maybe\n", {"A.csv", "line 2", "flip"}},
        Hostile{"bad_uncertainty_type", "A.csv", "row,col,value,uncertainty_type\n0,0,1,99\n", {"A.csv", "line 2", "0-12"}},
        Hostile{"bad_loc", "A.csv", "row,col,value,loc\n0,0,1,abc\n", {"A.csv", "line 2", "loc"}},
        Hostile{"unterminated_quote", "A.csv", "0,0,1\n\"1,1,1\n", {"A.csv", "line 2", "unterminated"}},
        Hostile{"utf16", "A.csv", std::string("\xFE\xFF\0" "0", 4), {"A.csv", "UTF-16"}},
        Hostile{"binary", "A.csv", std::string("0,0,1\n\0\0\0", 9), {"A.csv", "NUL"}},
        Hostile{"B_outside_labels", "flows.csv", "id\nco2\n", {"B.csv", "line 2", "outside the 1 flows"}},
        Hostile{"A_outside_labels", "activities.csv", "id\na\nb\n", {"A.csv", "line 5", "outside the 2 activities"}},
        Hostile{"C_without_B", "B.csv", "<delete>", {"C.csv", "without a biosphere"}},
        Hostile{"labels_duplicate_id", "activities.csv", "id\na\nb\na\n", {"activities.csv", "line 4", "duplicate id"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(MatrixFilesHostile, FoldersAndSingleFiles) {
  TempDir dir;
  expect_format_error([&] { hiili::io::read_csv_triplets(dir.path() / "absent"); }, {"absent", "not a folder"});
  expect_format_error([&] { hiili::io::read_matrix_market(dir.path() / "absent"); }, {"absent", "no such file"});
  const fs::path empty_folder = dir.path() / "empty";
  fs::create_directories(empty_folder);
  expect_format_error([&] { hiili::io::read_matrix_market(empty_folder); }, {"A.mtx", "no such file"});
  expect_format_error([&] { hiili::io::read_matrix_market_matrix(dir.write("x.mtx", "hello\n")); },
                      {"x.mtx", "line 1"});
  // A matrix with no entries at all is not a technosphere.
  expect_format_error([&] { hiili::io::read_matrix_market(dir.write("z.mtx", kMM + "0 0 0\n")); },
                      {"z.mtx", "empty"});
}

// ---- robustness: every truncation and many byte flips of every file ---------------------

TEST(MatrixFilesRobustness, TruncationsAndByteFlipsOfEveryFile) {
  TempDir dir;
  write_mm_model(dir);
  write_csv_model(dir);
  dir.write("csv/activities.csv", "id,name\na,\"x, y\"\nb,B\nc,C\n");
  std::mt19937 rng(3);
  for (const char* file : {"mm/A.mtx", "mm/B.mtx", "mm/C.mtx", "mm/activities.csv", "mm/flows.csv",
                           "mm/categories.csv", "csv/A.csv", "csv/B.csv", "csv/C.csv", "csv/activities.csv"}) {
    const fs::path path = dir.path() / file;
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const fs::path folder = path.parent_path();
    auto variant = [&](const std::string& spoiled, const std::string& what) {
      dir.write(file, spoiled);
      try {
        (void)hiili::io::read(folder);
      } catch (const FormatError&) {
      } catch (const std::exception& e) {
        ADD_FAILURE() << file << " " << what << ": not a FormatError: " << e.what();
      }
    };
    for (std::size_t cut = 0; cut < bytes.size(); ++cut) variant(bytes.substr(0, cut), "cut at " + std::to_string(cut));
    for (int k = 0; k < 100; ++k) {
      std::string spoiled = bytes;
      const std::size_t at = rng() % spoiled.size();
      spoiled[at] = static_cast<char>(rng() & 0xFF);
      variant(spoiled, "byte " + std::to_string(at));
    }
    dir.write(file, bytes);
  }
}
