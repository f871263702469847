// Two activities: electricity (1 kWh) needs 0.1 kg coal; coal mining (1 kg) needs 0.05 kWh.
// Electricity emits 0.9 kg CO2 per kWh, coal mining 0.1 kg CO2 per kg. For 1 kWh:
// supply s solves [1 -0.05; -0.1 1] s = [1; 0], so s = [1, 0.1] / 0.995 and the
// climate score is (0.9 + 0.1 * 0.1) / 0.995 = 0.914572864... kg CO2-eq.
#include <cmath>
#include <cstdio>

#include <hiili/hiili.hpp>

int main() {
  hiili::ModelBuilder builder(/*activities=*/2, /*flows=*/1, /*categories=*/1);
  builder.add_technosphere(0, 0, 1.0);   // electricity produces 1 kWh
  builder.add_technosphere(1, 0, -0.1);  // ... from 0.1 kg coal
  builder.add_technosphere(1, 1, 1.0);   // coal mining produces 1 kg
  builder.add_technosphere(0, 1, -0.05); // ... using 0.05 kWh
  builder.add_biosphere(0, 0, 0.9);      // CO2 from electricity
  builder.add_biosphere(0, 1, 0.1);      // CO2 from coal mining
  builder.add_characterization(0, 0, 1.0);
  hiili::Lca lca(builder.build());
  const hiili::LcaResult r = lca.solve(hiili::SparseDemand{{0, 1.0}});
  const double expected = (0.9 + 0.1 * 0.1) / 0.995;
  std::printf("hiili %s: 1 kWh of electricity = %.9f kg CO2-eq (expected %.9f)\n",
              hiili::kVersion, r.scores[0], expected);
  return std::abs(r.scores[0] - expected) < 1e-12 ? 0 : 1;
}
