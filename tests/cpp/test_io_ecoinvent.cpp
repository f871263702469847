// Tests of hiili::io::read_ecoinvent on hand-made files in the layout of ecoinvent's universal
// matrix export (the real export is licensed): tests/cpp/data/io/ecoinvent/small (Latin-1,
// CRLF) and variants written by the tests, including hostile ones.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "hiili/error.hpp"
#include "hiili/io/ecoinvent.hpp"
#include "hiili/io/read.hpp"
#include "hiili/lca.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using hiili::test_util::TempDir;
using hiili::test_util::expect_format_error;
using hiili::Index;
using hiili::io::EcoinventOptions;
using hiili::io::EcoinventReport;
using hiili::io::read_ecoinvent;

namespace {

const fs::path kSmall = fs::path(HIILI_TEST_DATA) / "io" / "ecoinvent" / "small";

// A copy of the small export in `dir`, then `name` replaced by `content` ("" content: removed).
fs::path small_with(const TempDir& tmp,
                    const std::vector<std::pair<std::string, std::string>>& changes) {
  const fs::path dir = tmp.path() / "export";
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& entry : fs::directory_iterator(kSmall))
    fs::copy_file(entry.path(), dir / entry.path().filename());
  for (const auto& [name, content] : changes) {
    if (content.empty()) {
      fs::remove(dir / name);
    } else {
      std::ofstream(dir / name, std::ios::binary | std::ios::trunc) << content;
    }
  }
  return dir;
}

const char* kHeader =
    "row;column;coefficient;uncertainty type;varianceWithPedigreeUncertainty;minValue;"
    "mostLikelyValue;maxValue\n";

// Expects FormatError whose message contains every one of `parts`.
void expect_format_error(const fs::path& dir, const std::vector<std::string>& parts,
                         const EcoinventOptions& options = {}) {
  hiili::test_util::expect_format_error([&] { (void)read_ecoinvent(dir, options); }, parts);
}

TEST(Ecoinvent, SmallExportMatricesAndLabels) {
  ASSERT_TRUE(hiili::io::is_ecoinvent(kSmall));
  EcoinventReport report;
  const hiili::Model m = read_ecoinvent(kSmall, {}, &report);
  ASSERT_EQ(m.num_activities(), 3);
  ASSERT_EQ(m.num_flows(), 2);
  ASSERT_EQ(m.num_categories(), 1);

  Eigen::MatrixXd A(3, 3), B(2, 3), C(1, 2);
  A << 1, -2.5, -0.1,  //
      0, 1, 0,         //
      0, 0.3, -1;
  B << 0.5, 2, 0.05,  //
      0, 0.01, 0;
  C << 1, 0;
  EXPECT_TRUE(m.A().to_dense().isApprox(A, 1e-15)) << m.A().to_dense();
  EXPECT_TRUE(m.B().to_dense().isApprox(B, 1e-15)) << m.B().to_dense();
  EXPECT_TRUE(m.C().to_dense().isApprox(C, 1e-15)) << m.C().to_dense();

  // Labels by index, Latin-1 converted to UTF-8, the quoted semicolon kept.
  const auto& a = m.activities();
  EXPECT_EQ(a.column("name")[0], "\xC3\xA9lectricit\xC3\xA9 production, hydro");
  EXPECT_EQ(a.column("name")[2], "treatment of waste; municipal incineration");
  EXPECT_EQ(a.column("location")[1], "GLO");
  EXPECT_EQ(a.column("product")[1], "steel, low-alloyed");
  EXPECT_EQ(a.column("unit")[0], "kWh");
  EXPECT_EQ(a.find("steel production, converter|GLO|steel, low-alloyed"), Index{1});
  EXPECT_EQ(m.flows().column("compartment")[1], "natural resource");
  EXPECT_EQ(m.flows().column("subcompartment")[0], "urban air close to ground");
  EXPECT_EQ(m.flows().find("Water, river|natural resource|in water"), Index{1});
  EXPECT_EQ(m.categories().column("indicator")[0], "GWP 100a");
  EXPECT_EQ(m.categories().column("unit")[0], "kg CO2-Eq");

  EXPECT_EQ(report.activities, 3);
  EXPECT_EQ(report.technosphere_entries, 6);
  EXPECT_EQ(report.biosphere_entries, 4);
  EXPECT_EQ(report.characterization_entries, 1);
  EXPECT_EQ(report.negative_diagonal, 1);
  EXPECT_EQ(report.missing_diagonal, 0);
  EXPECT_EQ(report.duplicate_entries, 0);
  EXPECT_TRUE(report.latin1);
  EXPECT_EQ(report.files.size(), 6u);
  EXPECT_FALSE(report.brief().empty());
}

