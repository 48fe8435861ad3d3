// Bit-for-bit comparison of the tensors of two checkpoints (weights, EMA, Adam moments), for the
// reproducibility tests of tests/cli.
#pragma once
#include <gtest/gtest.h>

#include <string>

#include "qdiff/nn/checkpoint.hpp"

namespace qdiff::test {

// Every tensor of checkpoint a equals checkpoint b's bit for bit (metadata is not compared).
inline void expect_same_tensors(const std::string& a_path, const std::string& b_path) {
  const auto a = nn::load_checkpoint(a_path), b = nn::load_checkpoint(b_path);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  int differ = 0;
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    ASSERT_EQ(a.tensors[i].name, b.tensors[i].name);
    if (a.tensors[i].data != b.tensors[i].data && ++differ <= 5)
      ADD_FAILURE() << a.tensors[i].name << " differs between " << a_path << " and " << b_path;
  }
  EXPECT_EQ(differ, 0) << "tensors that differ";
  EXPECT_EQ(a.meta["step"], b.meta["step"]);
}

}  // namespace qdiff::test
