// Fuzz target: the analysis cache's loader (FactorizationOptions::analysis_cache). The promise
// for a hostile cache file: never a crash, never a wrong answer; at worst a miss with a warning.
// Input: first byte even: the rest is XORed onto the payload of a valid file for the fixed
// model below (bytes beyond it are appended), sealed with a valid header and checksum, so that
// the fuzzer reaches the checks behind the checksum (an input of zeros is the valid file); odd:
// the rest is the whole file. The file is loaded by an Lca, whose answer must then solve A s = f.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "harness.hpp"
#include "hiili/lca.hpp"
#include "hiili/synth.hpp"
#include "solver/analysis_cache.hpp"

namespace {

const std::shared_ptr<const hiili::Model>& model() {
  static const auto m = [] {
    hiili::SynthOptions o;
    o.n = 60;
    o.seed = 7;
    o.labels = false;
    return std::make_shared<const hiili::Model>(hiili::synth(o));
  }();
  return m;
}

hiili::FactorizationOptions options() {
  hiili::FactorizationOptions o;
  o.analysis_cache = (hiili::fuzz::scratch_dir() / "cache").string();
  return o;
}

// A valid file with `edit` XORed onto its payload (size and checksum fixed up).
std::string sealed(std::string_view edit) {
  static const std::string valid = [] {
    hiili::Lca lca(model(), options());  // stores the analysis
    std::ifstream in(lca.report().cache.path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  std::string payload = valid.substr(80);
  for (std::size_t i = 0; i < edit.size(); ++i) {
    if (i < payload.size())
      payload[i] = char(payload[i] ^ edit[i]);
    else
      payload.push_back(edit[i]);
  }
  std::string out = valid.substr(0, 80) + payload;
  const std::uint64_t bytes = payload.size();
  const std::uint64_t sum = XXH3_64bits(payload.data(), payload.size());
  std::memcpy(out.data() + 64, &bytes, 8);
  std::memcpy(out.data() + 72, &sum, 8);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string file = data[0] % 2 == 0 ? sealed(rest) : std::string(rest);
  const auto& m = model();
  const std::string path =
      options().analysis_cache + "/" + hiili::detail::analysis_cache_file(m->A(), options());
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(file.data(), file.size());
  hiili::fuzz::check_contract("Lca with a cached analysis", [&] {
    hiili::Lca lca(m, options());
    const hiili::LcaResult r = lca.solve(hiili::SparseDemand{{0, 1.0}});
    Eigen::VectorXd f = Eigen::VectorXd::Zero(m->num_activities());
    f[0] = 1.0;
    const Eigen::VectorXd As =
        m->A().multiply(std::span<const double>(r.supply.data(), std::size_t(r.supply.size())));
    if (!((As - f).lpNorm<Eigen::Infinity>() <= 1e-9 * (1.0 + r.supply.lpNorm<Eigen::Infinity>())))
      std::abort();  // a wrong answer from a loaded analysis: a finding
  });
  return 0;
}
