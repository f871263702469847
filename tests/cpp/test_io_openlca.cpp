// Tests of hiili::io::read_openlca: a small hand-made JSON-LD export (schema 1 and 2, folder
// and zip) whose matrices are computed by hand below, allocation, default providers, unit and
// flow-property conversion, uncertainty, hostile inputs, and the real USLCI export (counts,
// links and solves; see ../shared/data/uslci/SOURCE.txt).
#include <gtest/gtest.h>

#include <cctype>
#include <unistd.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "hiili/error.hpp"
#include "hiili/io/openlca.hpp"
#include "hiili/io/read.hpp"
#include "hiili/lca.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using hiili::test_util::TempDir;
using hiili::test_util::expect_format_error;
using Json = nlohmann::json;
using hiili::Index;
using hiili::io::OpenLcaOptions;
using hiili::io::OpenLcaReport;
using hiili::io::read_openlca;

namespace {

// ---- a JSON-LD export written from the test -------------------------------------------------

struct Export {
  bool v2 = false;
  std::map<std::string, std::string> files;  // entry name -> content

  std::string key(const char* v2_name, const char* v1_name) const { return v2 ? v2_name : v1_name; }

  void put(const std::string& folder, const Json& entity) {
    files[folder + "/" + entity["@id"].get<std::string>() + ".json"] = entity.dump(1);
  }

  Json ref(const std::string& type, const std::string& id) const {
    return Json{{"@type", type}, {"@id", id}};
  }

  void unit_group(const std::string& id, const std::string& name,
                  const std::vector<std::tuple<std::string, std::string, double, bool>>& units) {
    Json j{{"@type", "UnitGroup"}, {"@id", id}, {"name", name}, {"units", Json::array()}};
    for (const auto& [uid, uname, factor, is_ref] : units) {
      Json u{{"@type", "Unit"}, {"@id", uid}, {"name", uname}, {"conversionFactor", factor}};
      if (is_ref) u[key("isRefUnit", "referenceUnit")] = true;
      j["units"].push_back(u);
    }
    put("unit_groups", j);
  }

  void flow_property(const std::string& id, const std::string& name, const std::string& group) {
    put("flow_properties", Json{{"@type", "FlowProperty"},
                                {"@id", id},
                                {"name", name},
                                {"flowPropertyType", "PHYSICAL_QUANTITY"},
                                {"unitGroup", ref("UnitGroup", group)}});
  }

  void flow(const std::string& id, const std::string& name, const std::string& type,
            const std::vector<std::tuple<std::string, double, bool>>& properties,
            const std::string& category = "") {
    Json j{{"@type", "Flow"},
           {"@id", id},
           {"name", name},
           {"flowType", type},
           {"flowProperties", Json::array()}};
    for (const auto& [fp, factor, is_ref] : properties) {
      Json f{{"@type", "FlowPropertyFactor"},
             {"flowProperty", ref("FlowProperty", fp)},
             {"conversionFactor", factor}};
      if (is_ref) f[key("isRefFlowProperty", "referenceFlowProperty")] = true;
      j["flowProperties"].push_back(f);
    }
    if (!category.empty()) {
      if (v2) {
        j["category"] = category;
      } else {
        j["category"] = ref("Category", category);
      }
    }
    put("flows", j);
  }

  Json exchange(int internal_id, const std::string& flow, double amount, bool input,
                const std::string& unit, const std::string& property, bool reference = false) {
    Json e{{"@type", "Exchange"},
           {"flow", ref("Flow", flow)},
           {"amount", amount},
           {key("isInput", "input"), input},
           {key("isAvoidedProduct", "avoidedProduct"), false},
           {"unit", ref("Unit", unit)},
           {"flowProperty", ref("FlowProperty", property)}};
    if (v2) {
      e["internalId"] = internal_id;
    } else {
      e["@id"] = "ex-" + flow + "-" + std::to_string(internal_id);
    }
    if (reference) e[key("isQuantitativeReference", "quantitativeReference")] = true;
    return e;
  }

  void process(const std::string& id, const std::string& name, const Json& exchanges,
               const Json& extra = Json::object()) {
    Json j{{"@type", "Process"},
           {"@id", id},
           {"name", name},
           {"processType", "UNIT_PROCESS"},
           {"exchanges", exchanges}};
    j["location"] = ref("Location", "loc-us");
    j["location"]["name"] = "United States";
    for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
    put("processes", j);
  }

  Json& process_json(const std::string& id, Json& scratch) {
    scratch = Json::parse(files.at("processes/" + id + ".json"));
    return scratch;
  }
  void replace_process(const Json& j) { put("processes", j); }

  void write_folder(const fs::path& dir, const std::string& prefix = "") const {
    for (const auto& [name, content] : files) {
      const fs::path path = dir / prefix / name;
      fs::create_directories(path.parent_path());
      std::ofstream(path, std::ios::binary) << content;
    }
  }

