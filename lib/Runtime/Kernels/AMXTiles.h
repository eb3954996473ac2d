//===- AMXTiles.h - what the AMX kernels share ------------------*- C++ -*-===//
//
// Every AMX kernel uses one tile configuration (8 tiles of 16 rows x 64
// bytes: 0-3 accumulate, 4-5 hold the left operand, 6-7 the right one),
// loads it once per thread's run of blocks, and is written against an `Isa`
// that supplies the tile instructions: the CPU's, or TileModel below, a
// scalar model that checks the kernels' layout logic on any CPU.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_AMXTILES_H
#define QUANTC_LIB_RUNTIME_KERNELS_AMXTILES_H

#include "Kernels.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#if defined(__AMX_TILE__)
#include <immintrin.h>
#endif

namespace quantc::kernels {

constexpr int kTileRows = 16;
constexpr int kTileBytes = 64;

/// One tile configuration for every block: all 8 tiles are 16 rows of 64
/// bytes.
struct TileConfig {
  uint8_t palette = 1, startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t bytesPerRow[16] = {};
  uint8_t rows[16] = {};
  TileConfig() {
    for (int t = 0; t < 8; ++t) {
      bytesPerRow[t] = kTileBytes;
      rows[t] = kTileRows;
    }
  }
};

/// work.run(first, last) over `blocks`, one contiguous run per thread when
/// `parallel`, so that each thread loads the tile configuration once
/// (ldtilecfg costs as much as a few blocks of a small layer).
template <typename Isa, typename Work>
void runTileSlices(const Work &work, int64_t blocks, bool parallel) {
  forEachSlice(blocks, parallel, [&](int64_t first, int64_t last) {
    Isa::configure();
    work.run(first, last);
    Isa::release();
  });
}

#if defined(__AMX_TILE__)
/// The CPU's tile instructions, `Dot` supplying the product (tdpbusd,
/// tdpbf16ps); only in files built with the AMX flags.
template <typename Dot>
struct TileInstructions {
  static void configure() {
    static const TileConfig config;
    _tile_loadconfig(&config);
  }
  static void release() { _tile_release(); }
  template <int T> static void zero() { _tile_zero(T); }
  template <int T> static void load(const void *base, int64_t stride) {
    _tile_loadd(T, base, stride);
  }
  template <int C, int A, int B> static void dot() { Dot::template apply<C, A, B>(); }
  template <int T> static void store(void *base, int64_t stride) {
    _tile_stored(T, base, stride);
  }
};
#endif

/// The tile instructions computed in plain C++ as the Intel SDM defines
/// them; `Product` is the dot product instruction (tdpbusd, tdpbf16ps).
template <typename Product>
struct TileModel {
  using Tile = uint8_t[kTileRows][kTileBytes];
  struct State {
    Tile tiles[8];
    bool configured = false;
  };
  static State &state() {
    thread_local State tiles;
    return tiles;
  }
  /// A tile instruction without a loaded configuration faults on the CPU.
  static void requireConfigured() {
    if (!state().configured)
      __builtin_trap();
  }

  static void configure() { state().configured = true; }
  static void release() { state().configured = false; }
  template <int T> static void zero() {
    requireConfigured();
    std::memset(state().tiles[T], 0, sizeof(Tile));
  }
  template <int T> static void load(const void *base, int64_t stride) {
    requireConfigured();
    for (int r = 0; r < kTileRows; ++r)
      std::memcpy(state().tiles[T][r], static_cast<const uint8_t *>(base) + r * stride,
                  kTileBytes);
  }
  template <int T> static void store(void *base, int64_t stride) {
    requireConfigured();
    for (int r = 0; r < kTileRows; ++r)
      std::memcpy(static_cast<uint8_t *>(base) + r * stride, state().tiles[T][r], kTileBytes);
  }
  template <int C, int A, int B> static void dot() {
    requireConfigured();
    Product::apply(state().tiles[C], state().tiles[A], state().tiles[B]);
  }
};

} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_AMXTILES_H
