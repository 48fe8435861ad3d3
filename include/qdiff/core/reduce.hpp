// Sums whose rounding does not depend on how the work is shared out: a fixed pairwise tree.
//
// A sum over the items [0, n) (the images of a batch, the chunks of a buffer) is taken as a binary
// tree: a range of more than `leaf` items splits at its midpoint lo + (hi - lo) / 2; a leaf is
// summed in item order by whichever thread computes it. The tree depends on n and `leaf` only,
// never on the thread count: threads choose which leaves they compute, not how they are added.
//
// A subtree depends only on the length of its range. So a data-parallel process that holds the
// shard [r n/P, (r+1) n/P) of a batch computes exactly that node of the whole batch's tree when the
// shards are nodes of it (tree_has_shards), and adding the P shard sums pairwise in rank order
// (for P = 2, one addition) completes the same tree, bit for bit.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace qdiff {

// Images (samples) per leaf of a batch's gradient tree. Small enough that batches of 8 split
// into shards of 4, large enough that the per-leaf partial gradients stay few (B / 4 of them).
inline constexpr int64_t kBatchLeaf = 4;

// A leaf: the items [begin, end).
struct TreeLeaf {
  int64_t begin, end;
};

// The leaves of the tree over [0, n), in order (none for n = 0).
inline std::vector<TreeLeaf> tree_leaves(int64_t n, int64_t leaf) {
  std::vector<TreeLeaf> out;
  auto walk = [&](auto&& self, int64_t lo, int64_t hi) -> void {
    if (hi - lo <= std::max<int64_t>(leaf, 1)) {
      out.push_back({lo, hi});
      return;
    }
    const int64_t mid = lo + (hi - lo) / 2;
    self(self, lo, mid);
    self(self, mid, hi);
  };
  if (n > 0) walk(walk, 0, n);
  return out;
}

// The inner nodes of the tree over [0, n), children before parents, as leaf indices (a, b): a
// node's sum is kept at its leftmost leaf, so the node adds the sum kept at leaf b (its right half)
// into leaf a (its left half).
inline std::vector<std::pair<int, int>> tree_merges(int64_t n, int64_t leaf) {
  std::vector<std::pair<int, int>> out;
  int next = 0;
  auto walk = [&](auto&& self, int64_t lo, int64_t hi) -> int {  // returns the node's leftmost leaf
    if (hi - lo <= std::max<int64_t>(leaf, 1)) return next++;
    const int64_t mid = lo + (hi - lo) / 2;
    const int a = self(self, lo, mid);
    const int b = self(self, mid, hi);
    out.emplace_back(a, b);
    return a;
  };
  if (n > 0) walk(walk, 0, n);
  return out;
}

// Whether the P equal shards of [0, n) are nodes of its tree (P a power of two dividing n, and
// every range above the shards longer than a leaf, so that it splits).
inline bool tree_has_shards(int64_t n, int64_t leaf, int64_t P) {
  if (P == 1) return true;
  if (P % 2 || n % 2 || n <= std::max<int64_t>(leaf, 1)) return false;
  return tree_has_shards(n / 2, leaf, P / 2);
}

// Pairwise tree sum of x[0, n) (leaves of one item).
template <class T>
T tree_sum(const T* x, int64_t n) {
  if (n <= 0) return T(0);
  if (n == 1) return x[0];
  const int64_t mid = n / 2;
  return tree_sum(x, mid) + tree_sum(x + mid, n - mid);
}

// Element-wise tree sum of per-leaf buffers: parts[l] (size elements) holds leaf l's partial of
// the tree over [0, n) with leaves of `leaf` items; on return parts[0] holds the sum (the others
// are overwritten). Parallel over chunks of elements; every element is added in the tree's order
// whatever the thread count.
template <class T>
void tree_sum_buffers(T* const* parts, int64_t n, int64_t leaf, size_t size) {
  const auto merges = tree_merges(n, leaf);
  if (merges.empty()) return;
  constexpr size_t kChunk = 4096;
  const int64_t chunks = static_cast<int64_t>((size + kChunk - 1) / kChunk);
#pragma omp parallel for schedule(static) if (chunks > 1)
  for (int64_t c = 0; c < chunks; ++c) {
    const size_t lo = static_cast<size_t>(c) * kChunk, hi = std::min(size, lo + kChunk);
    for (const auto& [a, b] : merges) {
      T* dst = parts[a];
      const T* src = parts[b];
#pragma omp simd
      for (size_t i = lo; i < hi; ++i) dst[i] += src[i];
    }
  }
}

}  // namespace qdiff
