// Fuzz target: scenario JSON (Scenario::from_json), then label resolution against a small
// model with labelled activities, flows and categories (Scenario::resolved), and the
// round trip through to_json.
#include "harness.hpp"
#include "hiili/scenario.hpp"

namespace {

hiili::Labels labels(const char* prefix, hiili::Index size) {
  hiili::Labels out(size);
  std::vector<std::string> ids;
  for (hiili::Index i = 0; i < size; ++i) ids.push_back(prefix + std::to_string(i));
  out.set_column("id", ids);
  out.set_column("name", ids);
  return out;
}

const hiili::Model& model() {
  static const hiili::Model m = [] {
    hiili::ModelBuilder b(3, 2, 2);
    for (hiili::Index i = 0; i < 3; ++i) b.add_technosphere(i, i, 1.0);
    b.add_technosphere(1, 0, -0.5);
    b.add_biosphere(0, 0, 2.0);
    b.add_biosphere(1, 2, 3.0);
    b.add_characterization(0, 0, 1.0);
    b.add_characterization(1, 1, 25.0);
    b.set_activities(labels("a", 3));
    b.set_flows(labels("f", 2));
    b.set_categories(labels("c", 2));
    return b.build();
  }();
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  hiili::fuzz::check_contract("Scenario::from_json", [&] {
    const hiili::Scenario scenario = hiili::Scenario::from_json(text);
    const std::string json = scenario.to_json();
    hiili::fuzz::check_contract("Scenario::from_json(to_json)",
                                [&] { hiili::Scenario::from_json(json); });
    hiili::fuzz::check_contract("Scenario::resolved", [&] { scenario.resolved(model()); });
  });
  return 0;
}
