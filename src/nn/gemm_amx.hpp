// The AMX-BF16 kernel of bf16::gemm (internal to src/nn; gemm_bf16.hpp dispatches to it).
//
// TDPBF16PS adds to a 16 x 16 float tile of C the products of an A tile (16 rows of 16 bfloat16
// pairs) and a B tile (16 pair rows of 16 columns of pairs: the VNNI layout bf16::gemm's B already
// has). Tile loads need one row stride, so the operand rows (at arbitrary offsets) are first packed
// into per-thread scratch, zero-padded to multiples of 16 rows and pairs and stored tile by tile
// (each 16 x 16 tile 1 KB of contiguous memory); C is computed in blocks of
// up to 2 x 2 tiles (C tiles 0-3, A tiles 4-5, B tiles 6-7), full tiles loaded and stored in
// place, edge tiles through a padded 16 x 16 buffer. The sum over k runs in pair blocks of 16 in k
// order within each tile, so results are fixed for given operands (no dependence on threads).
// Compiled by function target attributes: the portable build compiles it too.
#pragma once

#include "gemm_bf16.hpp"

namespace qdiff::nn::bf16::amx {

// Whether this CPU has AMX-TILE and AMX-BF16 (cpuid), its OS saves the tile state (XCR0), and
// Linux granted this process the tile data (arch_prctl, asked once).
bool usable();

// bf16::gemm on AMX tiles. Callers check usable() first. Loads the tile configuration once per
// thread.
void gemm(int M, int N, int K2, const ARows& a, const BPairRows& b, float* C, size_t ldc, bool acc);

}  // namespace qdiff::nn::bf16::amx
