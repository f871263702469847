// Tests of hiili/io/read.hpp: format names, detection from content, and read() dispatch.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "hiili/error.hpp"
#include "hiili/io/read.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using hiili::test_util::TempDir;
using hiili::io::Format;

namespace {


const fs::path kShared = HIILI_SHARED_DATA;

}  // namespace

TEST(Formats, NamesRoundTrip) {
  for (Format f : {Format::Auto, Format::Useeio, Format::Datapackage, Format::Ecoinvent, Format::OpenLca,
                   Format::MatrixMarket, Format::CsvTriplets})
    EXPECT_EQ(hiili::io::format_from_string(hiili::io::to_string(f)), f);
  EXPECT_EQ(hiili::io::format_from_string("USEEIO"), Format::Useeio);
  EXPECT_EQ(hiili::io::format_from_string("matrix_market"), Format::MatrixMarket);
  EXPECT_EQ(hiili::io::format_from_string("mtx"), Format::MatrixMarket);
  EXPECT_EQ(hiili::io::format_from_string("csv"), Format::CsvTriplets);
  EXPECT_EQ(hiili::io::format_from_string("brightway"), Format::Datapackage);
  EXPECT_EQ(hiili::io::format_from_string("openLCA"), Format::OpenLca);
  EXPECT_THROW((void)hiili::io::format_from_string("excel"), hiili::InvalidInputError);
}

TEST(Detect, FromContent) {
  TempDir dir;
  dir.write("useeio/matrix/A.json", "[[0.5]]");
  EXPECT_EQ(hiili::io::detect_format(dir.path() / "useeio"), Format::Useeio);
  dir.write("mm/A.mm", "%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 1\n");
  EXPECT_EQ(hiili::io::detect_format(dir.path() / "mm"), Format::MatrixMarket);
  dir.write("csv/A.csv", "0,0,1\n");
  EXPECT_EQ(hiili::io::detect_format(dir.path() / "csv"), Format::CsvTriplets);
  // Matrix Market is recognised by its header whatever the file is called.
  const fs::path odd = dir.write("matrix.txt", "%%matrixmarket matrix coordinate real general\n1 1 1\n1 1 2\n");
  EXPECT_EQ(hiili::io::detect_format(odd), Format::MatrixMarket);
  EXPECT_DOUBLE_EQ(hiili::io::read(odd).A().to_dense()(0, 0), 2.0);
  EXPECT_EQ(hiili::io::read(dir.path() / "csv").num_activities(), 1);
  EXPECT_EQ(hiili::io::read(dir.path() / "mm", Format::MatrixMarket).num_activities(), 1);
}

TEST(Detect, PublishedData) {
  ASSERT_TRUE(fs::exists(kShared)) << "missing " << kShared;
  EXPECT_EQ(hiili::io::detect_format(kShared / "useeio_v1.2"), Format::Useeio);
  EXPECT_EQ(hiili::io::detect_format(kShared / "useeio_v2.0_ghg"), Format::Useeio);
  const fs::path fixtures = kShared / "bw2calc_fixtures" / "fixtures";
  EXPECT_EQ(hiili::io::detect_format(fixtures / "multi_lca_simple_1.zip"), Format::Datapackage);
  EXPECT_EQ(hiili::io::detect_format(fixtures / "basic_fixture"), Format::Datapackage);
  EXPECT_EQ(hiili::io::read(fixtures / "bw2io_example_db.zip").num_activities(), 8);
  EXPECT_EQ(hiili::io::read(kShared / "useeio_v2.0_ghg").num_categories(), 3);
}

TEST(Detect, NothingFitsIsFormatError) {
  TempDir dir;
  const auto expect = [](const fs::path& p, const std::string& part) {
    try {
      (void)hiili::io::detect_format(p);
      ADD_FAILURE() << "no FormatError for " << p;
    } catch (const hiili::FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  expect(dir.path() / "absent", "no such file");
  fs::create_directories(dir.path() / "empty");
  expect(dir.path() / "empty", "no reader recognises this folder");
  expect(dir.write("notes.txt", "just text"), "no reader recognises this file");
  expect(dir.write("empty.bin", ""), "no reader recognises this file");
  EXPECT_THROW((void)hiili::io::read(dir.path() / "empty"), hiili::FormatError);
  EXPECT_THROW((void)hiili::io::read(dir.path() / "absent", Format::Useeio), hiili::FormatError);
  EXPECT_THROW((void)hiili::io::read(dir.path() / "absent", Format::Datapackage), hiili::FormatError);
  EXPECT_THROW((void)hiili::io::read(dir.path() / "absent", Format::CsvTriplets), hiili::FormatError);
}
