// Explicit, seeded random number generation. Nothing in qdiff reads global random state:
// every function that needs randomness takes an Rng&. xoshiro256** seeded by splitmix64,
// so streams are identical on every platform and compiler.
#pragma once
#include <cstdint>
#include <vector>

namespace qdiff {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { reseed(seed); }
  void reseed(uint64_t seed);

  uint64_t next_u64();
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  // Uniform integer in [0, n), unbiased (rejection sampling). n must be > 0.
  uint64_t below(uint64_t n);
  // Standard normal, Box-Muller (both variates used; deterministic).
  double normal();
  // An independent stream derived from this generator's seed and `stream` (does not advance *this).
  Rng fork(uint64_t stream) const;
  // A copy whose fork(i) is this generator's fork(first + i) (other draws unchanged): hands code
  // that forks one stream per row (row r -> fork(r)) the streams of rows first, first + 1, ...
  // of a larger batch, e.g. a data-parallel shard's rows their global sample indices. Lasts for
  // the copy only (not part of State; forks of it start at offset 0).
  Rng with_fork_offset(uint64_t first) const;

  // Fisher-Yates shuffle of indices 0..n-1.
  std::vector<int64_t> permutation(int64_t n);

  // Full state, for exact resume from checkpoints.
  struct State {
    uint64_t s[4];
    uint64_t seed;
    double spare;
    bool has_spare;
  };
  State state() const;
  void set_state(const State& st);

 private:
  uint64_t s_[4]{};
  uint64_t seed_ = 0;
  double spare_ = 0.0;
  bool has_spare_ = false;
  uint64_t fork_offset_ = 0;
};

}  // namespace qdiff
