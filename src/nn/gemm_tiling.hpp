// The tiling that both AVX-512 GEMM kernels share (the float one of gemm.hpp and the bfloat16 one
// of gemm_bf16.cpp): C [M, N] in panels of 32 columns (two 16-lane halves, the last panel's
// lanes masked), each panel in tiles of 8 rows and one tile of the remaining 1-7 rows.
// tile(std::integral_constant<int, R>{}, m0, n0, k0, k1) computes the R x 32 tile whose top-left
// element is C[m0, n0]; k0 and k1 are the lane masks of its two halves.
#pragma once

#include <cstdint>
#include <type_traits>

namespace qdiff::nn::gemm {

template <class Tile>
__attribute__((always_inline)) inline void for_each_tile(int M, int N, const Tile& tile) {
  for (int n0 = 0; n0 < N; n0 += 32) {
    const int rem = N - n0 < 32 ? N - n0 : 32;
    const uint16_t k0 = rem >= 16 ? uint16_t{0xFFFF} : static_cast<uint16_t>((1u << rem) - 1);
    const uint16_t k1 = rem >= 32 ? uint16_t{0xFFFF} : rem > 16 ? static_cast<uint16_t>((1u << (rem - 16)) - 1) : uint16_t{0};
    int m0 = 0;
    for (; m0 + 8 <= M; m0 += 8) tile(std::integral_constant<int, 8>{}, m0, n0, k0, k1);
    switch (M - m0) {
      case 0: break;
      case 1: tile(std::integral_constant<int, 1>{}, m0, n0, k0, k1); break;
      case 2: tile(std::integral_constant<int, 2>{}, m0, n0, k0, k1); break;
      case 3: tile(std::integral_constant<int, 3>{}, m0, n0, k0, k1); break;
      case 4: tile(std::integral_constant<int, 4>{}, m0, n0, k0, k1); break;
      case 5: tile(std::integral_constant<int, 5>{}, m0, n0, k0, k1); break;
      case 6: tile(std::integral_constant<int, 6>{}, m0, n0, k0, k1); break;
      default: tile(std::integral_constant<int, 7>{}, m0, n0, k0, k1); break;
    }
  }
}

}  // namespace qdiff::nn::gemm
