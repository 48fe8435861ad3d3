// Born-rule sampling of computational-basis bitstrings and finite-shot estimates of <Z_q>.
// All randomness comes from the caller's qdiff::Rng.
#pragma once
#include <cstdint>
#include <vector>

#include "qdiff/core/rng.hpp"
#include "qdiff/quantum/gates.hpp"

namespace qdiff::quantum {

class StateVector;

// `shots` basis-state indices b drawn with probability |amps[b]|^2 / sum |amps|^2 (bit q of b
// = measured value of qubit q). Inverse-CDF sampling: O(2^n + shots * n).   amps: [2^n]
// A = cplx or cplxf (the CDF is accumulated in double either way).
template <class A>
std::vector<uint64_t> sample_bitstrings(const A* amps, int n, int64_t shots, Rng& rng);
std::vector<uint64_t> sample_bitstrings(const StateVector& state, int64_t shots, Rng& rng);

// z[q] = mean over samples of (1 - 2 bit_q).   samples: [shots], z: [n]
void z_from_samples(const uint64_t* samples, int64_t shots, int n, double* z);

// Finite-shot estimate of every <Z_q> from `shots` samples of the state.   z: [n]
template <class A>
void estimate_z(const A* amps, int n, int64_t shots, Rng& rng, double* z);

}  // namespace qdiff::quantum
