#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "qdiff/core/error.hpp"
#include "qdiff/core/files.hpp"
#include "qdiff/core/rng.hpp"
#include "support/test_support.hpp"

using namespace qdiff;

TEST(Rng, SeededStreamsAreReproducibleAndDistinct) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    (void)c;
  }
  EXPECT_NE(Rng(42).next_u64(), Rng(43).next_u64());
  EXPECT_NE(Rng(42).fork(0).next_u64(), Rng(42).fork(1).next_u64());
}

// with_fork_offset(k) forks the streams k, k + 1, ... of the original and draws what it draws.
TEST(Rng, ForkOffsetShiftsTheForksOnly) {
  const Rng a(42);
  const Rng shifted = a.with_fork_offset(5);
  for (uint64_t i = 0; i < 4; ++i) EXPECT_EQ(shifted.fork(i).next_u64(), a.fork(5 + i).next_u64()) << i;
  EXPECT_EQ(shifted.with_fork_offset(2).fork(1).next_u64(), a.fork(8).next_u64());  // offsets add
  EXPECT_EQ(shifted.fork(0).fork(1).next_u64(), a.fork(5).fork(1).next_u64());      // forks start at 0
  Rng x = a, y = shifted;
  EXPECT_EQ(x.next_u64(), y.next_u64());
  y.reseed(42);
  EXPECT_EQ(y.fork(0).next_u64(), a.fork(0).next_u64());
}

TEST(Rng, NormalMoments) {
  Rng r(1);
  const int n = 200000;
  double s = 0, s2 = 0, s4 = 0;
  for (int i = 0; i < n; ++i) {
    const double x = r.normal();
    s += x, s2 += x * x, s4 += x * x * x * x;
  }
  EXPECT_NEAR(s / n, 0.0, 0.01);
  EXPECT_NEAR(s2 / n, 1.0, 0.01);
  EXPECT_NEAR(s4 / n, 3.0, 0.06);
}

TEST(Rng, StateRestoreContinuesExactly) {
  Rng r(5);
  r.normal();
  const auto st = r.state();
  const double x = r.normal(), y = r.uniform();
  Rng q(0);
  q.set_state(st);
  EXPECT_EQ(q.normal(), x);
  EXPECT_EQ(q.uniform(), y);
}

TEST(Rng, BelowIsInRangeAndPermutationIsOne) {
  Rng r(3);
  for (int i = 0; i < 1000; ++i) EXPECT_LT(r.below(7), 7u);
  auto p = r.permutation(50);
  std::sort(p.begin(), p.end());
  for (int i = 0; i < 50; ++i) EXPECT_EQ(p[i], i);
}

TEST(Files, AtomicWriteReplacesAndLeavesNoTemp) {
  qdiff::test::TempDir tmp;
  const auto path = tmp.file("sub/dir/f.bin");
  write_file_atomic(path, std::string_view("first"));
  write_file_atomic(path, std::string_view("second"));
  EXPECT_EQ(read_file_text(path), "second");
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(tmp.file("sub/dir"))) (void)e, ++files;
  EXPECT_EQ(files, 1);
  EXPECT_THROW(read_file_bytes(tmp.file("nope")), FileError);
  EXPECT_THROW(read_file_bytes(tmp.path()), FileError);
}
