// How the convolutions cut a batch into blocks of images and reduce their weight gradients
// (internal to src/nn): blocks inside the leaves of the batch's gradient tree (core/reduce.hpp),
// per-thread scratch, the output epilogue, the GEMM in the layer's precision, the weight-gradient
// GEMM of one block and the tree sum of the per-leaf partials into the registry's gradients.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <type_traits>
#include <vector>

#include "gemm.hpp"
#include "gemm_bf16.hpp"
#include "qdiff/core/reduce.hpp"
#include "qdiff/nn/conv.hpp"
#include "qdiff/nn/params.hpp"

namespace qdiff::nn::detail {

using gemm::CMap;
using gemm::Map;

// One scratch buffer per OpenMP thread.
template <class V>
void ensure_threads(std::vector<V>& v) {
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

// A block of images [n0, n0 + m) inside one leaf of the batch's gradient tree; its matrices hold
// cols = m*P columns.
struct Block {
  int n0, m;
  size_t cols;
};

// The batch [0, N) as blocks of whole images, one im2col matrix [K, m*P] and one GEMM per block,
// about block_columns() columns each, never straddling a leaf of the gradient tree
// (core/reduce.hpp: leaves of kBatchLeaf images). Leaf l owns blocks [first[l], first[l + 1]).
// Depends on N and P only, never on the thread count.
struct BatchBlocks {
  std::vector<Block> blocks;
  std::vector<int> first;
  int leaves() const { return static_cast<int>(first.size()) - 1; }

  BatchBlocks(int N, int P) {
    const int per = std::max(1, block_columns() / std::max(P, 1));  // images a block would hold
    for (const TreeLeaf& l : tree_leaves(N, kBatchLeaf)) {
      first.push_back(static_cast<int>(blocks.size()));
      const int m = static_cast<int>(l.end - l.begin), nsub = (m + per - 1) / per, nb = (m + nsub - 1) / nsub;
      for (int n0 = static_cast<int>(l.begin); n0 < l.end; n0 += nb) {
        const int mb = std::min(nb, static_cast<int>(l.end) - n0);
        blocks.push_back({n0, mb, static_cast<size_t>(mb) * P});
      }
    }
    first.push_back(static_cast<int>(blocks.size()));
  }
};

// Applies the epilogue (conv.hpp) to one output row of n values: y = act(src + bias), and
// y2 = y + add + res when y2 is given (res may be null, or alias y2).
template <class T>
void finish_row(T* y, const T* src, int n, T bias, const Epilogue<T>& ep, T* y2, T add, const T* res) {
  if (ep.relu)
    for (int i = 0; i < n; ++i) y[i] = std::max(src[i] + bias, T(0));
  else
    for (int i = 0; i < n; ++i) y[i] = src[i] + bias;
  if (!y2) return;
  if (res)
    for (int i = 0; i < n; ++i) y2[i] = y[i] + add + res[i];
  else
    for (int i = 0; i < n; ++i) y2[i] = y[i] + add;
}

// C[M,N] (+)= A[M,K] B[K,N] (contiguous operands) in the layer's precision: float layers may run
// it in bf16 (gemm_bf16.hpp).
template <class T>
void gemm_in(Precision prec, int M, int N, int K, const T* A, const T* B, T* C, bool acc = false) {
  if constexpr (std::is_same_v<T, float>)
    if (prec == Precision::BF16) return bf16::gemm_f32(M, N, K, A, K, B, N, C, N, acc);
  gemm::gemm(M, N, K, A, B, C, acc);
}

// Whether the weight gradient runs on a GEMM (and needs dY^T): weights of at least
// gemm::kThickRows rows, and every weight in bf16.
inline bool thick_weight(int R, Precision prec) { return R >= gemm::kThickRows || prec == Precision::BF16; }

// Weight-gradient partial of one block, transposed: gT[K, R] (+)= A[K, L] D[R, L]^T, where R is the
// weight's row count and Dt = D^T [L, R]; accumulates when `acc`. Thick weights (thick_weight) run
// on a GEMM (it needs Dt); thinner ones (e.g. the 1-channel output convolution) use row dot
// products of A and D.
template <class T>
void weight_grad_t(Precision prec, T* gT, const T* A, const T* D, const T* Dt, int K, int R, size_t L, bool acc) {
  if (thick_weight(R, prec))
    gemm_in(prec, K, R, static_cast<int>(L), A, Dt, gT, acc);
  else if (acc)
    Map<T>(gT, K, R).noalias() += CMap<T>(A, K, L).lazyProduct(CMap<T>(D, R, L).transpose());
  else
    Map<T>(gT, K, R).noalias() = CMap<T>(A, K, L).lazyProduct(CMap<T>(D, R, L).transpose());
}

// Per-leaf partials of a batch of N images, each [weight gradient transposed as [K, R] | n_bias
// biases], summed in the batch's gradient tree and added into the registry's gradients (weight
// [R, K]). The sum does not depend on the thread count.
template <class T>
void add_leaf_partials(T* gw, T* gb, std::vector<Buf<T>>& parts, int N, int R, int K, int n_bias) {
  std::vector<T*> p(tree_leaves(N, kBatchLeaf).size());
  if (p.empty()) return;  // an empty batch adds nothing
  for (size_t l = 0; l < p.size(); ++l) p[l] = parts[l].data();
  tree_sum_buffers(p.data(), N, kBatchLeaf, static_cast<size_t>(K) * R + n_bias);
  const T* sum = p[0];
#pragma omp parallel for schedule(static) if (static_cast<int64_t>(R) * K >= (1 << 15))
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < K; ++k) gw[static_cast<size_t>(r) * K + k] += sum[static_cast<size_t>(k) * R + r];
  for (int o = 0; o < n_bias; ++o) gb[o] += sum[static_cast<size_t>(K) * R + o];
}

}  // namespace qdiff::nn::detail
