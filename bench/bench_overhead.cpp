// bench_overhead: the C++ half of bench/overhead.py, which times the same jobs through the
// Python bindings on the same matrix, the same warm-up and the same clock, alternating rounds
// of the two so that both see the same machine load.
//
//   bench_overhead FILE JOB REPS
//
// FILE (written by overhead.py): int64 n, int64 nnz, int64 k, col_ptr[n+1] (int64),
// row_idx[nnz] (int64), values[nnz], draw1[nnz], draw2[nnz] (doubles), rhs[n*k] (the activity
// scores' right-hand sides, column-major). JOB: factor_solve | solve | refactor_solve |
// scores_k. Prints one line: the REPS wall times in seconds (std::chrono::steady_clock),
// space-separated, after the warm-up that overhead.py's Python round does too:
//   factor_solve   one untimed call, then Factorization(A) + solve(b) per repetition
//   solve          Factorization(A); solves until they run on the static kernel's factors
//                  (at most 64, untimed), then solve(b2) per repetition
//   refactor_solve Factorization(A), one untimed refactor(draw2); then refactor(draw i) +
//                  solve(b), alternating draws
//   scores_k       Factorization(A); solve_many(rhs, transposed) until static (untimed), then
//                  one solve_many(rhs, transposed) per repetition
// b is one unit of the last activity, b2 one unit of activity (n - 1 + 7919) mod n.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "hiili/solver.hpp"
#include "hiili/sparse.hpp"

namespace {

using hiili::Index;

struct Input {
  hiili::CscMatrix A;
  std::vector<double> draw1, draw2;
  Eigen::MatrixXd rhs;
};

template <class T>
void read_into(std::ifstream& in, T* data, std::size_t count) {
  in.read(reinterpret_cast<char*>(data), std::streamsize(count * sizeof(T)));
  if (!in) throw std::runtime_error("bench_overhead: input file too short");
}

Input read_input(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("bench_overhead: cannot open ") + path);
  std::int64_t head[3];
  read_into(in, head, 3);
  const Index n = head[0], nnz = head[1], k = head[2];
  Input x;
  x.A.rows = x.A.cols = n;
  x.A.col_ptr.resize(n + 1);
  x.A.row_idx.resize(nnz);
  x.A.values.resize(nnz);
  x.draw1.resize(nnz);
  x.draw2.resize(nnz);
  read_into(in, x.A.col_ptr.data(), n + 1);
  read_into(in, x.A.row_idx.data(), nnz);
  read_into(in, x.A.values.data(), nnz);
  read_into(in, x.draw1.data(), nnz);
  read_into(in, x.draw2.data(), nnz);
  x.rhs.resize(n, k);
  read_into(in, x.rhs.data(), std::size_t(n * k));
  x.A.validate("A");
  return x;
}

template <class Call>
std::vector<double> time_reps(int reps, Call call) {
  std::vector<double> out;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    call();
    out.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return out;
}

template <class Call>
void until_static(const hiili::Factorization& f, Call call) {
  for (int i = 0; i < 64 && !f.report().static_solves; ++i) call();
}

std::vector<double> run(const Input& x, const std::string& job, int reps) {
  const Index n = x.A.rows;
  Eigen::VectorXd b = Eigen::VectorXd::Zero(n), b2 = Eigen::VectorXd::Zero(n);
  b[n - 1] = 1.0;
  b2[(n - 1 + 7919) % n] = 1.0;
  volatile double sink = 0.0;
  if (job == "factor_solve") {
    auto call = [&] {
      hiili::Factorization f(x.A);
      sink = sink + f.solve({b.data(), std::size_t(n)})[n - 1];
    };
    call();
    return time_reps(reps, call);
  }
  hiili::Factorization f(x.A);
  if (job == "solve") {
    auto call = [&] { sink = sink + f.solve({b2.data(), std::size_t(n)})[0]; };
    until_static(f, call);
    return time_reps(reps, call);
  }
  if (job == "refactor_solve") {
    f.refactor(x.draw2);
    int i = 0;
    return time_reps(reps, [&] {
      f.refactor((i++ % 2) ? x.draw2 : x.draw1);
      sink = sink + f.solve({b.data(), std::size_t(n)})[n - 1];
    });
  }
  if (job == "scores_k") {
    auto call = [&] {
      Eigen::MatrixXd Y = x.rhs;
      f.solve_many_in_place(Y, true);
      sink = sink + Y(0, 0);
    };
    until_static(f, call);
    return time_reps(reps, call);
  }
  throw std::runtime_error("bench_overhead: unknown job " + job);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: bench_overhead FILE JOB REPS\n");
    return 2;
  }
  try {
    const Input x = read_input(argv[1]);
    const auto times = run(x, argv[2], std::stoi(argv[3]));
    for (std::size_t i = 0; i < times.size(); ++i)
      std::printf("%s%.9g", i ? " " : "", times[i]);
    std::printf("\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return 0;
}
