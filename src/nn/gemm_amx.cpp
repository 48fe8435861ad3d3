// The AMX-BF16 GEMM (gemm_amx.hpp). The tile functions carry the AMX target attribute, so this
// file compiles without -mamx-* flags and the rest of the program keeps its own target.
#include "gemm_amx.hpp"

#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#define QDIFF_AMX_TARGET __attribute__((target("amx-tile,amx-bf16")))

namespace qdiff::nn::bf16::amx {

namespace {

constexpr int kT = 16;  // tile rows; a tile row is 64 bytes: 16 floats or 16 pairs

int round_up(int n) { return (n + kT - 1) / kT * kT; }

bool cpu_has_amx() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return false;  // OSXSAVE: xgetbv usable
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  if (!(d & (1u << 22)) || !(d & (1u << 24))) return false;  // AMX-BF16, AMX-TILE
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  constexpr unsigned kTileState = (1u << 17) | (1u << 18);  // XTILECFG, XTILEDATA
  return (lo & kTileState) == kTileState;
}

// Linux (5.16+) hands out the 8 KB tile data state only on request.
bool os_grants_tiles() {
#if defined(__linux__) && defined(SYS_arch_prctl)
  constexpr long kReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

// The LDTILECFG operand: palette 1, every tile 16 rows of 64 bytes.
struct alignas(64) TileConfig {
  uint8_t palette = 1, start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};
static_assert(sizeof(TileConfig) == 64);

QDIFF_AMX_TARGET void configure_thread() {
  thread_local bool configured = false;
  if (configured) return;
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) cfg.colsb[t] = 64, cfg.rows[t] = kT;
  _tile_loadconfig(&cfg);
  configured = true;
}

// A matrix of Pairs, rows_in x cols_in (row i from src(i)), zero-padded to rows x cols (multiples
// of 16) and cut into 16 x 16 tiles of 1 KB each, stored one after another so that every tile load
// reads contiguous memory: tile (r, c) at index r * (cols/16) + c (`column_blocks` false: A, the
// tiles of one row block in k order), or c * (rows/16) + r (true: B, the tiles of one column block
// in k order).
template <class Row>
void pack(std::vector<Pair>& dst, int rows_in, int rows, int cols_in, int cols, bool column_blocks, const Row& src) {
  constexpr int kTile = kT * kT;
  const int rt = rows / kT, ct = cols / kT;
  dst.resize(static_cast<size_t>(rows) * cols);
  for (int i = 0; i < rows; ++i) {
    const auto* row = i < rows_in ? static_cast<const char*>(static_cast<const void*>(src(i))) : nullptr;  // 2-byte aligned
    for (int c = 0; c < ct; ++c) {
      const size_t tile = column_blocks ? static_cast<size_t>(c) * rt + i / kT : static_cast<size_t>(i / kT) * ct + c;
      Pair* d = dst.data() + tile * kTile + (i % kT) * kT;
      const int n = row ? std::clamp(cols_in - c * kT, 0, kT) : 0;
      if (n == kT) {  // a whole tile row: one 64-byte copy of constant size (inlined)
        std::memcpy(d, row + c * kT * sizeof(Pair), kT * sizeof(Pair));
        continue;
      }
      if (n) std::memcpy(d, row + c * kT * sizeof(Pair), static_cast<size_t>(n) * sizeof(Pair));
      std::fill(d + n, d + kT, 0u);
    }
  }
}

// Where a C tile is loaded from and stored to: C itself (a full tile) or the 16 x 16 buffer of an
// edge tile, filled from C first when accumulating and copied back after.
struct CTile {
  float* c;       // C at the tile's top-left element
  size_t ldc;
  int rows, cols; // valid part (<= 16)
  float* buf;     // this tile's 16 x 16 buffer
  bool full() const { return rows == kT && cols == kT; }
  float* at() const { return full() ? c : buf; }
  size_t stride() const { return (full() ? ldc : kT) * sizeof(float); }
  void fill(bool acc) const {
    if (full()) return;
    std::fill(buf, buf + kT * kT, 0.0f);
    if (acc)
      for (int i = 0; i < rows; ++i) std::copy(c + i * ldc, c + i * ldc + cols, buf + i * kT);
  }
  void copy_back() const {
    if (full()) return;
    for (int i = 0; i < rows; ++i) std::copy(buf + i * kT, buf + i * kT + cols, c + i * ldc);
  }
};

// Tile T <- its C tile (or zeros). A macro: GCC's tile intrinsics paste the tile number into
// their assembly, so it must be a literal.
#define QDIFF_AMX_LOAD_C(T, tile)                         \
  do {                                                    \
    if (acc || !(tile).full())                            \
      _tile_loadd(T, (tile).at(), (tile).stride());       \
    else                                                  \
      _tile_zero(T);                                      \
  } while (0)

// C tiles (MT x NT, up to 2 x 2) += A block rows (packed: the tiles of row block 0, then of row
// block 1, each K2p / 16 tiles in k order) times B block columns (likewise, column blocks 0 and 1).
template <int MT, int NT>
QDIFF_AMX_TARGET void block(const Pair* a, const Pair* b, int K2p, const CTile (&c)[2][2], bool acc) {
  constexpr int kTile = kT * kT, kStride = kT * sizeof(Pair);
  const Pair* a1 = a + static_cast<size_t>(K2p) * kT;
  const Pair* b1 = b + static_cast<size_t>(K2p) * kT;
  QDIFF_AMX_LOAD_C(0, c[0][0]);
  if constexpr (NT == 2) QDIFF_AMX_LOAD_C(1, c[0][1]);
  if constexpr (MT == 2) QDIFF_AMX_LOAD_C(2, c[1][0]);
  if constexpr (MT == 2 && NT == 2) QDIFF_AMX_LOAD_C(3, c[1][1]);
  for (int t = 0; t < K2p / kT; ++t) {
    _tile_loadd(6, b + t * kTile, kStride);
    if constexpr (NT == 2) _tile_loadd(7, b1 + t * kTile, kStride);
    _tile_loadd(4, a + t * kTile, kStride);
    _tile_dpbf16ps(0, 4, 6);
    if constexpr (NT == 2) _tile_dpbf16ps(1, 4, 7);
    if constexpr (MT == 2) {
      _tile_loadd(5, a1 + t * kTile, kStride);
      _tile_dpbf16ps(2, 5, 6);
      if constexpr (NT == 2) _tile_dpbf16ps(3, 5, 7);
    }
  }
  _tile_stored(0, c[0][0].at(), c[0][0].stride());
  if constexpr (NT == 2) _tile_stored(1, c[0][1].at(), c[0][1].stride());
  if constexpr (MT == 2) _tile_stored(2, c[1][0].at(), c[1][0].stride());
  if constexpr (MT == 2 && NT == 2) _tile_stored(3, c[1][1].at(), c[1][1].stride());
}

}  // namespace