TEST(Ecoinvent, DetectedAndReadByIoRead) {
  EXPECT_EQ(hiili::io::detect_format(kSmall), hiili::io::Format::Ecoinvent);
  EXPECT_EQ(hiili::io::read(kSmall).num_categories(), 1);
  // A.csv next to ie_index.csv is the ecoinvent layout, not generic CSV triplets.
  TempDir dir;
  const fs::path d = small_with(dir, {{"A_public.csv", ""}, {"A.csv", "0;0;1\n1;1;1\n2;2;1\n"}});
  EXPECT_EQ(hiili::io::detect_format(d), hiili::io::Format::Ecoinvent);
  EXPECT_EQ(hiili::io::read(d, hiili::io::Format::Ecoinvent).num_activities(), 3);
}

TEST(Ecoinvent, SolvesOneKilogramOfSteel) {
  hiili::Lca lca(read_ecoinvent(kSmall));
  const auto r = lca.solve(hiili::SparseDemand{{1, 1.0}});
  // s1 = 1; the treatment runs -0.3 / -1 = 0.3 times; electricity 2.5 + 0.1 * 0.3.
  EXPECT_NEAR(r.supply[0], 2.53, 1e-12);
  EXPECT_NEAR(r.supply[1], 1.0, 1e-12);
  EXPECT_NEAR(r.supply[2], 0.3, 1e-12);
  EXPECT_NEAR(r.inventory[0], 0.5 * 2.53 + 2.0 + 0.05 * 0.3, 1e-12);
  EXPECT_NEAR(r.inventory[1], 0.01, 1e-15);
  ASSERT_EQ(r.scores.size(), 1);
  EXPECT_NEAR(r.scores[0], 3.28, 1e-12);
}

TEST(Ecoinvent, UncertaintyColumns) {
  EcoinventReport report;
  const hiili::Model m = read_ecoinvent(kSmall, {}, &report);
  const auto& A = m.technosphere();
  const auto& B = m.biosphere();
  ASSERT_TRUE(A.has_uncertainty());
  ASSERT_TRUE(B.has_uncertainty());
  // Entries keep the file order.
  EXPECT_EQ(A.uncertainty[0].type, 0);
  EXPECT_EQ(A.uncertainty[3].type, 2);  // lognormal on a negative coefficient
  EXPECT_NEAR(A.uncertainty[3].loc, std::log(2.5), 1e-15);
  EXPECT_NEAR(A.uncertainty[3].scale, 0.2, 1e-15);
  EXPECT_TRUE(A.uncertainty[3].negative);
  EXPECT_EQ(A.uncertainty[4].type, 5);
  EXPECT_DOUBLE_EQ(A.uncertainty[4].minimum, 0.2);
  EXPECT_DOUBLE_EQ(A.uncertainty[4].loc, 0.3);
  EXPECT_DOUBLE_EQ(A.uncertainty[4].maximum, 0.4);
  EXPECT_EQ(A.uncertainty[5].type, 3);
  EXPECT_DOUBLE_EQ(A.uncertainty[5].loc, -0.1);
  EXPECT_NEAR(A.uncertainty[5].scale, 0.01, 1e-15);
  EXPECT_EQ(B.uncertainty[0].type, 2);
  EXPECT_FALSE(B.uncertainty[0].negative);
  EXPECT_EQ(B.uncertainty[1].type, 4);
  EXPECT_DOUBLE_EQ(B.uncertainty[1].minimum, 1.5);
  EXPECT_DOUBLE_EQ(B.uncertainty[1].maximum, 2.5);
  EXPECT_EQ(B.uncertainty[2].type, 0);
  EXPECT_FALSE(m.characterization().has_uncertainty());
  EXPECT_EQ(report.uncertain_lognormal, 2);
  EXPECT_EQ(report.uncertain_triangular, 1);
  EXPECT_EQ(report.uncertain_normal, 1);
  EXPECT_EQ(report.uncertain_uniform, 1);

  EcoinventOptions none;
  none.read_uncertainty = false;
  EXPECT_FALSE(read_ecoinvent(kSmall, none).technosphere().has_uncertainty());
}

