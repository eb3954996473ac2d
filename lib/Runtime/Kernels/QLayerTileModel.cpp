//===- QLayerTileModel.cpp - the AMX path on a scalar tile model -*- C++ -*-===//
//
// The tile instructions the AMX kernels use, computed in plain C++ as the
// Intel SDM defines them (tdpbusd: u8 x s8 products, four per i32 lane,
// added with wraparound), so the AMX blocking, tails and epilogues are
// checked on every CPU against the other variants; the CPU's own tiles are
// checked where it has them.
//
//===----------------------------------------------------------------------===//
#include "QLayerAMX.h"

using namespace quantc::kernels;

namespace {
struct TileModel {
  struct State {
    uint8_t bytes[8][kTileRows][kTileBytes];
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
    std::memset(state().bytes[T], 0, sizeof state().bytes[T]);
  }
  template <int T> static void load(const void *base, int64_t stride) {
    requireConfigured();
    for (int r = 0; r < kTileRows; ++r)
      std::memcpy(state().bytes[T][r], static_cast<const uint8_t *>(base) + r * stride,
                  kTileBytes);
  }
  template <int T> static void store(void *base, int64_t stride) {
    requireConfigured();
    for (int r = 0; r < kTileRows; ++r)
      std::memcpy(static_cast<uint8_t *>(base) + r * stride, state().bytes[T][r], kTileBytes);
  }
  template <int C, int A, int B> static void dot() {
    requireConfigured();
    auto &tiles = state().bytes;
    for (int m = 0; m < kTileRows; ++m)
      for (int n = 0; n < kTileRows; ++n) {
        uint32_t acc;
        std::memcpy(&acc, &tiles[C][m][4 * n], 4);
        for (int k = 0; k < kTileRows; ++k)
          for (int i = 0; i < 4; ++i)
            acc += static_cast<uint32_t>(int32_t(tiles[A][m][4 * k + i]) *
                                         int32_t(static_cast<int8_t>(tiles[B][k][4 * n + i])));
        std::memcpy(&tiles[C][m][4 * n], &acc, 4);
      }
  }
};

struct PortableTile : PortablePacking, ScalarEpilogue {};
} // namespace

void quantc::kernels::qlayerTileModel(const void *input, const int8_t *packed,
                                      const int32_t *bias, const int32_t *multiplier,
                                      const int32_t *shift, const int64_t *params,
                                      void *output) {
  runQLayerAMX<TileModel, PortableTile>(input, packed, bias, multiplier, shift, params,
                                        output);
}
