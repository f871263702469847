// Internal interface between Factorization and the sparse LU libraries. Only src/solver/
// includes SuiteSparse or Eigen's sparse solvers; a backend translates its status codes into
// hiili exceptions here, in one place per backend.
#pragma once

#include <memory>

#include "hiili/solver.hpp"

namespace hiili::detail {

// Result of a numeric factorisation or refactor.
struct NumericStatus {
  bool ok = true;              // false: refactor hit a zero/poor pivot, factorize afresh
  double rcond = 0.0;          // cheap reciprocal condition estimate
  Index nnz_factors = 0;       // nonzeros in L + U, 0 when unknown
  bool static_kernel = false;  // refactor done by the static-pivot kernel (static_lu.hpp)
  Index dense_columns = 0;     // of which columns factored dense (trailing hub blocks)
  bool static_factor = false;  // factorize ran on the static kernel (options.static_factor)
  bool static_factor_refused = false;  // the rule sent it there, the kernel refused: KLU did it
};

class BackendSymbolic {
 public:
  virtual ~BackendSymbolic() = default;
  virtual Index blocks() const { return 0; }
  virtual Index max_block() const { return 0; }
  virtual OrderingReport ordering() const { return {}; }
  // A numeric factorisation object for this analysis (empty until factorize()).
  virtual std::unique_ptr<BackendNumeric> make_numeric() const = 0;
};

class BackendNumeric {
 public:
  virtual ~BackendNumeric() = default;
  // Full numeric factorisation. Throws SingularMatrixError.
  virtual NumericStatus factorize(const double* values) = 0;
  // Refactor on the old pivot order; returns ok = false when that is not possible.
  virtual NumericStatus refactor(const double* values) { return factorize(values); }
  virtual bool supports_refactor() const { return false; }
  // In-place solve of nrhs column-major right-hand sides of leading dimension n.
  virtual void solve(double* x, Index nrhs, bool transposed) = 0;
  // Whether solves now run on the static kernel's factors (KLU only).
  virtual bool static_solves() const { return false; }
  virtual double condition_estimate() = 0;
  virtual bool is_factorized() const = 0;
};

// Tests only: the rule of FactorizationOptions::static_factor fires on every analysis made
// afterwards (where the symbolic LU without row exchanges exists), so that small systems take
// the static first factorisation.
void force_static_factor(bool force);

// Factories: analyse the pattern (values ignored). Throw SingularMatrixError when the
// pattern is structurally singular.
std::unique_ptr<BackendSymbolic> analyze_klu(const CscMatrix& pattern,
                                             const FactorizationOptions& options);
// KLU: an analysis loaded from the cache (already checked by check_analysis), and the
// analysis of a KLU BackendSymbolic as plain data, for the cache.
struct KluAnalysisData;
std::unique_ptr<BackendSymbolic> load_klu(const CscMatrix& pattern,
                                          const FactorizationOptions& options,
                                          const KluAnalysisData& data);
KluAnalysisData klu_analysis_data(const BackendSymbolic& symbolic);
std::unique_ptr<BackendSymbolic> analyze_umfpack(const CscMatrix& pattern,
                                                 const FactorizationOptions& options);
std::unique_ptr<BackendSymbolic> analyze_eigen(const CscMatrix& pattern,
                                               const FactorizationOptions& options);

}  // namespace hiili::detail
