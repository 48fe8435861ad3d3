// The fixed pairwise tree of core/reduce.hpp: its leaves and merges follow the midpoint rule, a
// shard that is a node of the tree sums to exactly that node, and the buffer form adds every
// element in the tree's order whatever the thread count.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "qdiff/core/reduce.hpp"
#include "qdiff/core/rng.hpp"

using namespace qdiff;

namespace {
// Reference: the sum of x[lo, hi) with leaves of at most `leaf` items summed left to right.
double reference_tree(const std::vector<double>& x, int64_t lo, int64_t hi, int64_t leaf) {
  if (hi - lo <= leaf) {
    double s = 0;
    for (int64_t i = lo; i < hi; ++i) s += x[i];
    return s;
  }
  const int64_t mid = lo + (hi - lo) / 2;
  return reference_tree(x, lo, mid, leaf) + reference_tree(x, mid, hi, leaf);
}

std::vector<double> random_values(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> x(n);
  for (auto& v : x) v = rng.normal() * std::exp(4 * rng.normal());  // wide range: rounding matters
  return x;
}

bool same(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }
}  // namespace

TEST(Reduce, LeavesSplitAtTheMidpoint) {
  auto leaves = tree_leaves(13, 4);  // 13 -> 6 | 7 -> (3 | 3) | (3 | 4)
  ASSERT_EQ(leaves.size(), 4u);
  const int64_t want[4][2] = {{0, 3}, {3, 6}, {6, 9}, {9, 13}};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(leaves[i].begin, want[i][0]);
    EXPECT_EQ(leaves[i].end, want[i][1]);
  }
  EXPECT_EQ(tree_leaves(4, 4).size(), 1u);
  EXPECT_EQ(tree_leaves(64, 4).size(), 16u);
  EXPECT_TRUE(tree_leaves(0, 4).empty());
  // children before parents; each node kept at its leftmost leaf
  const auto m = tree_merges(13, 4);
  const std::vector<std::pair<int, int>> want_m = {{0, 1}, {2, 3}, {0, 2}};
  EXPECT_EQ(m, want_m);
}

TEST(Reduce, ScalarAndBufferSumsFollowTheTree) {
  for (int64_t n : {1, 2, 3, 7, 8, 13, 64, 100}) {
    const auto x = random_values(static_cast<size_t>(n), 1 + n);
    EXPECT_TRUE(same(tree_sum(x.data(), n), reference_tree(x, 0, n, 1))) << n;
    // buffers: leaf l holds its leaf's in-order sum in element i (x scaled by i + 1)
    for (int64_t leaf : {1, 4}) {
      const auto leaves = tree_leaves(n, leaf);
      const size_t size = 9000;  // more than one chunk
      std::vector<std::vector<double>> buf(leaves.size(), std::vector<double>(size));
      std::vector<double*> parts;
      auto scaled = [&](size_t i) {  // element i sums x * (i + 1)
        std::vector<double> xi(x);
        for (auto& v : xi) v *= double(i + 1);
        return xi;
      };
      for (size_t i = 0; i < size; ++i) {
        const auto xi = scaled(i);
        for (size_t l = 0; l < leaves.size(); ++l) buf[l][i] = reference_tree(xi, leaves[l].begin, leaves[l].end, leaf);
      }
      for (auto& b : buf) parts.push_back(b.data());
      tree_sum_buffers(parts.data(), n, leaf, size);
      for (size_t i : {size_t{0}, size_t{4095}, size_t{4096}, size - 1})
        EXPECT_TRUE(same(buf[0][i], reference_tree(scaled(i), 0, n, leaf))) << "n " << n << " leaf " << leaf << " i " << i;
    }
  }
}

// What data-parallel training relies on: when the shards are nodes of the tree, the tree sum of
// each shard (computed on its own, as a process holding only the shard does) added pairwise gives
// the whole batch's sum bit for bit.
TEST(Reduce, ShardsThatAreNodesAddUpExactly) {
  EXPECT_TRUE(tree_has_shards(8, 4, 2));
  EXPECT_TRUE(tree_has_shards(64, 4, 4));
  EXPECT_TRUE(tree_has_shards(24, 4, 2));
  EXPECT_FALSE(tree_has_shards(4, 4, 2));   // one leaf: the shard boundary is inside it
  EXPECT_FALSE(tree_has_shards(12, 4, 3));  // not a power of two
  EXPECT_FALSE(tree_has_shards(8, 4, 4));   // shards of 2 inside leaves of 4
  EXPECT_TRUE(tree_has_shards(6, 1, 2));
  for (int64_t n : {8, 10, 24, 64}) {
    const auto x = random_values(static_cast<size_t>(n), 50 + n);
    for (int64_t leaf : {1, 4}) {
      ASSERT_TRUE(tree_has_shards(n, leaf, 2));
      const std::vector<double> lo(x.begin(), x.begin() + n / 2), hi(x.begin() + n / 2, x.end());
      const double shards = reference_tree(lo, 0, n / 2, leaf) + reference_tree(hi, 0, n / 2, leaf);
      EXPECT_TRUE(same(shards, reference_tree(x, 0, n, leaf))) << n << " " << leaf;
    }
    EXPECT_TRUE(same(tree_sum(x.data(), n / 2) + tree_sum(x.data() + n / 2, n / 2), tree_sum(x.data(), n)));
  }
}

TEST(Reduce, BufferSumDoesNotDependOnThreads) {
  const int64_t n = 37, leaf = 4;
  const auto leaves = tree_leaves(n, leaf);
  const size_t size = 100000;
  std::vector<std::vector<float>> a(leaves.size(), std::vector<float>(size)), b;
  Rng rng(9);
  for (auto& v : a)
    for (auto& e : v) e = static_cast<float>(rng.normal());
  b = a;
  auto run = [&](std::vector<std::vector<float>>& buf, int threads) {
    std::vector<float*> p;
    for (auto& v : buf) p.push_back(v.data());
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads);
    tree_sum_buffers(p.data(), n, leaf, size);
    omp_set_num_threads(before);
  };
  run(a, 1);
  run(b, 2);
  EXPECT_EQ(std::memcmp(a[0].data(), b[0].data(), size * sizeof(float)), 0);
}
