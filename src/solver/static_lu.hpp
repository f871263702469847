// Static-pivot numeric refactor (NICSLU / GLU style) on the structure of a reference
// factorisation: the row and column permutations (pivots included), the BTF block boundaries
// and the patterns of L and U. A refactor is a straight run over precompiled arrays: no DFS,
// no pivot search, no scaling. A large block whose trailing columns are (nearly) full is split:
// its leading columns are refactored sparse and left-looking, the Schur complement of the
// trailing ones is factored dense with partial pivoting.
//
// It knows nothing of KLU; the KLU backend builds it from klu_l_extract. Not thread-safe
// (refactor and solve write its arrays); one per Factorization. A refactor may itself use
// the threads of the current oneTBB task_arena (refactor's `threads`): the columns of the
// sparse part by levels of their dependency DAG, the dense tail's trailing updates by column
// ranges. Every column is computed by the same operations in the same order whatever thread
// runs it: the same bits at any thread count.
#pragma once

#include <oneapi/tbb/task_arena.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "hiili/sparse.hpp"

namespace hiili::detail {

// The reference structure, in the permuted numbering of B = A(P, Q): B is block upper
// triangular with diagonal blocks [R[b], R[b+1]), and those blocks factor as L U without
// further pivoting. L and U hold the patterns of the diagonal blocks (CSC, n + 1 pointers,
// diagonal entries optional and ignored). Rs: KLU's row scale factors of the reference, in
// pivot order as klu_extract gives them (row i of B is row P[i] of A divided by Rs[i]; empty:
// none), kept fixed so that the pivot checks see what KLU saw.
// The largest |entry| of the scaled A and of U that one thread met in a refactor (the growth
// check; a maximum is exact in any order).
struct Maxima {
  double a = 0.0, u = 0.0;
};

struct StaticStructure {
  Index n = 0;
  std::vector<Index> P, Q, R;
  std::vector<Index> Lp, Li, Up, Ui;
  std::vector<double> Rs;
};

class StaticLu {
 public:
  // `pattern` is A's pattern (must outlive this object). Throws InvalidInputError when the
  // structure does not fit the pattern.
  StaticLu(const CscMatrix& pattern, const StaticStructure& s);
  // The same with these row scale factors instead of s.Rs (same layout).
  StaticLu(const CscMatrix& pattern, const StaticStructure& s, const std::vector<double>& Rs);

  // Numeric refactor with A's values (CSC order of the pattern). Returns false when a pivot
  // is zero or tiny against its column, a multiplier exceeds the bound, or the pivot growth
  // of a block exceeds the limit: the caller then factorizes afresh with pivoting.
  // threads: at most this many threads of the current task_arena (0: its concurrency; 1:
  // serial); a block with little work stays serial. The result does not depend on it.
  bool refactor(const double* values, int threads = 1);
  // In-place solve of nrhs column-major right-hand sides of leading dimension n. Several
  // columns are solved together (up to 8 per pass over the factors, row-interleaved), with
  // the same operations per column as one at a time: the same bits.
  void solve(double* x, Index nrhs, bool transposed);
  // min / max |pivot| (KLU's klu_rcond), of the last successful refactor.
  double rcond() const { return rcond_; }
  Index nnz_factors() const { return nnz_factors_; }
  Index dense_columns() const { return dense_columns_; }

 private:
  struct Block {
    Index r0 = 0, size = 0;
    Index c0 = 0;           // local index of the first dense trailing column (size: no dense part)
    std::vector<double> S;  // the dense trailing Schur complement, h x h column-major,
    std::vector<std::int32_t> ipiv;  // then its LU in place with LAPACK-style row swaps
    // The parallel schedule (build_schedule): the block's local columns by level of the
    // dependency DAG (column k needs the columns j of its U pattern; level 0 needs none),
    // then by index; each level cut into chunks of about equal work (a level of little work
    // is one chunk). Chunk c is order[chunk[c], chunk[c + 1]), level l chunks
    // [level[l], level[l + 1]). work: the sparse part's multiply-adds (about).
    std::vector<Index> order, chunk, level;
    double work = 0.0;
  };
  // A thread's scatter workspace and panel accumulator (zero between columns), its maxima.
  struct Workspace {
    std::vector<double> x, acc;
    Maxima m;
  };

  void build_plan(const StaticStructure& s, const std::vector<double>& Rs);
  void build_panels();
  void build_blocks(const StaticStructure& s);
  void build_schedule(Block& b) const;
  bool refactor_sparse(Block& b, const double* values, int threads, Maxima& m);
  bool refactor_on(const double* values, int threads);
  bool refactor_block(Block& b, const double* values, int threads);
  void solve_one(double* x, bool transposed);
  void block_solve(const Block& b, double* y);
  void block_solve_transposed(const Block& b, double* y);
  template <int W>
  void solve_wide(double* x, Index ncols, bool transposed);
  template <int W>
  void block_solve_wide(const Block& b, double* y);
  template <int W>
  void block_solve_transposed_wide(const Block& b, double* y);

  const CscMatrix& pattern_;
  Index n_ = 0;
  std::vector<Index> P_, Q_;
  std::vector<Block> blocks_;
  std::vector<Index> block_of_;  // block of each permuted column

  // Per permuted column k: A's entries inside the diagonal block (source slot in values and
  // local row) and above it (F, the off-diagonal blocks: source slot and permuted row).
  std::vector<Index> ap_, asrc_;
  std::vector<std::int32_t> arow_;
  std::vector<double> ascale_;
  std::vector<Index> fp_, fsrc_, frow_;
  std::vector<double> fscale_, fx_;
  std::vector<double> rscale_;  // 1 / Rs of each permuted row

  // L (strictly below the diagonal, local rows, explicit zeros in relaxed panels: see
  // build_panels) and U (strictly above, local rows sorted increasing) of the sparse part of
  // each block; pivots in ud_. Columns in a dense tail keep only their U rows above the tail;
  // their L is in the block's dense LU.
  std::vector<Index> lp_, up_;
  std::vector<std::int32_t> li_, ui_;
  std::vector<std::int32_t> pend_;  // local end of each column's panel (build_panels)
  std::vector<double> lx_, ux_, ud_;

  std::vector<Workspace> ws_;  // one per thread of a refactor (ws_[0]: the serial one)
  Index max_block_ = 0;
  std::unique_ptr<oneapi::tbb::task_arena> arena_;  // refactor's `threads` below the caller's
  std::vector<double> work_;                        // solve workspace, n
  std::vector<double> wide_;  // multi-column solve workspace, n x 8 row-interleaved (on demand)
  double rcond_ = 0.0;
  Index nnz_factors_ = 0;
  Index dense_columns_ = 0;
};

// The first local column of the dense tail the kernel chooses for the diagonal block
// [r0, r0 + size) of s (size: no dense tail): the largest trailing square of the block's L + U
// pattern at least 90 % full, of 32 to 4,000 columns.
Index choose_dense_tail(const StaticStructure& s, Index r0, Index size);

// Tests only: run the portable kernels even where the CPU has AVX2 + FMA (both variants must
// agree with a dense LU). Not for production: threads would then see different bits.
void force_plain_kernels(bool plain);
// Tests only: every block's sparse part and dense updates take the parallel path whatever
// their size, one column per chunk (for StaticLu objects built afterwards), so that small
// systems exercise it.
void force_fine_chunks(bool fine);
// Tests only: no relaxed panels (every column of L alone, no explicit zeros) in StaticLu
// objects built afterwards.
void force_no_panels(bool none);

}  // namespace hiili::detail