  void write_zip(const fs::path& file, const std::string& prefix = "") const;
};

// A minimal zip writer (entries stored, no compression), so the test needs no zip library.
std::uint32_t crc32(const std::string& data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

std::string make_zip(const std::map<std::string, std::string>& entries, const std::string& prefix) {
  std::string out, directory;
  auto u16 = [](std::string& s, unsigned v) {
    s += static_cast<char>(v & 0xFF);
    s += static_cast<char>((v >> 8) & 0xFF);
  };
  auto u32 = [&](std::string& s, std::uint32_t v) {
    u16(s, v & 0xFFFF);
    u16(s, v >> 16);
  };
  for (const auto& [entry, content] : entries) {
    const std::string name = prefix + entry;
    const std::uint32_t crc = crc32(content), size = static_cast<std::uint32_t>(content.size());
    const std::uint32_t offset = static_cast<std::uint32_t>(out.size());
    u32(out, 0x04034b50);
    for (unsigned v : {20u, 0x0800u, 0u, 0u, 0x21u})
      u16(out, v);  // version, UTF-8, stored, time, date
    u32(out, crc);
    u32(out, size);
    u32(out, size);
    u16(out, static_cast<unsigned>(name.size()));
    u16(out, 0);
    out += name;
    out += content;
    u32(directory, 0x02014b50);
    for (unsigned v : {20u, 20u, 0x0800u, 0u, 0u, 0x21u}) u16(directory, v);
    u32(directory, crc);
    u32(directory, size);
    u32(directory, size);
    for (unsigned v : {static_cast<unsigned>(name.size()), 0u, 0u, 0u, 0u}) u16(directory, v);
    u32(directory, 0);
    u32(directory, offset);
    directory += name;
  }
  const std::uint32_t start = static_cast<std::uint32_t>(out.size());
  out += directory;
  u32(out, 0x06054b50);
  for (unsigned v :
       {0u, 0u, static_cast<unsigned>(entries.size()), static_cast<unsigned>(entries.size())})
    u16(out, v);
  u32(out, static_cast<std::uint32_t>(directory.size()));
  u32(out, start);
  u16(out, 0);
  return out;
}

void Export::write_zip(const fs::path& file, const std::string& prefix) const {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << make_zip(files, prefix);
}

// The small system. Processes, sorted by id = columns:
//   0 p1-steel      2 kg steel; 500 kWh electricity; 1000 g ore (resource); 3 kg CO2;
//                   1 kg slag (co-product); 5 kg CUTOFF transport; 1 t unknown input;
//                   0.5 kg waste (to treatment)
//   1 p2-elec       10 MJ electricity; 1 kg CO2; 40 MJ natural gas (a mass flow, 50 MJ/kg)
//   2 p3-elec-alt   1 MJ electricity; 0.5 kg CO2 (a second electricity provider)
//   3 p4-gas        1 kg natural gas; 0.1 kg CO2
//   4 p5-waste      treats 1 kg waste (waste input); 0.2 kg CO2
Export make_export(bool v2) {
  Export x;
  x.v2 = v2;
  x.unit_group(
      "ug-mass", "Units of mass",
      {{"u-kg", "kg", 1.0, true}, {"u-g", "g", 0.001, false}, {"u-t", "t", 1000.0, false}});
  x.unit_group("ug-energy", "Units of energy",
               {{"u-mj", "MJ", 1.0, true}, {"u-kwh", "kWh", 3.6, false}});
  x.flow_property("fp-mass", "Mass", "ug-mass");
  x.flow_property("fp-energy", "Energy", "ug-energy");
  const std::string air = v2 ? "Elementary flows/air" : "cat-air";
  const std::string resource = v2 ? "Elementary flows/resource" : "cat-resource";
  x.flow("e1-co2", "Carbon dioxide", "ELEMENTARY_FLOW", {{"fp-mass", 1.0, true}}, air);
  x.flow("e2-ore", "Iron ore", "ELEMENTARY_FLOW", {{"fp-mass", 1.0, true}}, resource);
  x.flow("f-steel", "steel", "PRODUCT_FLOW", {{"fp-mass", 1.0, true}});
  x.flow("f-elec", "electricity", "PRODUCT_FLOW", {{"fp-energy", 1.0, true}});
  x.flow("f-slag", "slag", "PRODUCT_FLOW", {{"fp-mass", 1.0, true}});
  x.flow("f-waste", "waste", "WASTE_FLOW", {{"fp-mass", 1.0, true}});
  x.flow("f-cutoff", "CUTOFF transport", "PRODUCT_FLOW", {{"fp-mass", 1.0, true}});
  x.flow("f-unknown", "unknown input", "PRODUCT_FLOW", {{"fp-mass", 1.0, true}});
  x.flow("f-gas", "natural gas", "PRODUCT_FLOW",
         {{"fp-mass", 1.0, true}, {"fp-energy", 50.0, false}});
  if (!v2) {
    x.put("categories", Json{{"@type", "Category"},
                             {"@id", "cat-elem"},
                             {"name", "Elementary flows"},
                             {"modelType", "FLOW"}});
    for (auto [id, name] : {std::pair{"cat-air", "air"}, std::pair{"cat-resource", "resource"}})
      x.put("categories", Json{{"@type", "Category"},
                               {"@id", id},
                               {"name", name},
                               {"modelType", "FLOW"},
                               {"category", x.ref("Category", "cat-elem")}});
  }
  x.put("locations",
        Json{{"@type", "Location"}, {"@id", "loc-us"}, {"name", "United States"}, {"code", "US"}});
  x.process("p1-steel", "steel production",
            Json::array({x.exchange(1, "f-steel", 2.0, false, "u-kg", "fp-mass", true),
                         x.exchange(2, "f-elec", 500.0, true, "u-kwh", "fp-energy"),
                         x.exchange(3, "e2-ore", 1000.0, true, "u-g", "fp-mass"),
                         x.exchange(4, "e1-co2", 3.0, false, "u-kg", "fp-mass"),
                         x.exchange(5, "f-slag", 1.0, false, "u-kg", "fp-mass"),
                         x.exchange(6, "f-cutoff", 5.0, true, "u-kg", "fp-mass"),
                         x.exchange(7, "f-unknown", 1.0, true, "u-t", "fp-mass"),
                         x.exchange(8, "f-waste", 0.5, false, "u-kg", "fp-mass")}));
  x.process("p2-elec", "electricity production",
            Json::array({x.exchange(1, "f-elec", 10.0, false, "u-mj", "fp-energy", true),
                         x.exchange(2, "e1-co2", 1.0, false, "u-kg", "fp-mass"),
                         x.exchange(3, "f-gas", 40.0, true, "u-mj", "fp-energy")}));
  x.process("p3-elec-alt", "electricity, other",
            Json::array({x.exchange(1, "f-elec", 1.0, false, "u-mj", "fp-energy", true),
                         x.exchange(2, "e1-co2", 0.5, false, "u-kg", "fp-mass")}));
  x.process("p4-gas", "natural gas production",
            Json::array({x.exchange(1, "f-gas", 1.0, false, "u-kg", "fp-mass", true),
                         x.exchange(2, "e1-co2", 0.1, false, "u-kg", "fp-mass")}));
  x.process("p5-waste", "waste treatment",
            Json::array({x.exchange(1, "f-waste", 1.0, true, "u-kg", "fp-mass", true),
                         x.exchange(2, "e1-co2", 0.2, false, "u-kg", "fp-mass")}));
  return x;
}

// Stored allocation factors for p1 (steel 2 kg, slag 1 kg).
void add_allocation(Export& x, const std::string& default_method) {
  Json scratch;
  Json& p = x.process_json("p1-steel", scratch);
  auto factor = [&](const char* type, const char* product, double value) {
    return Json{{"@type", "AllocationFactor"},
                {"allocationType", type},
                {"product", x.ref("Flow", product)},
                {"value", value}};
  };
  Json factors = Json::array({factor("PHYSICAL_ALLOCATION", "f-steel", 0.8),
                              factor("PHYSICAL_ALLOCATION", "f-slag", 0.2),
                              factor("ECONOMIC_ALLOCATION", "f-steel", 0.9),
                              factor("ECONOMIC_ALLOCATION", "f-slag", 0.1)});
  for (auto [product, value] : {std::pair{"f-steel", 0.7}, std::pair{"f-slag", 0.3}}) {
    Json f = factor("CAUSAL_ALLOCATION", product, value);
    f["exchange"] = x.v2 ? Json{{"@type", "Exchange"}, {"internalId", 4}}
                         : Json{{"@type", "Exchange"}, {"flow", x.ref("Flow", "e1-co2")}};
    factors.push_back(f);
  }
  p["allocationFactors"] = factors;
  if (!default_method.empty()) p["defaultAllocationMethod"] = default_method;
  x.replace_process(p);
}

Index col(const hiili::Model& m, const std::string& id) {
  auto j = m.activities().find(id);
  EXPECT_TRUE(j.has_value()) << id;
  return j.value_or(-1);
}

Index row(const hiili::Model& m, const std::string& id) {
  auto i = m.flows().find(id);
  EXPECT_TRUE(i.has_value()) << id;
  return i.value_or(-1);
}

// The entry number of matrix entry (r, c) in `data`, -1 if none.
Index entry_at(const hiili::MatrixData& data, Index r, Index c) {
  for (std::size_t e = 0; e < data.entries.size(); ++e)
    if (data.entries[e].row == r && data.entries[e].col == c) return static_cast<Index>(e);
  return -1;
}

void expect_matrix(const Eigen::MatrixXd& actual, const Eigen::MatrixXd& expected) {
  ASSERT_EQ(actual.rows(), expected.rows());
  ASSERT_EQ(actual.cols(), expected.cols());
  for (Index i = 0; i < expected.rows(); ++i)
    for (Index j = 0; j < expected.cols(); ++j)
      EXPECT_NEAR(actual(i, j), expected(i, j), 1e-12 * (1 + std::fabs(expected(i, j))))
          << "(" << i << ", " << j << ")";
}

// A and B of the small system, no allocation (see make_export).
Eigen::MatrixXd expected_A() {
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(5, 5);
  A(0, 0) = 2.0;
  A(1, 0) = -500.0 * 3.6;  // kWh -> MJ, from the smallest-id electricity provider
  A(4, 0) = -0.5;          // waste to treatment, treatment-service sign
  A(1, 1) = 10.0;
  A(3, 1) = -40.0 / 50.0;  // MJ of gas -> kg via the flow property factor
  A(2, 2) = 1.0;
  A(3, 3) = 1.0;
  A(4, 4) = 1.0;  // waste input as the reference: positive diagonal
  return A;
}
Eigen::MatrixXd expected_B() {  // rows: e1-co2, e2-ore
  Eigen::MatrixXd B = Eigen::MatrixXd::Zero(2, 5);
  B(0, 0) = 3.0;
  B(1, 0) = -1.0;  // 1000 g of a resource: an input, negative
  B(0, 1) = 1.0;
  B(0, 2) = 0.5;
  B(0, 3) = 0.1;
  B(0, 4) = 0.2;
  return B;
}

// ---- the small system, in four packagings --------------------------------------------------

struct Packaging {
  bool v2;
  bool zip;
  std::string prefix;
};

class OpenLcaSmall : public ::testing::TestWithParam<Packaging> {};

TEST_P(OpenLcaSmall, MatricesLabelsAndReport) {
  const Packaging p = GetParam();
  TempDir dir;
  Export x = make_export(p.v2);
  fs::path path;
  if (p.zip) {
    path = dir.path() / "export.zip";
    x.write_zip(path, p.prefix);
  } else {
    path = dir.path() / "export";
    x.write_folder(path, p.prefix);
  }
  EXPECT_TRUE(hiili::io::is_openlca(path));
  OpenLcaReport report;
  const hiili::Model m = read_openlca(path, {}, &report);
  ASSERT_EQ(m.num_activities(), 5);
  ASSERT_EQ(m.num_flows(), 2);
  EXPECT_EQ(m.num_categories(), 0);
  expect_matrix(m.A().to_dense(), expected_A());
  expect_matrix(m.B().to_dense(), expected_B());

  EXPECT_EQ(col(m, "p1-steel"), 0);
  EXPECT_EQ(col(m, "p5-waste"), 4);
  EXPECT_EQ(row(m, "e1-co2"), 0);
  const auto& a = m.activities();
  EXPECT_EQ(a.column("name")[0], "steel production");
  EXPECT_EQ(a.column("location")[0], "US");
  EXPECT_EQ(a.column("product_id")[1], "f-elec");
  EXPECT_EQ(a.column("product")[3], "natural gas");
  EXPECT_EQ(a.column("unit")[1], "MJ");
  EXPECT_EQ(a.column("flow_type")[4], "WASTE_FLOW");
  const auto& f = m.flows();
  EXPECT_EQ(f.column("name")[0], "Carbon dioxide");
  EXPECT_EQ(f.column("category")[0], "Elementary flows/air");
  EXPECT_EQ(f.column("category")[1], "Elementary flows/resource");
  EXPECT_EQ(f.column("unit")[1], "kg");

  EXPECT_EQ(report.processes, 5);
  EXPECT_EQ(report.providers, 5);
  EXPECT_EQ(report.exchanges, 17);
  EXPECT_EQ(report.elementary_flows, 2);
  EXPECT_EQ(report.linked_by_flow, 3);
  EXPECT_EQ(report.linked_default_provider, 0);
  EXPECT_EQ(report.ambiguous_flows, 1);
  EXPECT_EQ(report.ambiguous_links, 1);
  ASSERT_EQ(report.ambiguous_examples.size(), 1u);
  EXPECT_NE(report.ambiguous_examples[0].find("chose process p2-elec"), std::string::npos)
      << report.ambiguous_examples[0];
  EXPECT_EQ(report.cut_off, 1);
  EXPECT_EQ(report.cut_off_flows, 1);
  EXPECT_EQ(report.unlinked, 1);
  EXPECT_EQ(report.unlinked_flows, 1);
  ASSERT_EQ(report.unlinked_examples.size(), 1u);
  EXPECT_NE(report.unlinked_examples[0].find("f-unknown"), std::string::npos);
  EXPECT_EQ(report.unallocated_coproducts, 1);
  EXPECT_EQ(report.unit_conversions, 3);      // kWh, g, t
  EXPECT_EQ(report.property_conversions, 1);  // gas in MJ
  EXPECT_EQ(report.split_processes, 0);
  EXPECT_FALSE(report.brief().empty());
}

INSTANTIATE_TEST_SUITE_P(Packagings, OpenLcaSmall,
                         ::testing::Values(Packaging{false, false, ""}, Packaging{true, false, ""},
                                           Packaging{false, true, ""}, Packaging{true, true, ""},
                                           Packaging{false, true, "uslci_export/"},
                                           Packaging{true, false, "nested/"}),
                         [](const auto& info) {
                           return std::string(info.param.v2 ? "v2" : "v1") +
                                  (info.param.zip ? "_zip" : "_folder") +
                                  (info.param.prefix.empty() ? "" : "_prefixed");
                         });

// openLCA's normalisation and weighting (org.openlca.core.matrix.NwSetTable): h / n, then
// times w; a missing or zero normalisation factor gives 0; a set without normalisation
// factors weights the scores as they are. Expected values worked out by hand.
TEST(OpenLca, NormalisationAndWeightingAsOpenLcaAppliesThem) {
  const double nan = std::nan("");
  hiili::io::OpenLcaNwSet set{
      "nw", "EU", "m", "Pt", {8100.0, 0.064, nan, 0.0}, {0.2, 0.08, 0.5, 0.3}};
  const std::vector<double> h = {4050.0, 0.016, 7.0, 9.0};
  const hiili::io::NwResult r = hiili::io::apply_nw_set(set, h);
  ASSERT_EQ(r.normalised.size(), 4u);
  EXPECT_DOUBLE_EQ(r.normalised[0], 0.5);
  EXPECT_DOUBLE_EQ(r.normalised[1], 0.25);
  EXPECT_EQ(r.normalised[2], 0.0);
  EXPECT_EQ(r.normalised[3], 0.0);
  EXPECT_DOUBLE_EQ(r.weighted[0], 0.1);
  EXPECT_DOUBLE_EQ(r.weighted[1], 0.02);
  EXPECT_EQ(r.weighted[2], 0.0);
  EXPECT_EQ(r.weighted[3], 0.0);
  EXPECT_DOUBLE_EQ(r.single_score, 0.12);

  hiili::io::OpenLcaNwSet weights{"w", "weights", "m", "", {nan, nan}, {3.0, nan}};
  const hiili::io::NwResult rw = hiili::io::apply_nw_set(weights, {2.0, 5.0});
  EXPECT_EQ(rw.weighted, (std::vector<double>{6.0, 0.0}));
  EXPECT_EQ(rw.normalised, (std::vector<double>{0.0, 0.0}));
  EXPECT_EQ(rw.single_score, 6.0);
  EXPECT_THROW(hiili::io::apply_nw_set(weights, {1.0}), hiili::InvalidInputError);
}

TEST(OpenLca, DetectedAndReadByIoRead) {
  TempDir dir;
  const Export x = make_export(true);
  x.write_folder(dir.path() / "folder");
  x.write_zip(dir.path() / "export.zip", "top/");
  for (const fs::path& path : {dir.path() / "folder", dir.path() / "export.zip"}) {
    EXPECT_EQ(hiili::io::detect_format(path), hiili::io::Format::OpenLca) << path;
    expect_matrix(hiili::io::read(path).A().to_dense(), expected_A());
    expect_matrix(hiili::io::read(path, hiili::io::Format::OpenLca).B().to_dense(), expected_B());
  }
  const fs::path uslci = fs::path(HIILI_SHARED_DATA) / "uslci" / "uslci_olca1_5_0_json_ld.zip";
  if (fs::exists(uslci)) EXPECT_EQ(hiili::io::detect_format(uslci), hiili::io::Format::OpenLca);
}

TEST(OpenLca, SolvesTheSmallSystemByHand) {
  TempDir dir;
  make_export(false).write_folder(dir.path());
  hiili::Lca lca(read_openlca(dir.path()));
  // 1 kg steel: 0.5 runs of p1, 900 MJ electricity = 90 runs of p2, 72 kg gas, 0.25 kg waste.
  const auto r = lca.solve(hiili::SparseDemand{{0, 1.0}});
  const double s[5] = {0.5, 90.0, 0.0, 72.0, 0.25};
  for (int j = 0; j < 5; ++j) EXPECT_NEAR(r.supply[j], s[j], 1e-10) << j;
  EXPECT_NEAR(r.inventory[0], 3 * 0.5 + 1 * 90 + 0.1 * 72 + 0.2 * 0.25, 1e-9);  // CO2
  EXPECT_NEAR(r.inventory[1], -0.5, 1e-12);                                     // ore used
  EXPECT_EQ(r.scores.size(), 0);
}

// openLCA calculates a process without a flagged reference through its single product output;
// a product system whose links differ from the database's gets columns of its own.
TEST(OpenLca, ImpliedReferenceAndProductSystem) {
  TempDir dir;
  Export x = make_export(true);
  Json scratch;
  Json& p2 = x.process_json("p2-elec", scratch);
  p2["exchanges"][0].erase("isQuantitativeReference");
  x.replace_process(p2);
  // Steel with the other electricity (p3): differs from linking by flow (p2, the smaller id).
  x.put("product_systems",
        Json{{"@type", "ProductSystem"},
             {"@id", "ps-1"},
             {"name", "steel, other electricity"},
             {"refProcess", x.ref("Process", "p1-steel")},
             {"refExchange", Json{{"@type", "Exchange"}, {"internalId", 1}}},
             {"targetAmount", 3.0},
             {"processes", Json::array({x.ref("Process", "p1-steel"), x.ref("Process", "p3-elec-alt")})},
             {"processLinks", Json::array({Json{{"provider", x.ref("Process", "p3-elec-alt")},
                                                {"flow", x.ref("Flow", "f-elec")},
                                                {"process", x.ref("Process", "p1-steel")},
                                                {"exchange", Json{{"internalId", 2}}}}})}});
  x.write_folder(dir.path());
  const hiili::io::ReadResult r = hiili::io::read(dir.path(), hiili::io::Format::Auto, {});
  const hiili::Model& m = r.model;
  ASSERT_EQ(m.num_activities(), 7);  // 5 + copies of p1 and p3
  expect_matrix(m.A().to_dense().topLeftCorner(5, 5), expected_A());
  EXPECT_EQ(m.activities().column("id")[5], "ps-1:p1-steel");
  EXPECT_EQ(m.activities().column("id")[6], "ps-1:p3-elec-alt");
  ASSERT_EQ(r.demands.size(), 1u);
  EXPECT_EQ(r.demands[0].name, "steel, other electricity");
  ASSERT_EQ(r.demands[0].demand.size(), 1u);
  EXPECT_EQ(r.demands[0].demand[0].first, 5);
  EXPECT_DOUBLE_EQ(r.demands[0].demand[0].second, 3.0);
  bool warned = false;
  for (const auto& w : r.report.warnings)
    warned = warned || (w.find("p2-elec") != w.npos && w.find("took its only product output") != w.npos);
  EXPECT_TRUE(warned);

  // By hand: 3 kg steel = 1.5 runs of p1; 1.5 * 500 kWh = 2700 MJ from p3 (1 MJ a run, 0.5 kg
  // CO2); p1's CO2 3 kg a run; the waste, cut-off and unknown inputs are not linked in the
  // system (no process link): only p1 and p3 run.
  hiili::Lca lca(m);
  const auto s = lca.solve(r.demands[0].demand);
  EXPECT_NEAR(s.supply[5], 1.5, 1e-12);
  EXPECT_NEAR(s.supply[6], 2700.0, 1e-9);
  EXPECT_NEAR(s.supply.head(5).norm(), 0.0, 0.0);
  EXPECT_NEAR(s.inventory[0], 3.0 * 1.5 + 0.5 * 2700.0, 1e-9);
}

// ---- options -------------------------------------------------------------------------------

TEST(OpenLca, PhysicalAllocationSplitsTheMultiOutputProcess) {
  for (bool v2 : {false, true}) {
    TempDir dir;
    Export x = make_export(v2);
    add_allocation(x, "PHYSICAL_ALLOCATION");  // the process's own default
    x.write_folder(dir.path());
    OpenLcaReport report;
    const hiili::Model m = read_openlca(dir.path(), {}, &report);
    ASSERT_EQ(m.num_activities(), 6);
    EXPECT_EQ(report.split_processes, 1);
    EXPECT_EQ(report.unallocated_coproducts, 0);
    const Index steel = col(m, "p1-steel/f-steel"), slag = col(m, "p1-steel/f-slag");
    const Index elec = col(m, "p2-elec"), waste = col(m, "p5-waste");
    EXPECT_EQ(m.activities().column("process_id")[slag], "p1-steel");
    const Eigen::MatrixXd A = m.A().to_dense(), B = m.B().to_dense();
    EXPECT_DOUBLE_EQ(A(steel, steel), 2.0);
    EXPECT_DOUBLE_EQ(A(slag, slag), 1.0);
    EXPECT_DOUBLE_EQ(A(slag, steel), 0.0);  // the co-product belongs to its own column
    EXPECT_NEAR(A(elec, steel), -1800.0 * 0.8, 1e-9);
    EXPECT_NEAR(A(elec, slag), -1800.0 * 0.2, 1e-9);
    EXPECT_NEAR(A(waste, steel), -0.5 * 0.8, 1e-12);
    EXPECT_NEAR(B(row(m, "e1-co2"), steel), 3.0 * 0.8, 1e-12);
    EXPECT_NEAR(B(row(m, "e1-co2"), slag), 3.0 * 0.2, 1e-12);
    EXPECT_NEAR(B(row(m, "e2-ore"), slag), -1.0 * 0.2, 1e-12);
    EXPECT_GT(report.allocation_factors_applied, 0);
    EXPECT_EQ(report.allocation_factors_missing, 0);
  }
}

TEST(OpenLca, AllocationOptionOverridesTheDefault) {
  TempDir dir;
  Export x = make_export(true);
  add_allocation(x, "PHYSICAL_ALLOCATION");
  x.write_folder(dir.path());
  OpenLcaOptions options;
  options.allocation = OpenLcaOptions::Allocation::Economic;
  hiili::Model m = read_openlca(dir.path(), options);
  EXPECT_NEAR(m.B().to_dense()(0, col(m, "p1-steel/f-steel")), 3.0 * 0.9, 1e-12);
  options.allocation = OpenLcaOptions::Allocation::None;
  m = read_openlca(dir.path(), options);
  EXPECT_EQ(m.num_activities(), 5);
  expect_matrix(m.A().to_dense(), expected_A());
}

TEST(OpenLca, ProcessWithoutFactorsStaysWhole) {
  TempDir dir;
  make_export(true).write_folder(dir.path());
  OpenLcaOptions options;
  options.allocation = OpenLcaOptions::Allocation::Physical;
  OpenLcaReport report;
  const hiili::Model m = read_openlca(dir.path(), options, &report);
  EXPECT_EQ(m.num_activities(), 5);
  expect_matrix(m.A().to_dense(), expected_A());
  EXPECT_EQ(report.split_processes, 0);
  EXPECT_EQ(report.allocation_no_factors, 1);
  EXPECT_EQ(report.unallocated_coproducts, 1);
  ASSERT_EQ(report.allocation_examples.size(), 1u);
  EXPECT_NE(report.allocation_examples[0].find("p1-steel"), std::string::npos);
}

TEST(OpenLca, CausalAllocationIsPerExchange) {
  for (bool v2 : {false, true}) {
    TempDir dir;
    Export x = make_export(v2);
    add_allocation(x, "");
    x.write_folder(dir.path());
    OpenLcaOptions options;
    options.allocation = OpenLcaOptions::Allocation::Causal;
    OpenLcaReport report;
    const hiili::Model m = read_openlca(dir.path(), options, &report);
    const Index steel = col(m, "p1-steel/f-steel"), slag = col(m, "p1-steel/f-slag");
    const Eigen::MatrixXd A = m.A().to_dense(), B = m.B().to_dense();
    EXPECT_NEAR(B(row(m, "e1-co2"), steel), 3.0 * 0.7, 1e-12);
    EXPECT_NEAR(B(row(m, "e1-co2"), slag), 3.0 * 0.3, 1e-12);
    // No causal factor for the other exchanges: factor 1, as openLCA does, and counted.
    EXPECT_NEAR(A(col(m, "p2-elec"), slag), -1800.0, 1e-9);
    EXPECT_GT(report.allocation_factors_missing, 0);
    EXPECT_FALSE(report.allocation_examples.empty());
  }
}

TEST(OpenLca, DefaultProviderWins) {
  for (bool v2 : {false, true}) {
    TempDir dir;
    Export x = make_export(v2);
    Json scratch;
    Json& p = x.process_json("p1-steel", scratch);
    p["exchanges"][1]["defaultProvider"] = x.ref("Process", "p3-elec-alt");
    p["exchanges"][6]["defaultProvider"] = x.ref("Process", "p-missing");  // unknown input
    x.replace_process(p);
    x.write_folder(dir.path());
    OpenLcaReport report;
    hiili::Model m = read_openlca(dir.path(), {}, &report);
    Eigen::MatrixXd A = m.A().to_dense();
    EXPECT_NEAR(A(2, 0), -1800.0, 1e-9);
    EXPECT_EQ(A(1, 0), 0.0);
    EXPECT_EQ(report.linked_default_provider, 1);
    EXPECT_EQ(report.broken_default_providers, 1);
    EXPECT_EQ(report.ambiguous_links, 0);

    OpenLcaOptions options;
    options.use_default_providers = false;
    m = read_openlca(dir.path(), options);
    expect_matrix(m.A().to_dense(), expected_A());
  }
}

TEST(OpenLca, UnlinkedFlowsCanGoToTheBiosphere) {
  TempDir dir;
  make_export(false).write_folder(dir.path());
  OpenLcaOptions options;
  options.unlinked = OpenLcaOptions::Unlinked::Biosphere;
  OpenLcaReport report;
  const hiili::Model m = read_openlca(dir.path(), options, &report);
  ASSERT_EQ(m.num_flows(), 5);  // CO2, ore + cutoff, slag, unknown
  EXPECT_EQ(report.unlinked_flow_rows, 3);
  const Eigen::MatrixXd B = m.B().to_dense();
  EXPECT_DOUBLE_EQ(B(row(m, "f-cutoff"), 0), -5.0);
  EXPECT_DOUBLE_EQ(B(row(m, "f-unknown"), 0), -1000.0);  // 1 t
  EXPECT_DOUBLE_EQ(B(row(m, "f-slag"), 0), 1.0);         // unallocated co-product, an output
  EXPECT_EQ(m.flows().column("flow_type")[row(m, "f-slag")], "PRODUCT_FLOW");
  expect_matrix(m.A().to_dense(), expected_A());
}

TEST(OpenLca, BrightwaySignsForResources) {
  TempDir dir;
  make_export(false).write_folder(dir.path());
  OpenLcaOptions options;
  options.biosphere_inputs_negative = false;
  const hiili::Model m = read_openlca(dir.path(), options);
  EXPECT_DOUBLE_EQ(m.B().to_dense()(1, 0), 1.0);
  const Index e = entry_at(m.biosphere(), 1, 0);
  ASSERT_GE(e, 0);
  EXPECT_FALSE(m.biosphere().entries[e].flip);
}

TEST(OpenLca, AvoidedProductEntersWithTheOppositeSign) {
  TempDir dir;
  Export x = make_export(true);
  Json scratch;
  Json& p = x.process_json("p5-waste", scratch);
  // The treatment recovers 2 MJ of electricity: an avoided product (an input in the data model).
  Json avoided = x.exchange(3, "f-elec", 2.0, true, "u-mj", "fp-energy");
  avoided["isAvoidedProduct"] = true;
  p["exchanges"].push_back(avoided);
  x.replace_process(p);
  x.write_folder(dir.path());
  OpenLcaReport report;
  const hiili::Model m = read_openlca(dir.path(), {}, &report);
  EXPECT_DOUBLE_EQ(m.A().to_dense()(1, 4), 2.0);
  EXPECT_EQ(report.avoided, 1);
}

TEST(OpenLca, UncertaintyIsMappedToStatsArrays) {
  TempDir dir;
  Export x = make_export(false);
  Json scratch;
  Json& p = x.process_json("p1-steel", scratch);
  auto& ex = p["exchanges"];
  ex[1]["uncertainty"] = {{"distributionType", "TRIANGLE_DISTRIBUTION"},
                          {"minimum", 400.0},
                          {"mode", 500.0},
                          {"maximum", 600.0}};  // kWh
  ex[2]["uncertainty"] = {
      {"distributionType", "NORMAL_DISTRIBUTION"}, {"mean", 1000.0}, {"sd", 100.0}};  // g
  ex[3]["uncertainty"] = {
      {"distributionType", "LOG_NORMAL_DISTRIBUTION"}, {"geomMean", 3.0}, {"geomSd", 1.5}};
  ex[7]["uncertainty"] = {
      {"distributionType", "UNIFORM_DISTRIBUTION"}, {"minimum", 0.4}, {"maximum", 0.6}};
  x.replace_process(p);
  Json& q = x.process_json("p2-elec", scratch);
  q["exchanges"][1]["uncertainty"] = {{"distributionType", "LOG_NORMAL_DISTRIBUTION"},
                                      {"geomMean", 1.0},
                                      {"geomSd", 0.0}};  // invalid
  q["exchanges"][2]["uncertainty"] = {{"distributionType", "LOG_NORMAL_DISTRIBUTION"},
                                      {"geomMean", 40.0},
                                      {"geomSd", 1.0}};  // no spread
  x.replace_process(q);
  Json& r = x.process_json("p3-elec-alt", scratch);
  r["exchanges"][1]["amount"] = -0.5;
  r["exchanges"][1]["uncertainty"] = {
      {"distributionType", "LOG_NORMAL_DISTRIBUTION"}, {"geomMean", -0.5}, {"geomSd", 2.0}};
  x.replace_process(r);
  x.write_folder(dir.path());

  OpenLcaReport report;
  const hiili::Model m = read_openlca(dir.path(), {}, &report);
  const auto& A = m.technosphere();
  const auto& B = m.biosphere();
  ASSERT_TRUE(A.has_uncertainty());
  ASSERT_TRUE(B.has_uncertainty());

  Index e = entry_at(A, 1, 0);  // electricity into steel
  ASSERT_GE(e, 0);
  EXPECT_TRUE(A.entries[e].flip);
  EXPECT_DOUBLE_EQ(A.entries[e].amount, 1800.0);
  EXPECT_EQ(A.uncertainty[e].type, 5);
  EXPECT_NEAR(A.uncertainty[e].loc, 1800.0, 1e-9);
  EXPECT_NEAR(A.uncertainty[e].minimum, 1440.0, 1e-9);
  EXPECT_NEAR(A.uncertainty[e].maximum, 2160.0, 1e-9);

  e = entry_at(B, 1, 0);  // ore: normal, g -> kg
  EXPECT_EQ(B.uncertainty[e].type, 3);
  EXPECT_NEAR(B.uncertainty[e].loc, 1.0, 1e-12);
  EXPECT_NEAR(B.uncertainty[e].scale, 0.1, 1e-12);
  EXPECT_TRUE(B.entries[e].flip);

  e = entry_at(B, 0, 0);  // CO2 of steel: lognormal
  EXPECT_EQ(B.uncertainty[e].type, 2);
  EXPECT_NEAR(B.uncertainty[e].loc, std::log(3.0), 1e-12);
  EXPECT_NEAR(B.uncertainty[e].scale, std::log(1.5), 1e-12);
  EXPECT_FALSE(B.uncertainty[e].negative);

  e = entry_at(A, 4, 0);  // waste: uniform
  EXPECT_EQ(A.uncertainty[e].type, 4);
  EXPECT_NEAR(A.uncertainty[e].minimum, 0.4, 1e-12);
  EXPECT_NEAR(A.uncertainty[e].maximum, 0.6, 1e-12);

  e = entry_at(B, 0, 1);  // invalid: dropped to 0
  EXPECT_EQ(B.uncertainty[e].type, 0);
  e = entry_at(A, 3, 1);  // geomSd 1: fixed
  EXPECT_EQ(A.uncertainty[e].type, 1);
  e = entry_at(B, 0, 2);  // negative lognormal
  EXPECT_EQ(B.uncertainty[e].type, 2);
  EXPECT_TRUE(B.uncertainty[e].negative);
  EXPECT_NEAR(B.uncertainty[e].loc, std::log(0.5), 1e-12);
  EXPECT_DOUBLE_EQ(B.entries[e].amount, -0.5);

  e = entry_at(A, 0, 0);  // no distribution given
  EXPECT_EQ(A.uncertainty[e].type, 0);

  EXPECT_EQ(report.uncertain_lognormal, 2);
  EXPECT_EQ(report.uncertain_normal, 1);
  EXPECT_EQ(report.uncertain_uniform, 1);
  EXPECT_EQ(report.uncertain_triangular, 1);
  EXPECT_EQ(report.uncertainty_fixed, 1);
  EXPECT_EQ(report.uncertainty_invalid, 1);
  ASSERT_EQ(report.uncertainty_examples.size(), 1u);
  EXPECT_NE(report.uncertainty_examples[0].find("p2-elec"), std::string::npos);

  OpenLcaOptions strict;
  strict.strict_uncertainty = true;
  EXPECT_THROW(read_openlca(dir.path(), strict), hiili::FormatError);
  OpenLcaOptions none;
  none.read_uncertainty = false;
  EXPECT_FALSE(read_openlca(dir.path(), none).technosphere().has_uncertainty());
}

// ---- hostile inputs ------------------------------------------------------------------------

// Edits process p1-steel of the small export, writes it as a folder and expects FormatError.
template <class Edit>
void expect_broken_process(Edit edit, const std::vector<std::string>& parts, bool v2 = false) {
  TempDir dir;
  Export x = make_export(v2);
  Json scratch;
  Json& p = x.process_json("p1-steel", scratch);
  edit(p, x);
  x.replace_process(p);
  x.write_folder(dir.path());
  std::vector<std::string> all = parts;
  all.push_back("processes/p1-steel.json");
  expect_format_error([&] { (void)read_openlca(dir.path()); }, all);
}

TEST(OpenLcaHostile, MissingFlow) {
  expect_broken_process([](Json& p, Export&) { p["exchanges"][3]["flow"]["@id"] = "no-such-flow"; },
                        {"exchange 4", "no-such-flow", "not in the export"});
}

TEST(OpenLcaHostile, MissingUnit) {
  expect_broken_process([](Json& p, Export&) { p["exchanges"][2]["unit"]["@id"] = "u-lb"; },
                        {"exchange 3", "u-lb", "Units of mass"});
}

TEST(OpenLcaHostile, FlowPropertyTheFlowLacks) {
  expect_broken_process(
      [](Json& p, Export& x) {
        p["exchanges"][3]["flowProperty"] = x.ref("FlowProperty", "fp-energy");
        p["exchanges"][3]["unit"] = x.ref("Unit", "u-mj");
      },
      {"exchange 4", "no flow property fp-energy"});
}

TEST(OpenLcaHostile, AmountNotANumber) {
  expect_broken_process([](Json& p, Export&) { p["exchanges"][2]["amount"] = "NaN"; },
                        {"exchange 3", "not a number"});
  expect_broken_process([](Json& p, Export&) { p["exchanges"][2].erase("amount"); },
                        {"exchange 3", "no amount"});
}

TEST(OpenLcaHostile, ZeroReferenceAmount) {
  expect_broken_process([](Json& p, Export&) { p["exchanges"][0]["amount"] = 0.0; },
                        {"quantitative reference", "zero"});
}

TEST(OpenLcaHostile, QuantitativeReference) {
  // steel and slag: two candidates, named.
  expect_broken_process([](Json& p, Export&) { p["exchanges"][0].erase("quantitativeReference"); },
                        {"no quantitative reference flagged and 2 candidates", "f-steel",
                         "f-slag"});
  expect_broken_process([](Json& p, Export&) { p["exchanges"][1]["quantitativeReference"] = true; },
                        {"more than one quantitative reference"});
  expect_broken_process(
      [](Json& p, Export&) {
        p["exchanges"][0].erase("quantitativeReference");
        p["exchanges"][3]["quantitativeReference"] = true;  // CO2, an elementary flow
      },
      {"must be a product output or a waste input"});
}

TEST(OpenLcaHostile, WrongTypes) {
  expect_broken_process([](Json& p, Export&) { p["exchanges"] = "none"; }, {"not an array"});
  expect_broken_process([](Json& p, Export&) { p["exchanges"][1]["input"] = "yes"; },
                        {"exchange 2", "not true or false"});
  expect_broken_process([](Json& p, Export&) { p["exchanges"][1]["flow"].erase("@id"); },
                        {"exchange 2", "no @id"});
  expect_broken_process([](Json& p, Export&) { p["exchanges"][1].erase("flow"); },
                        {"exchange 2", "no flow"});
  expect_broken_process([](Json& p, Export&) { p["defaultAllocationMethod"] = "MAGIC"; },
                        {"unknown defaultAllocationMethod"});
}

// Each entity's lists of entries (allocation factors, units, flow property factors, a product
// system's processes and links) reject a wrong type naming the file, the entry and the fault.
TEST(OpenLcaHostile, EntryListsNameTheFileTheEntryAndTheFault) {
  auto expect_broken = [](const std::string& file, const std::function<void(Json&)>& edit,
                          const std::vector<std::string>& parts) {
    TempDir dir;
    Export x = make_export(true);
    x.put("product_systems", Json{{"@type", "ProductSystem"},
                                  {"@id", "ps-1"},
                                  {"refProcess", x.ref("Process", "p1-steel")},
                                  {"processes", Json::array({x.ref("Process", "p1-steel")})}});
    Json j = Json::parse(x.files.at(file));
    edit(j);
    x.files[file] = j.dump(1);
    x.write_folder(dir.path());
    std::vector<std::string> all = parts;
    all.push_back(file);
    expect_format_error([&] { (void)read_openlca(dir.path()); }, all);
  };
  const std::string steel = "processes/p1-steel.json";
  expect_broken(steel, [](Json& p) { p["allocationFactors"] = "none"; },
                {"field 'allocationFactors' is not an array"});
  expect_broken(steel, [](Json& p) { p["allocationFactors"] = Json::array({1}); },
                {": allocation factor 1: not an object"});
  expect_broken(steel, [](Json& p) { p["exchanges"][2] = "x"; }, {": exchange 3: not an object"});
  const std::string energy = "unit_groups/ug-energy.json";
  expect_broken(energy, [](Json& g) { g["units"] = Json::object(); },
                {"field 'units' is not an array"});
  expect_broken(energy, [](Json& g) { g["units"][1] = 7; }, {": unit 2: not an object"});
  const std::string elec = "flows/f-elec.json";
  expect_broken(elec, [](Json& f) { f["flowProperties"] = 1; },
                {"field 'flowProperties' is not an array"});
  expect_broken(elec, [](Json& f) { f["flowProperties"][0].erase("flowProperty"); },
                {": flow property factor 1: has no flowProperty"});
  const std::string system = "product_systems/ps-1.json";
  expect_broken(system, [](Json& s) { s["processes"] = "p1-steel"; },
                {"field 'processes' is not an array"});
  expect_broken(system, [](Json& s) { s["processes"].push_back(3); },
                {": processes: an entry is not a reference object"});
  expect_broken(system, [](Json& s) { s["processLinks"] = Json::array({Json::array()}); },
                {": process link 1: not an object"});
}

TEST(OpenLcaHostile, BrokenJson) {
  TempDir dir;
  Export x = make_export(false);
  x.files["processes/p2-elec.json"] = "{\"@type\": \"Process\", \"@id\": \"p2-elec\", \"exch";
  x.write_folder(dir.path());
  expect_format_error([&] { (void)read_openlca(dir.path()); },
                      {"processes/p2-elec.json", "invalid JSON"});
  x.files["processes/p2-elec.json"] = "{\"@id\": \"p2-elec\", \"amount\": NaN}";
  x.write_folder(dir.path());
  expect_format_error([&] { (void)read_openlca(dir.path()); },
                      {"processes/p2-elec.json", "invalid JSON"});
  x.files["processes/p2-elec.json"] = "{\"@id\": \"p2-elec\", \"amount\": 1e999}";
  x.write_folder(dir.path());
  expect_format_error([&] { (void)read_openlca(dir.path()); },
                      {"processes/p2-elec.json", "invalid JSON"});
  x.files["processes/p2-elec.json"] = "[1, 2, 3]";
  x.write_folder(dir.path());
  expect_format_error([&] { (void)read_openlca(dir.path()); },
                      {"processes/p2-elec.json", "JSON object"});
  x.files["processes/p2-elec.json"] = std::string(100000, '[');
  x.write_folder(dir.path());
  expect_format_error([&] { (void)read_openlca(dir.path()); }, {"processes/p2-elec.json"});
}

TEST(OpenLcaHostile, DeepNesting) {
  TempDir dir;
  Export x = make_export(false);
  const std::size_t depth = 200000;
  x.files["processes/p2-elec.json"] =
      "{\"@id\": \"p2-elec\", \"exchanges\": " + std::string(depth, '[') + std::string(depth, ']') +
      "}";
  x.write_folder(dir.path());
  expect_format_error([&] { (void)read_openlca(dir.path()); },
                      {"processes/p2-elec.json", "exchange 1", "not an object"});
}

// Random byte edits of a valid export: the reader either reads it or throws FormatError.
TEST(OpenLcaHostile, MutatedBytesNeverCrash) {
  TempDir dir;
  const Export base = make_export(true);
  std::mt19937 rng(20240611);
  int read = 0, rejected = 0;
  for (int round = 0; round < 120; ++round) {
    Export x = base;
    auto it = x.files.begin();
    std::advance(it, static_cast<long>(rng() % x.files.size()));
    std::string& text = it->second;
    for (int k = 0, edits = 1 + static_cast<int>(rng() % 4); k < edits; ++k) {
      const std::size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0:
          text[at] = "{}[]\":,0-9eE.tfn \\"[rng() % 18];
          break;
        case 1:
          text.erase(at, 1 + rng() % 8);
          break;
        default:
          text.insert(at, text.substr(rng() % text.size(), 1 + rng() % 16));
          break;
      }
      if (text.empty()) text = "{";
    }
    const fs::path folder = dir.path() / ("r" + std::to_string(round));
    x.write_folder(folder);
    const fs::path zip = dir.path() / ("r" + std::to_string(round) + ".zip");
    x.write_zip(zip);
    for (const fs::path& path : {folder, zip}) {
      try {
        const hiili::Model m = read_openlca(path);
        EXPECT_GT(m.num_activities(), 0);
        ++read;
      } catch (const hiili::FormatError&) {
        ++rejected;
      } catch (const std::exception& e) {
        ADD_FAILURE() << "round " << round << " " << it->first << ": " << e.what();
      }
    }
    fs::remove_all(folder);
    fs::remove(zip);
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(read, 0);
}

TEST(OpenLcaHostile, BrokenReferenceData) {
  {
    TempDir dir;
    Export x = make_export(false);
    x.unit_group("ug-energy", "Units of energy",
                 {{"u-mj", "MJ", 1.0, true}, {"u-kwh", "kWh", -3.6, false}});
    x.write_folder(dir.path());
    expect_format_error([&] { (void)read_openlca(dir.path()); },
                        {"unit_groups/ug-energy.json", "kWh", "finite and positive"});
  }
  {
    TempDir dir;
    Export x = make_export(false);
    x.files.erase("flow_properties/fp-energy.json");
    x.write_folder(dir.path());
    expect_format_error([&] { (void)read_openlca(dir.path()); },
                        {"fp-energy", "not in the export"});
  }
  {
    TempDir dir;
    Export x = make_export(false);
    x.flow("f-elec", "electricity", "MAGIC_FLOW", {{"fp-energy", 1.0, true}});
    x.write_folder(dir.path());
    expect_format_error([&] { (void)read_openlca(dir.path()); }, {"flows/f-elec.json", "flowType"});
  }
  {
    TempDir dir;
    Export x = make_export(false);
    x.files["processes/copy.json"] = x.files.at("processes/p2-elec.json");
    x.write_folder(dir.path());
    expect_format_error([&] { (void)read_openlca(dir.path()); }, {"duplicate process id p2-elec"});
  }
}

TEST(OpenLcaHostile, NotAnExport) {
  TempDir dir;
  expect_format_error([&] { (void)read_openlca(dir.path()); }, {"no processes/<id>.json"});
  EXPECT_FALSE(hiili::io::is_openlca(dir.path()));
  expect_format_error([&] { (void)read_openlca(dir.path() / "missing.zip"); }, {"no such file"});
  const fs::path junk = dir.path() / "junk.zip";
  std::ofstream(junk, std::ios::binary) << "this is not a zip file at all";
  expect_format_error([&] { (void)read_openlca(junk); }, {"junk.zip", "zip"});
  EXPECT_FALSE(hiili::io::is_openlca(junk));
}

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(OpenLcaHostile, TruncatedAndCorruptZip) {
  TempDir dir;
  const fs::path good = dir.path() / "good.zip";
  make_export(false).write_zip(good);
  const std::string bytes = slurp(good);
  ASSERT_GT(bytes.size(), 1000u);
  for (std::size_t keep : {bytes.size() / 2, bytes.size() - 10, std::size_t{30}}) {
    const fs::path cut = dir.path() / "cut.zip";
    std::ofstream(cut, std::ios::binary | std::ios::trunc) << bytes.substr(0, keep);
    expect_format_error([&] { (void)read_openlca(cut); }, {"cut.zip"});
  }
  // Flip bytes inside the first entry's (stored) data: a CRC error, named by the entry.
  std::string bad = bytes;
  const std::size_t data = 30 + std::string("categories/cat-air.json").size();
  for (std::size_t i = data + 5; i < data + 15; ++i) bad[i] = static_cast<char>(bad[i] ^ 0x5A);
  const fs::path corrupt = dir.path() / "corrupt.zip";
  std::ofstream(corrupt, std::ios::binary) << bad;
  expect_format_error([&] { (void)read_openlca(corrupt); },
                      {"corrupt.zip!/categories/cat-air.json", "corrupt zip member"});
}

TEST(OpenLcaHostile, SizeLimits) {
  TempDir dir;
  const fs::path zip = dir.path() / "x.zip";
  Export x = make_export(false);
  x.write_zip(zip);
  x.write_folder(dir.path() / "folder");
  OpenLcaOptions options;
  options.max_entry_bytes = 200;
  expect_format_error([&] { (void)read_openlca(zip, options); }, {"x.zip", "the limit of 200"});
  expect_format_error([&] { (void)read_openlca(dir.path() / "folder", options); },
                      {"above the limit"});
  options = {};
  options.max_total_bytes = 2000;
  expect_format_error([&] { (void)read_openlca(zip, options); }, {"limit"});
  options = {};
  options.max_entries = 3;
  expect_format_error([&] { (void)read_openlca(zip, options); }, {"entries", "limit"});
  options = {};
  options.max_entry_bytes = 0;
  EXPECT_THROW(read_openlca(zip, options), hiili::InvalidInputError);
}

// ---- the real USLCI export -----------------------------------------------------------------

class Uslci : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const fs::path zip = fs::path(HIILI_SHARED_DATA) / "uslci" / "uslci_olca1_5_0_json_ld.zip";
    if (!fs::exists(zip)) return;
    report_ = new OpenLcaReport;
    model_ = new hiili::Model(read_openlca(zip, {}, report_));
  }
  static void TearDownTestSuite() {
    delete model_;
    delete report_;
    model_ = nullptr;
    report_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(model_, nullptr) << "USLCI zip not found under " << HIILI_SHARED_DATA;
  }
  static hiili::Model* model_;
  static OpenLcaReport* report_;
};
hiili::Model* Uslci::model_ = nullptr;
OpenLcaReport* Uslci::report_ = nullptr;

