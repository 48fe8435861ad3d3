#include "qdiff/quantum/sampling.hpp"

#include <algorithm>
#include <complex>

#include "qdiff/core/error.hpp"
#include "qdiff/quantum/state.hpp"

namespace qdiff::quantum {

template <class A>
std::vector<uint64_t> sample_bitstrings(const A* amps, int n, int64_t shots, Rng& rng) {
  if (shots < 0) throw InvalidArgument("sample_bitstrings: shots must be >= 0");
  const uint64_t dim = uint64_t{1} << n;
  std::vector<double> cdf(dim);  // cdf[b] = sum_{k <= b} |amps[k]|^2
  double acc = 0;
  for (uint64_t b = 0; b < dim; ++b) cdf[b] = acc += std::norm(cplx(amps[b]));
  if (!(acc > 0)) throw InvalidArgument("sample_bitstrings: state has zero norm");
  std::vector<uint64_t> out(shots);
  for (int64_t s = 0; s < shots; ++s) {
    const double u = rng.uniform() * acc;
    // first b with cdf[b] > u; clamp guards against rounding at the top end
    const uint64_t b = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
    uint64_t pick = std::min(b, dim - 1);
    while (pick > 0 && std::norm(amps[pick]) == 0.0) --pick;  // never return a zero-probability state
    out[s] = pick;
  }
  return out;
}

std::vector<uint64_t> sample_bitstrings(const StateVector& state, int64_t shots, Rng& rng) {
  return sample_bitstrings(state.data(), state.n_qubits(), shots, rng);
}

void z_from_samples(const uint64_t* samples, int64_t shots, int n, double* z) {
  if (shots <= 0) throw InvalidArgument("z_from_samples: need at least one shot");
  std::vector<int64_t> ones(n, 0);
  for (int64_t s = 0; s < shots; ++s)
    for (int q = 0; q < n; ++q) ones[q] += (samples[s] >> q) & 1;
  for (int q = 0; q < n; ++q) z[q] = 1.0 - 2.0 * static_cast<double>(ones[q]) / static_cast<double>(shots);
}

template <class A>
void estimate_z(const A* amps, int n, int64_t shots, Rng& rng, double* z) {
  const std::vector<uint64_t> s = sample_bitstrings(amps, n, shots, rng);
  z_from_samples(s.data(), shots, n, z);
}

template std::vector<uint64_t> sample_bitstrings(const cplx*, int, int64_t, Rng&);
template std::vector<uint64_t> sample_bitstrings(const cplxf*, int, int64_t, Rng&);
template void estimate_z(const cplx*, int, int64_t, Rng&, double*);
template void estimate_z(const cplxf*, int, int64_t, Rng&, double*);

}  // namespace qdiff::quantum