TEST(Ecoinvent, UnsupportedAndInvalidUncertainty) {
  TempDir dir;
  const fs::path d = small_with(dir,
      {{"A_public.csv", std::string(kHeader) + "0;0;1;;;;;\n1;1;1;beta;;;;\n2;2;1;lognormal;-1;;;\n"
                                               "0;1;-1;triangular;;0.5;0.1;0.4\n"}});
  EcoinventReport report;
  const hiili::Model m = read_ecoinvent(d, {}, &report);
  EXPECT_EQ(report.uncertainty_unsupported, 1);
  EXPECT_EQ(report.uncertainty_invalid, 2);
  ASSERT_EQ(report.uncertainty_examples.size(), 3u);
  EXPECT_NE(report.uncertainty_examples[0].find("A_public.csv:3"), std::string::npos)
      << report.uncertainty_examples[0];
  EXPECT_FALSE(m.technosphere().has_uncertainty());

  EcoinventOptions strict;
  strict.strict_uncertainty = true;
  expect_format_error(d, {"A_public.csv:3", "beta"}, strict);

  const fs::path bad = small_with(dir,
      {{"A_public.csv", std::string(kHeader) + "0;0;1;;;;;\n1;1;1;normal;x;;;\n2;2;1;;;;;\n"}});
  expect_format_error(bad, {"A_public.csv:3", "not a number"});
}

TEST(Ecoinvent, VariantsThatAreFine) {
  TempDir dir;
  // No header in the triplet files, "\n" line ends, a BOM, UTF-8 index, alternative names,
  // no B/C at all, a duplicate triplet (summed).
  const fs::path d =
      small_with(dir, {{"A_public.csv", ""},
                      {"B_public.csv", ""},
                      {"C.csv", ""},
                      {"ee_index.csv", ""},
                      {"A.csv", "0;0;1\n1;1;1\n2;2;1\n0;1;-0.5\n0;1;-0.5\n"},
                      {"ie_index.csv",
                       "\xEF\xBB\xBF"
                       "index;activityName;geography;product;unitName;activity uuid\n"
                       "0;caf\xC3\xA9;CH;coffee;kg;u0\n1;b;CH;b;kg;u1\n2;c;CH;c;kg;u2\n"}});
  EcoinventReport report;
  const hiili::Model m = read_ecoinvent(d, {}, &report);
  EXPECT_EQ(m.num_flows(), 0);
  EXPECT_EQ(m.num_categories(), 0);
  EXPECT_DOUBLE_EQ(m.A().to_dense()(0, 1), -1.0);
  EXPECT_EQ(report.duplicate_entries, 1);
  EXPECT_FALSE(report.latin1);
  EXPECT_EQ(m.activities().column("name")[0], "caf\xC3\xA9");
  EXPECT_EQ(m.activities().column("activity uuid")[2], "u2");
  // LCIA_index without C.csv is left alone.
  EXPECT_TRUE(std::any_of(report.files.begin(), report.files.end(), [](const std::string& f) {
    return f.find("LCIA_index.csv (ignored") != std::string::npos;
  }));

  // Forcing Latin-1 turns the UTF-8 bytes into two characters each.
  EcoinventOptions latin1;
  latin1.encoding = EcoinventOptions::Encoding::Latin1;
  EXPECT_EQ(read_ecoinvent(d, latin1).activities().column("name")[0], "caf\xC3\x83\xC2\xA9");
}

