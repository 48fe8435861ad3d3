// How the convolutions cut a batch into blocks of images and reduce their weight gradients
// (internal to src/nn): block sizes, per-thread scratch, the weight-gradient GEMM of one block and
// the sum of the block partials into the registry's gradients.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "gemm.hpp"
#include "qdiff/nn/params.hpp"

namespace qdiff::nn::detail {

using gemm::CMap;
using gemm::Map;

// One scratch buffer per OpenMP thread.
template <class T>
void ensure_threads(std::vector<Buf<T>>& v) {
  const size_t nt = static_cast<size_t>(omp_get_max_threads());
  if (v.size() < nt) v.resize(nt);
}

// Wt[K,M] = W[M,K]^T (row-major), for the GEMMs that need the transposed weight.
template <class T>
void transpose_into(T* Wt, const T* W, int M, int K) {
  for (int m = 0; m < M; ++m)
    for (int k = 0; k < K; ++k) Wt[static_cast<size_t>(k) * M + m] = W[static_cast<size_t>(m) * K + k];
}

// Columns per GEMM block: about 1024 (measured: larger blocks spill the im2col matrix out of L2
// and get slower); QDIFF_NN_BLOCK overrides it for A/B timing.
inline int block_columns() {
  static const int v = [] {
    const char* e = std::getenv("QDIFF_NN_BLOCK");
    return e ? std::atoi(e) : 1024;
  }();
  return v;
}

// Images per GEMM block. The batch is processed as blocks of whole images: one im2col matrix
// [K, nb*P] and one GEMM per block, blocks spread over the OpenMP threads. Number of blocks:
// about N*P/block_columns(), at least `threads`, a multiple of `threads` (balanced static
// schedule), at most N.
inline int images_per_block(int N, int P, int threads) {
  const int64_t want = (static_cast<int64_t>(N) * P + block_columns() - 1) / block_columns();
  int64_t nblk = std::max<int64_t>(want, threads);
  nblk = (nblk + threads - 1) / threads * threads;
  nblk = std::min<int64_t>(nblk, N);
  return static_cast<int>((N + nblk - 1) / nblk);
}

// A block of images [n0, n0 + m) of a batch split into blocks of nb images; its matrices hold
// cols = m*P columns.
struct Block {
  int n0, m;
  size_t cols;
  Block(int blk, int nb, int N, int P) : n0(blk * nb), m(std::min(N, n0 + nb) - n0), cols(size_t(m) * P) {}
};

// Weight-gradient partial of one block, transposed: gT[K, R] = A[K, L] D[R, L]^T, where R is the
// weight's row count and Dt = D^T [L, R]. R >= gemm::kThickRows runs on the GEMM kernel (it needs
// Dt); thinner weights (e.g. the 1-channel output convolution) use row dot products of A and D.
template <class T>
void weight_grad_t(T* gT, const T* A, const T* D, const T* Dt, int K, int R, size_t L) {
  if (R >= gemm::kThickRows)
    gemm::gemm(K, R, static_cast<int>(L), A, Dt, gT);
  else
    Map<T>(gT, K, R).noalias() = CMap<T>(A, K, L).lazyProduct(CMap<T>(D, R, L).transpose());
}

// Adds per-block partials (each [weight gradient transposed as [K, R] | n_bias biases]) into the
// registry's gradients (weight [R, K]) in block order. The blocks, and so the rounding of the
// sum, depend on the thread count (images_per_block).
template <class T>
void add_block_partials(T* gw, T* gb, const std::vector<Buf<T>>& parts, int nblk, int R, int K, int n_bias) {
  for (int blk = 0; blk < nblk; ++blk) {
    const T* part = parts[blk].data();
    for (int k = 0; k < K; ++k)
      for (int r = 0; r < R; ++r) gw[static_cast<size_t>(r) * K + k] += part[static_cast<size_t>(k) * R + r];
    for (int o = 0; o < n_bias; ++o) gb[o] += part[static_cast<size_t>(K) * R + o];
  }
}

}  // namespace qdiff::nn::detail