TEST_F(Uslci, CountsMatchSourceTxt) {
  const OpenLcaReport& r = *report_;
  SCOPED_TRACE(r.brief());
  EXPECT_EQ(r.processes, 766);
  EXPECT_EQ(r.flows, 4601);
  EXPECT_EQ(r.exchanges, 32526);
  EXPECT_EQ(r.providers, 766);  // no process sets a default allocation method
  EXPECT_EQ(model_->num_activities(), 766);
  EXPECT_EQ(r.split_processes, 0);
  EXPECT_EQ(model_->num_categories(), 0);
  // Every elementary flow of the export occurs in some exchange.
  EXPECT_EQ(r.elementary_flows, 2918);
  EXPECT_EQ(model_->num_flows(), 2918);
  // SOURCE.txt: of 6,480 product inputs 3,725 have a provider and 2,439 are CUTOFF flows; the
  // 74 waste outputs have no treatment process. Two CUTOFF flows occur as waste outputs.
  EXPECT_EQ(r.linked_by_flow, 3725);
  EXPECT_EQ(r.linked_default_provider, 0);
  EXPECT_EQ(r.cut_off, 2441);
  EXPECT_EQ(r.unlinked, 388);
  EXPECT_EQ(r.cut_off + r.unlinked + r.linked_by_flow, 6480 + 74);
  EXPECT_EQ(r.ambiguous_flows, 2);  // two flows are the reference product of two processes
  EXPECT_EQ(r.ambiguous_examples.size(), 2u);
  EXPECT_EQ(r.unallocated_coproducts, 256);
  EXPECT_GT(r.unlinked_coproduct_flows, 0);
  EXPECT_EQ(r.unit_conversions, 3228);
  EXPECT_EQ(r.property_conversions, 0);
  EXPECT_EQ(r.formulas_ignored, 259);
  EXPECT_EQ(r.parameterized_processes, 24);
  EXPECT_EQ(r.zero_amounts, 25);
  // 5,539 distributions in the export; counted over the entries written (cut-off and unlinked
  // inputs are left out): 12 usable lognormals, 238 without spread (geomSd 1), 4,787 with
  // geomSd 0; 83 valid triangles, 7 with the mode outside [min, max]; 14 uniforms.
  EXPECT_EQ(r.uncertain_lognormal, 12);
  EXPECT_EQ(r.uncertainty_fixed, 238);
  EXPECT_EQ(r.uncertain_triangular, 83);
  EXPECT_EQ(r.uncertain_uniform, 14);
  EXPECT_EQ(r.uncertain_normal, 0);
  EXPECT_EQ(r.uncertainty_invalid, 4787 + 7);
  EXPECT_EQ(r.technosphere_entries, 766 + 3725);
  EXPECT_EQ(r.biosphere_entries, 24950);
}

