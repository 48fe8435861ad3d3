// The sinusoidal timestep embedding (ops.hpp).
#include <cmath>

#include "qdiff/core/error.hpp"
#include "qdiff/nn/ops.hpp"

namespace qdiff::nn {

template <class T>
void timestep_embedding(T* out, const int* t, int N, int dim) {
  // out: [N,dim]
  const int half = dim / 2;
  if (half < 2 || dim % 2) throw InvalidArgument("timestep_embedding: dim must be even and >= 4");
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < half; ++k) {
      const double f = std::exp(-std::log(10000.0) * k / (half - 1));
      const double a = static_cast<double>(t[n]) * f;
      out[n * dim + k] = static_cast<T>(std::sin(a));
      out[n * dim + half + k] = static_cast<T>(std::cos(a));
    }
}

template void timestep_embedding<float>(float*, const int*, int, int);
template void timestep_embedding<double>(double*, const int*, int, int);

}  // namespace qdiff::nn