// Layouts other readers of the export assume: headers with other names, the LCIA index by
// position, the export one folder down, a .7z release; each choice is in the report's notes.
TEST(Ecoinvent, OtherLayoutsAreReadByTheirHeaders) {
  TempDir dir;
  const std::string a =
      "source;target;data\n0;0;1\n1;1;1\n2;2;-1\n0;1;-2.5\n0;2;-0.1\n2;1;0.3\n";
  const fs::path d = small_with(dir,
      {{"A_public.csv", a},
       {"ie_index.csv",
        "system process;location;reference product;unit;index\n"
        "treatment;CH;waste;kg;2\nelectricity;CH;electricity;kWh;0\nsteel;GLO;steel;kg;1\n"},
       {"LCIA_index.csv", "impact method;impact category;impact indicator;unit;position\n"
                          "IPCC 2013;climate change;GWP 100a;kg CO2-Eq;0\n"}});
  EcoinventReport report;
  const hiili::Model m = read_ecoinvent(d, {}, &report);
  Eigen::MatrixXd A(3, 3);
  A << 1, -2.5, -0.1,  //
      0, 1, 0,         //
      0, 0.3, -1;
  EXPECT_TRUE(m.A().to_dense().isApprox(A, 1e-15)) << m.A().to_dense();
  EXPECT_EQ(m.activities().column("name")[1], "steel");
  EXPECT_EQ(m.activities().column("location")[1], "GLO");
  EXPECT_EQ(m.activities().column("product")[0], "electricity");
  EXPECT_EQ(m.categories().column("method")[0], "IPCC 2013");
  EXPECT_EQ(m.categories().column("indicator")[0], "GWP 100a");
  EXPECT_EQ(m.categories().column("unit")[0], "kg CO2-Eq");
  hiili::Lca lca(m);
  EXPECT_NEAR(lca.solve(hiili::SparseDemand{{1, 1.0}}).scores[0], 3.28, 1e-12);
  std::string notes;
  for (const auto& n : report.notes) notes += n + "\n";
  EXPECT_NE(notes.find("A_public.csv: header 'source;target;data"), std::string::npos) << notes;
  EXPECT_NE(notes.find("'impact method' as method, 'impact category' as category, 'impact "
                       "indicator' as indicator, 'unit' as unit"),
            std::string::npos)
      << notes;
  EXPECT_NE(notes.find("last column 'position' as the index"), std::string::npos) << notes;

  // Through io::read: the notes are warnings of the read report.
  const hiili::io::ReadResult r = hiili::io::read(d, hiili::io::Format::Auto, {});
  EXPECT_EQ(r.report.format, "ecoinvent");
  EXPECT_TRUE(std::any_of(r.report.warnings.begin(), r.report.warnings.end(),
                          [](const std::string& w) { return w.find("by position") != w.npos; }));
}

TEST(Ecoinvent, ReleaseFolderAndArchive) {
  TempDir dir;
  const fs::path inner = dir.path() / "release" / "universal_matrix_export";
  fs::create_directories(inner);
  for (const auto& entry : fs::directory_iterator(kSmall))
    fs::copy_file(entry.path(), inner / entry.path().filename());
  EXPECT_EQ(hiili::io::detect_format(dir.path() / "release"), hiili::io::Format::Ecoinvent);
  EcoinventReport report;
  EXPECT_EQ(read_ecoinvent(dir.path() / "release", {}, &report).num_activities(), 3);
  ASSERT_EQ(report.notes.size(), 1u);
  EXPECT_NE(report.notes[0].find("subfolder universal_matrix_export"), std::string::npos);

  const fs::path archive = dir.path() / "ecoinvent 3.10_cutoff_ecoSpold02.7z";
  std::ofstream(archive, std::ios::binary) << std::string("7z\xBC\xAF\x27\x1C", 6) << "rest";
  EXPECT_EQ(hiili::io::detect_format(archive), hiili::io::Format::Ecoinvent);
  expect_format_error(archive, {"ecoSpold02.7z", "corrupt or truncated 7-Zip archive"});
}

// The files of the small export, by file name.
std::vector<std::pair<std::string, std::string>> small_files() {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : fs::directory_iterator(kSmall)) {
    if (entry.path().extension() != ".csv") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    files.emplace_back(entry.path().filename().string(),
                       std::string(std::istreambuf_iterator<char>(in), {}));
  }
  return files;
}