bool usable() {
  static const bool ok = cpu_has_amx() && os_grants_tiles();
  return ok;
}

void gemm(int M, int N, int K2, const ARows& a, const BPairRows& b, float* C, size_t ldc, bool acc) {
  if (M <= 0 || N <= 0) return;
  configure_thread();
  const int Mp = round_up(M), Np = round_up(N), K2p = round_up(K2);
  thread_local std::vector<Pair> ap, bp;  // A [Mp, K2p], B [K2p, Np] in tiles
  pack(ap, M, Mp, K2, K2p, false, [&](int i) { return a.base + a.off[i]; });
  pack(bp, K2, K2p, N, Np, true, [&](int j) { return b.base + b.off[j]; });
  thread_local float edge[2][2][kT * kT];
  // One block of up to 2 x 2 C tiles at (m0, n0).
  auto run = [&](int m0, int n0) {
    const int mt = std::min(2, (Mp - m0) / kT), nt = std::min(2, (Np - n0) / kT);
    CTile c[2][2];
    for (int i = 0; i < mt; ++i)
      for (int j = 0; j < nt; ++j) {
        const int r = m0 + i * kT, q = n0 + j * kT;
        c[i][j] = {C + r * ldc + q, ldc, std::min(kT, M - r), std::min(kT, N - q), edge[i][j]};
        c[i][j].fill(acc);
      }
    const Pair* ab = ap.data() + static_cast<size_t>(m0) * K2p;  // row block m0 / 16
    const Pair* bb = bp.data() + static_cast<size_t>(n0) * K2p;  // column block n0 / 16
    if (mt == 2 && nt == 2) block<2, 2>(ab, bb, K2p, c, acc);
    else if (mt == 2) block<2, 1>(ab, bb, K2p, c, acc);
    else if (nt == 2) block<1, 2>(ab, bb, K2p, c, acc);
    else block<1, 1>(ab, bb, K2p, c, acc);
    for (int i = 0; i < mt; ++i)
      for (int j = 0; j < nt; ++j) c[i][j].copy_back();
  };
  // The larger packed operand in the outer loop: its 32-row (or column) block stays in cache while
  // the smaller operand is read whole.
  if (static_cast<size_t>(Mp) > static_cast<size_t>(Np)) {
    for (int m0 = 0; m0 < Mp; m0 += 2 * kT)
      for (int n0 = 0; n0 < Np; n0 += 2 * kT) run(m0, n0);
  } else {
    for (int n0 = 0; n0 < Np; n0 += 2 * kT)
      for (int m0 = 0; m0 < Mp; m0 += 2 * kT) run(m0, n0);
  }
}

}  // namespace qdiff::nn::bf16::amx
