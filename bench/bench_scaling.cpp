// bench_scaling: where analyse + factor goes as n grows (issue 14, items 6 and 2).
//
//   bench_scaling [--family=ecoinvent|stress|both] [--sizes=20000,50000,100000,300000]
//                 [--orderings=amd,metis,auto,colamd] [--amd-dense=2] [--limit=SECONDS]
//
// For each family, size and ordering, in a child process (killed after --limit seconds, 120
// by default, so an ordering that fills in like a dense matrix is reported, not waited for):
// the model generation, the analysis (BTF + ordering), the numeric factorisation and one
// solve, each timed with the wall clock (analyse and factor also in thread CPU time); the
// deterministic measures beside them: nnz(L + U)
// (the fill), the largest BTF block, the METIS blocks an Auto analysis chose with the
// predicted work of both orderings, and the peak resident memory of the child.
// One line per run, tab-separated, for bench/what_was_tried.md and docs/performance.md.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hiili/solver.hpp"
#include "hiili/synth.hpp"

using namespace hiili;

namespace {

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// CPU seconds of this thread: on a shared machine the wall clock measures the other jobs too.
double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

double amd_dense = FactorizationOptions{}.amd_dense;

void run(SynthFamily family, Index n, Ordering ordering) {
  auto t0 = std::chrono::steady_clock::now();
  SynthOptions so;
  so.n = n;
  so.family = family;
  so.labels = false;
  const Model model = synth(so);
  const double t_synth = since(t0);
  FactorizationOptions fo;
  fo.ordering = ordering;
  fo.amd_dense = amd_dense;
  t0 = std::chrono::steady_clock::now();
  double c0 = cpu_now();
  auto symbolic = SymbolicAnalysis::create(model.A(), fo);
  const double t_analyse = since(t0), c_analyse = cpu_now() - c0;
  Factorization f(symbolic);
  t0 = std::chrono::steady_clock::now();
  c0 = cpu_now();
  f.factorize(model.A().values);
  const double t_factor = since(t0), c_factor = cpu_now() - c0;
  Eigen::VectorXd b = Eigen::VectorXd::Zero(n);
  b[n - 1] = 1.0;
  t0 = std::chrono::steady_clock::now();
  f.solve_in_place(std::span<double>(b.data(), n));
  const double t_solve = since(t0);
  const FactorizationReport& r = f.report();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "%s\t%lld\t%s\t%lld\t%lld\t%.3f\t%lld\t%lld\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.2e\t%.2e\t%.0f\n",
              std::string(synth_family_name(family)).c_str(), static_cast<long long>(n),
              to_string(ordering), static_cast<long long>(r.nnz),
              static_cast<long long>(r.nnz_factors), double(r.nnz_factors) / double(r.nnz),
              static_cast<long long>(r.max_block), static_cast<long long>(r.orderings.metis_blocks),
              t_synth, t_analyse, c_analyse, t_factor, c_factor, t_solve, r.orderings.amd_flops,
              r.orderings.metis_flops,
              double(usage.ru_maxrss) / 1024.0);
  std::fflush(stdout);
}

// Runs one case in a child; prints a "killed" line when it outlives the limit.
void run_limited(SynthFamily family, Index n, Ordering ordering, double limit) {
  const pid_t child = fork();
  if (child == 0) {
    try {
      run(family, n, ordering);
    } catch (const std::exception& e) {
      std::printf("%s\t%lld\t%s\terror: %s\n", std::string(synth_family_name(family)).c_str(),
                  static_cast<long long>(n), to_string(ordering), e.what());
    }
    std::fflush(stdout);
    _exit(0);
  }
  const auto t0 = std::chrono::steady_clock::now();
  int status = 0;
  while (waitpid(child, &status, WNOHANG) == 0) {
    if (since(t0) > limit) {
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
      std::printf("%s\t%lld\t%s\tkilled at %.0f s\n",
                  std::string(synth_family_name(family)).c_str(), static_cast<long long>(n),
                  to_string(ordering), limit);
      std::fflush(stdout);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<SynthFamily> families = {SynthFamily::Ecoinvent, SynthFamily::Stress};
  std::vector<Index> sizes = {20000, 50000, 100000, 300000};
  std::vector<Ordering> orderings = {Ordering::Amd};
  double limit = 120.0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = a.substr(a.find('=') + 1);
    if (a.rfind("--family=", 0) == 0) {
      if (value != "both") families = {synth_family_from_string(value)};
    } else if (a.rfind("--sizes=", 0) == 0) {
      sizes.clear();
      for (const auto& s : split(value)) sizes.push_back(std::stoll(s));
    } else if (a.rfind("--orderings=", 0) == 0) {
      orderings.clear();
      for (const auto& s : split(value)) orderings.push_back(ordering_from_string(s));
    } else if (a.rfind("--amd-dense=", 0) == 0) {
      amd_dense = std::stod(value);
    } else if (a.rfind("--limit=", 0) == 0) {
      limit = std::stod(value);
    } else {
      std::fprintf(stderr, "unknown argument %s (see the comment at the top of the source)\n",
                   a.c_str());
      return 2;
    }
  }
  std::printf("# amd_dense %g\n", amd_dense);
  std::printf(
      "family\tn\tordering\tnnz(A)\tnnz(L+U)\tfill\tlargest block\tMETIS blocks\tsynth s\t"
      "analyse s\tanalyse cpu s\tfactor s\tfactor cpu s\tsolve s\tAMD flops (auto)\tMETIS flops (auto)\tpeak MiB\n");
  std::fflush(stdout);
  for (SynthFamily family : families)
    for (Index n : sizes)
      for (Ordering ordering : orderings) run_limited(family, n, ordering, limit);
  return 0;
}