// Writes `members` (name, bytes) as a 7-Zip archive with libarchive's writer; `compression`
// is its 7zip option ("lzma1", "deflate", "store", ...).
void write_7z(const fs::path& path, const std::vector<std::pair<std::string, std::string>>& members,
              const char* compression = "lzma1") {
  archive* a = archive_write_new();
  ASSERT_EQ(archive_write_set_format_7zip(a), ARCHIVE_OK);
  ASSERT_EQ(archive_write_set_format_option(a, "7zip", "compression", compression), ARCHIVE_OK)
      << archive_error_string(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const auto& [name, data] : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    ASSERT_EQ(archive_write_data(a, data.data(), data.size()),
              static_cast<la_ssize_t>(data.size()));
    archive_entry_free(e);
  }
  ASSERT_EQ(archive_write_close(a), ARCHIVE_OK) << archive_error_string(a);
  archive_write_free(a);
}

// The small export in `folder` of a 7-Zip archive ("" at its root).
std::vector<std::pair<std::string, std::string>> in_folder(const std::string& folder) {
  auto files = small_files();
  for (auto& file : files) file.first = folder.empty() ? file.first : folder + "/" + file.first;
  return files;
}

std::string bytes_of(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Solves one unit of activity `j` densely (Eigen's LU, no hiili solver): s, g = B s, h = C g.
void expect_dense_solve(const hiili::Model& m, Index j) {
  const Eigen::MatrixXd A = m.A().to_dense(), B = m.B().to_dense(), C = m.C().to_dense();
  Eigen::VectorXd f = Eigen::VectorXd::Zero(A.rows());
  f[j] = 1.0;
  const Eigen::VectorXd s = A.fullPivLu().solve(f);
  hiili::Lca lca(m);
  const auto r = lca.solve(hiili::SparseDemand{{j, 1.0}});
  for (Index i = 0; i < A.rows(); ++i) EXPECT_NEAR(r.supply[i], s[i], 1e-12);
  const Eigen::VectorXd g = B * s, h = C * g;
  for (Index i = 0; i < B.rows(); ++i) EXPECT_NEAR(r.inventory[i], g[i], 1e-12);
  for (Index i = 0; i < C.rows(); ++i) EXPECT_NEAR(r.scores[i], h[i], 1e-12);
}

// A .7z release (as ecoinvent ships it) reads as the same model as its unpacked folder.
TEST(Ecoinvent, SevenZipReleaseReadsAsTheFolder) {
  TempDir dir;
  const hiili::Model folder = read_ecoinvent(kSmall);
  for (const char* compression : {"lzma1", "lzma2", "deflate", "store"}) {
    SCOPED_TRACE(compression);
    const fs::path archive = dir.path() / (std::string("release_") + compression + ".7z");
    write_7z(archive, in_folder("universal_matrix_export_3.10_cut-off"), compression);
    ASSERT_TRUE(hiili::io::is_ecoinvent(archive));
    EcoinventReport report;
    const hiili::Model m = read_ecoinvent(archive, {}, &report);
    EXPECT_TRUE(m.A().to_dense().isApprox(folder.A().to_dense(), 0.0));
    EXPECT_TRUE(m.B().to_dense().isApprox(folder.B().to_dense(), 0.0));
    EXPECT_TRUE(m.C().to_dense().isApprox(folder.C().to_dense(), 0.0));
    for (const char* column : {"id", "name", "location", "product", "unit"})
      EXPECT_EQ(m.activities().column(column), folder.activities().column(column)) << column;
    EXPECT_EQ(m.flows().column("id"), folder.flows().column("id"));
    EXPECT_EQ(m.categories().column("id"), folder.categories().column("id"));
    EXPECT_EQ(m.technosphere().uncertainty.size(), folder.technosphere().uncertainty.size());
    EXPECT_TRUE(report.latin1);
    ASSERT_EQ(report.files.size(), 6u);
    EXPECT_NE(report.files[0].find(".7z!/universal_matrix_export_3.10_cut-off/ie_index.csv"),
              std::string::npos)
        << report.files[0];
    ASSERT_EQ(report.notes.size(), 1u);
    EXPECT_NE(report.notes[0].find("its folder universal_matrix_export_3.10_cut-off"),
              std::string::npos);
    for (Index j = 0; j < m.num_activities(); ++j) expect_dense_solve(m, j);
  }
  // At the archive's root, and through io::read with format detection.
  const fs::path root = dir.path() / "root.7z";
  write_7z(root, in_folder(""));
  EXPECT_EQ(hiili::io::detect_format(root), hiili::io::Format::Ecoinvent);
  const hiili::io::ReadResult r = hiili::io::read(root, hiili::io::Format::Auto, {});
  EXPECT_EQ(r.report.format, "ecoinvent");
  EXPECT_TRUE(r.model.A().to_dense().isApprox(folder.A().to_dense(), 0.0));
  // Other members, deeper files and a second copy deeper down are not read.
  auto extra = in_folder("export");
  extra.emplace_back("export/readme.txt", "not csv");
  extra.emplace_back("export/old/ie_index.csv", "garbage");
  const fs::path mixed = dir.path() / "mixed.7z";
  write_7z(mixed, extra);
  EXPECT_EQ(read_ecoinvent(mixed).num_activities(), 3);
}

TEST(EcoinventHostile, SevenZipArchives) {
  TempDir dir;
  const fs::path good = dir.path() / "good.7z";
  write_7z(good, in_folder("export"));
  const std::string bytes = bytes_of(good);
  auto variant = [&](const std::string& name, const std::string& data) {
    const fs::path p = dir.path() / name;
    std::ofstream(p, std::ios::binary | std::ios::trunc) << data;
    return p;
  };
  // Truncated: at the end header, in the packed streams, after the signature.
  expect_format_error(variant("cut1.7z", bytes.substr(0, bytes.size() - 10)), {"cut1.7z", "7-Zip"});
  expect_format_error(variant("cut2.7z", bytes.substr(0, bytes.size() / 2)), {"cut2.7z", "7-Zip"});
  expect_format_error(variant("cut3.7z", bytes.substr(0, 40)), {"cut3.7z", "7-Zip"});
  expect_format_error(variant("empty.7z", ""), {"empty.7z", "not a readable 7-Zip archive"});
  // No export inside, two exports side by side, a member above the size limit.
  const fs::path none = dir.path() / "none.7z";
  write_7z(none, {{"data/readme.txt", "hello"}, {"a/b/ie_index.csv", "x"}});
  expect_format_error(none, {"none.7z", "without ie_index.csv at its root or one folder down"});
  auto two = in_folder("cutoff");
  for (auto& f : in_folder("apos")) two.push_back(f);
  const fs::path both = dir.path() / "both.7z";
  write_7z(both, two);
  expect_format_error(both, {"both.7z", "several folders", "'apos'", "'cutoff'"});
  EcoinventOptions small;
  small.max_file_bytes = 100;
  expect_format_error(good, {"good.7z!/export/", "limit of 100"}, small);
  // Bytes of the stored (uncompressed) data changed: the CRC check refuses them.
  const fs::path stored = dir.path() / "stored.7z";
  write_7z(stored, in_folder("export"), "store");
  std::string altered = bytes_of(stored);
  const auto at = altered.find("steel production, converter");
  ASSERT_NE(at, std::string::npos);
  altered[at] = 'S';
  expect_format_error(variant("altered.7z", altered), {"altered.7z", "7-Zip"});
  // Random byte edits: read or refused with FormatError, never a crash or another error.
  std::mt19937 rng(11);
  int read = 0, rejected = 0;
  for (int round = 0; round < 200; ++round) {
    std::string text = bytes;
    for (int k = 0, edits = 1 + static_cast<int>(rng() % 3); k < edits; ++k) {
      const std::size_t pos = rng() % text.size();
      if (rng() % 4 == 0)
        text.resize(pos + 1);
      else
        text[pos] = static_cast<char>(rng() % 256);
    }
    try {
      const hiili::Model m = read_ecoinvent(variant("mutated.7z", text));
      EXPECT_GT(m.num_activities(), 0);
      ++read;
    } catch (const hiili::FormatError&) {
      ++rejected;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "round " << round << ": " << e.what();
    }
  }
  EXPECT_GT(rejected, 0);
}

// A matrix file that names its rows and columns by their labels (no public source shows such
// a layout for A_public/B_public) is refused, saying which layout is read and how to convert.
TEST(EcoinventHostile, NamedMatrixLayoutIsRefusedWithTheWayToConvert) {
  TempDir dir;
  const std::string b =
      "activityName;geography;product;name;compartment;subcompartment;amount\n"
      "steel production, converter;GLO;steel, low-alloyed;Water, river;natural resource;in "
      "water;0.01\n";
  expect_format_error(small_with(dir, {{"B_public.csv", b}}),
                      {"B_public.csv:1", "by their labels", "'activityName'", "'geography'",
                       "row;column;coefficient", "ee_index.csv", "ie_index.csv",
                       "replace each name with the 'index'"});
  expect_format_error(
      small_with(dir,
                 {{"A_public.csv", "system process;product;geography;coefficient\nx;y;z;1\n"}}),
      {"A_public.csv:1", "'system process'", "row;column;coefficient"});
}

TEST(Ecoinvent, ReaderOptionsByName) {
  const hiili::io::ReadResult r =
      hiili::io::read(kSmall, hiili::io::Format::Auto, {{"uncertainty", "false"}});
  EXPECT_FALSE(r.model.technosphere().has_uncertainty());
  EXPECT_EQ(r.report.source, kSmall.string());
  auto count = [&](const std::string& name) {
    for (const auto& [n, v] : r.report.counts)
      if (n == name) return v;
    ADD_FAILURE() << name << " not counted";
    return std::int64_t{-1};
  };
  EXPECT_EQ(count("activities"), 3);
  EXPECT_EQ(count("negative_diagonal"), 1);
  EXPECT_EQ(count("latin1_text"), 1);
  EXPECT_EQ(hiili::io::read(kSmall, hiili::io::Format::Ecoinvent, {{"encoding", "Latin1"}})
                .model.activities()
                .column("name")[0],
            "\xC3\xA9lectricit\xC3\xA9 production, hydro");
  EXPECT_THROW(hiili::io::read(kSmall, hiili::io::Format::Auto, {{"encodng", "utf8"}}),
               hiili::InvalidInputError);
  EXPECT_THROW(hiili::io::read(kSmall, hiili::io::Format::Auto, {{"encoding", "ascii"}}),
               hiili::InvalidInputError);
}

TEST(EcoinventHostile, MissingFiles) {
  TempDir dir;
  expect_format_error(small_with(dir, {{"ie_index.csv", ""}}), {"ie_index.csv is missing"});
  expect_format_error(small_with(dir, {{"A_public.csv", ""}}), {"A_public.csv is missing"});
  expect_format_error(small_with(dir, {{"ee_index.csv", ""}}), {"B_public.csv", "ee_index.csv"});
  expect_format_error(small_with(dir, {{"LCIA_index.csv", ""}}), {"C.csv", "LCIA_index.csv"});
  expect_format_error(dir.path() / "nowhere", {"not a folder"});
  EXPECT_FALSE(hiili::io::is_ecoinvent(dir.path() / "nowhere"));
}

TEST(EcoinventHostile, BadTriplets) {
  TempDir dir;
  auto a = [&](const std::string& body) {
    return small_with(dir, {{"A_public.csv", std::string(kHeader) + "0;0;1;;;;;\n" + body}});
  };
  expect_format_error(a("3;1;-1;;;;;\n"), {"A_public.csv:3", "row 3 is out of range [0, 3)"});
  expect_format_error(a("1;-1;-1;;;;;\n"), {"A_public.csv:3", "column -1 is out of range"});
  expect_format_error(a("1;99999999999999999999;-1;;;;;\n"), {"A_public.csv:3", "column"});
  expect_format_error(a("1;0.5;-1;;;;;\n"), {"A_public.csv:3", "not an integer"});
  expect_format_error(a("1;1;abc;;;;;\n"), {"A_public.csv:3", "not a number", "abc"});
  expect_format_error(a("1;1;nan;;;;;\n"), {"A_public.csv:3", "not finite"});
  expect_format_error(a("1;1;1e999;;;;;\n"), {"A_public.csv:3", "coefficient"});
  expect_format_error(a("1;1;-inf;;;;;\n"), {"A_public.csv:3", "not finite"});
  expect_format_error(a("1;1\n"), {"A_public.csv:3", "missing field 'coefficient'"});
  expect_format_error(a("1;1;\"1\n"), {"A_public.csv: line 3", "unterminated quoted field"});
  expect_format_error(a("1;1;\"1\"x;;;;;\n"), {"A_public.csv: line 3", "text after the closing quote"});
  expect_format_error(a("1;1;1;;;;;\n\n\n1;1;x;;;;;\n"), {"A_public.csv:6"});
  expect_format_error(
      small_with(dir, {{"A_public.csv", "rows;cols;value\n0;0;1\n"}}),
      {"A_public.csv:1", "needs 'row', 'column' and 'coefficient' columns", "zero-based triplets"});
  expect_format_error(small_with(dir, {{"B_public.csv", std::string(kHeader) + "2;0;1;;;;;\n"}}),
                      {"B_public.csv:2", "row 2 is out of range [0, 2) (ee_index.csv)"});
  expect_format_error(small_with(dir, {{"C.csv", "row;column;coefficient\n0;2;1\n"}}),
                      {"C.csv:2", "column 2 is out of range [0, 2) (ee_index.csv)"});
  expect_format_error(small_with(dir, {{"A_public.csv", std::string(5000, ';') + "\n"}}),
                      {"A_public.csv:1", "fields"});
}

TEST(EcoinventHostile, BadIndexFiles) {
  TempDir dir;
  const std::string head = "activityName;geography;product;unitName;index\n";
  expect_format_error(
      small_with(dir, {{"ie_index.csv", head + "a;CH;a;kg;0\nb;CH;b;kg;0\nc;CH;c;kg;2\n"}}),
      {"ie_index.csv:3", "index 0 appears twice (also line 2)"});
  expect_format_error(
      small_with(dir, {{"ie_index.csv", head + "a;CH;a;kg;0\nb;CH;b;kg;1\nc;CH;c;kg;7\n"}}),
      {"ie_index.csv:4", "index 7 is out of range [0, 3)"});
  expect_format_error(small_with(dir, {{"ie_index.csv", head + "a;CH;a;kg;x\n"}}),
                      {"ie_index.csv:2", "'index' is not a nonnegative integer"});
  expect_format_error(small_with(dir, {{"ie_index.csv", head + "a;CH;a;kg\n"}}),
                      {"ie_index.csv:2", "4 fields, the header 5"});
  expect_format_error(small_with(dir, {{"ie_index.csv", "activityName;geography\na;CH\n"}}),
                      {"ie_index.csv:1", "no 'index' column"});
  expect_format_error(small_with(dir, {{"ie_index.csv", head}}), {"ie_index.csv", "no activities"});
  expect_format_error(small_with(dir, {{"ie_index.csv", " "}}), {"ie_index.csv", "empty"});
  expect_format_error(small_with(dir, {{"ee_index.csv", "name;index;index\n"}}),
                      {"ee_index.csv:1", "two 'index' columns"});
}

// Random byte edits of the small export: it is read or rejected with FormatError.
TEST(EcoinventHostile, MutatedBytesNeverCrash) {
  TempDir dir;
  std::vector<std::pair<std::string, std::string>> originals;
  for (const auto& entry : fs::directory_iterator(kSmall)) {
    std::ifstream in(entry.path(), std::ios::binary);
    originals.emplace_back(entry.path().filename().string(),
                           std::string(std::istreambuf_iterator<char>(in), {}));
  }
  std::mt19937 rng(7);
  int read = 0, rejected = 0;
  for (int round = 0; round < 300; ++round) {
    auto [name, text] = originals[rng() % originals.size()];
    for (int k = 0, edits = 1 + static_cast<int>(rng() % 4); k < edits; ++k) {
      const std::size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0:
          text[at] = ";\"\r\n0123456789-.eE x\xE9"[rng() % 20];
          break;
        case 1:
          text.erase(at, 1 + rng() % 6);
          break;
        default:
          text.insert(at, text.substr(rng() % text.size(), 1 + rng() % 12));
          break;
      }
      if (text.empty()) text = ";";
    }
    const fs::path d = small_with(dir, {{name, text}});
    try {
      const hiili::Model m = read_ecoinvent(d);
      EXPECT_GT(m.num_activities(), 0);
      ++read;
    } catch (const hiili::FormatError&) {
      ++rejected;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "round " << round << " " << name << ": " << e.what();
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(read, 0);
}

TEST(EcoinventHostile, SizeLimit) {
  EcoinventOptions options;
  options.max_file_bytes = 100;
  expect_format_error(kSmall, {"ie_index.csv", "more than the limit of 100"}, options);
  options.max_file_bytes = 0;
  EXPECT_THROW(read_ecoinvent(kSmall, options), hiili::InvalidInputError);
}

}  // namespace