TEST_F(Uslci, LabelsAndSigns) {
  const auto& a = model_->activities();
  const Index j = col(*model_, "c2a7ddaa-164e-3a05-b063-221f68080142");
  EXPECT_EQ(a.column("name")[j], "Transport, single unit truck, long-haul, diesel powered, West");
  EXPECT_EQ(a.column("location")[j], "RNA");
  EXPECT_EQ(a.column("product_id")[j], "54766077-529d-3c2d-b69c-38b2f95eaefe");
  EXPECT_EQ(a.column("unit")[j], "t*km");
  const Index co2 = row(*model_, "63af114b-afcb-3a82-801a-9c66208a673a");
  EXPECT_EQ(model_->flows().column("name")[co2], "Carbon dioxide, fossil ");
  EXPECT_FALSE(model_->flows().column("category")[co2].empty());
  const Eigen::MatrixXd A = model_->A().to_dense();
  for (Index k = 0; k < A.cols(); ++k) EXPECT_GT(A(k, k), 0.0) << k;
}

TEST_F(Uslci, EveryActivitySolvesToFiniteResults) {
  hiili::Lca lca(*model_);
  const Index n = model_->num_activities();
  const auto results = lca.solve_many(Eigen::MatrixXd::Identity(n, n));
  ASSERT_TRUE(results.supply.allFinite());
  ASSERT_TRUE(results.inventory.allFinite());
  const Eigen::MatrixXd A = model_->A().to_dense();
  for (Index j = 0; j < n; ++j) {
    // The demanded activity runs at least as much as its own output asks for.
    EXPECT_GE(results.supply(j, j), 1.0 / A(j, j) * (1 - 1e-9)) << j;
  }
  // Independent check (numpy, dense solve of the same rules; see the test's header): the
  // long-haul truck, 1 t*km.
  const Index truck = col(*model_, "c2a7ddaa-164e-3a05-b063-221f68080142");
  const auto r = lca.solve(hiili::SparseDemand{{truck, 1.0}});
  EXPECT_GE(r.supply.minCoeff(), -1e-12);  // no negative scaling on this supply chain
  EXPECT_EQ((r.supply.array().abs() > 1e-10).count(), 34);
  const Index co2 = row(*model_, "63af114b-afcb-3a82-801a-9c66208a673a");
  const Index oil = row(*model_, "a7f3d4af-2e52-3a91-8748-f36fb76c0992");
  const Index rad = row(*model_, "50c6806b-7c56-360d-9b67-8c78107c3c10");
  EXPECT_NEAR(r.inventory[co2], 0.5374507962303369, 1e-9 * 0.54);
  EXPECT_NEAR(r.inventory[oil], -0.5728002924288607, 1e-9 * 0.58);  // a resource: negative
  EXPECT_NEAR(r.inventory[rad], 0.7109898313349898, 1e-9 * 0.72);
}

TEST_F(Uslci, PhysicalAllocationSplitsTheThreeSteelProcesses) {
  // Only three multi-product processes store physical factors (the steel routes, 3 products
  // each); the other 129 multi-product processes have none and stay whole.
  OpenLcaOptions options;
  options.allocation = OpenLcaOptions::Allocation::Physical;
  OpenLcaReport report;
  const fs::path zip = fs::path(HIILI_SHARED_DATA) / "uslci" / "uslci_olca1_5_0_json_ld.zip";
  hiili::Lca lca(read_openlca(zip, options, &report));
  EXPECT_EQ(report.split_processes, 3);
  EXPECT_EQ(report.providers, 766 + 6);
  EXPECT_EQ(report.allocation_no_factors, 132 - 3);
  EXPECT_GT(report.allocation_factors_applied, 0);
  const Index n = lca.model().num_activities();
  const auto results = lca.solve_many(Eigen::MatrixXd::Identity(n, n));
  EXPECT_TRUE(results.supply.allFinite());
  EXPECT_TRUE(results.inventory.allFinite());
}

}  // namespace
