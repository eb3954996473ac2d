//===- Kernels.h - microkernels linked into every artifact ------*- C++ -*-===//
//
// Internal to libquantc_kernels.a. The extern "C" entry points called by
// generated code are declared in quantc/Runtime/Microkernels.h.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_LIB_RUNTIME_KERNELS_KERNELS_H
#define QUANTC_LIB_RUNTIME_KERNELS_KERNELS_H

#include <cstdint>

namespace quantc::kernels {
using ChunkFn = void (*)(void *context, int64_t chunk);
/// Runs fn(context, i) for i in [0, chunks) on the artifact's worker pool.
void parallelFor(int64_t chunks, ChunkFn fn, void *context);
/// Threads (the caller included) that parallelFor may use on this thread.
int threadBudget();
/// fn(context, i) for i in [0, chunks): parallelFor when `parallel`, else
/// in order on this thread.
void forEachChunk(int64_t chunks, ChunkFn fn, void *context, bool parallel);

/// f(first, last) over [0, count) in contiguous slices, one per thread of
/// the budget when `parallel`, else once on this thread.
template <typename F>
void forEachSlice(int64_t count, bool parallel, const F &f) {
  struct Slices {
    const F *f;
    int64_t count, slices;
    static void run(void *self, int64_t slice) {
      auto *s = static_cast<Slices *>(self);
      (*s->f)(s->count * slice / s->slices, s->count * (slice + 1) / s->slices);
    }
  } slices{&f, count, 1};
  if (parallel)
    slices.slices = count < threadBudget() ? count : threadBudget();
  if (slices.slices <= 1)
    return f(0, count);
  parallelFor(slices.slices, Slices::run, &slices);
}

/// f(begin, end) over [0, count) in contiguous slices as forEachSlice, each
/// boundary a multiple of `align` (the last one excepted), so that vectors
/// and cache lines are not shared between threads.
template <typename F>
void forEachAlignedSlice(int64_t count, int64_t align, bool parallel, const F &f) {
  forEachSlice((count + align - 1) / align, parallel, [&](int64_t first, int64_t last) {
    f(first * align, last * align < count ? last * align : count);
  });
}

/// The output columns [first, last) of a window tap whose input column
/// (ox * stride + offset) lies inside an image row of `width`, out of
/// `outWidth`: im2col copies those and pads the rest.
struct ColumnRange {
  int64_t first, last;
};
inline ColumnRange insideColumns(int64_t offset, int64_t stride, int64_t width,
                                 int64_t outWidth) {
  int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  first = first < outWidth ? first : outWidth;
  int64_t last = width - 1 - offset < 0 ? 0 : (width - 1 - offset) / stride + 1;
  last = last < first ? first : (last > outWidth ? outWidth : last);
  return {first, last};
}

/// out[i] = table[in[i] ^ flip] for i < n (`in` may be `out`), with byte
/// permutes where the CPU has VBMI (Lookup.cpp), split over the threads
/// when long.
void lookupBytes(const uint8_t *in, const uint8_t *table, int64_t n, uint8_t flip,
                 uint8_t *out);
/// bytes[r stride + i] = table[bytes[r stride + i]] for r < rows, i < n.
void lookupRows(uint8_t *bytes, int64_t rows, int64_t stride, int64_t n, const uint8_t *table);

/// Whether this CPU has AVX-512 VBMI (byte permutes) and AVX-512 BF16,
/// checked once (CPUFeatures.cpp).
bool hasVBMI();
bool hasBF16();
/// Whether this CPU has AMX-INT8 and the kernel lets this process use the
/// tile state (arch_prctl(ARCH_REQ_XCOMP_PERM), asked once); QUANTC_AMX=0 in
/// the environment turns it off.
bool hasAMX();
/// The same for AMX-BF16.
bool hasAMXBF16();

/// The integer layer kernels on AMX tiles whatever the layer's size (only
/// where hasAMX()), and the same blocking on a scalar model of the tile
/// instructions (any CPU): QLayerAMX.h, for tests.
void qlayerAMX(const void *input, const int8_t *packed, const int32_t *bias,
               const int32_t *multiplier, const int32_t *shift, const int64_t *params,
               void *output);
void qlayerTileModel(const void *input, const int8_t *packed, const int32_t *bias,
                     const int32_t *multiplier, const int32_t *shift,
                     const int64_t *params, void *output);

/// The bf16 layers of the fast float mode on AMX tiles (only where
/// hasAMXBF16()), and on the scalar tile model (any CPU): BF16AMX.h.
void bconvAMX(const float *input, const uint16_t *weights, const float *bias,
              const int64_t *params, float *output);
void bmatmulAMX(const float *a, const uint32_t *weights, const int64_t *params,
                float *output);
/// The same blocking on AVX-512 BF16 (only where hasBF16()): BF16Dot.cpp.
void bconvAVX512BF16(const float *input, const uint16_t *weights, const float *bias,
                     const int64_t *params, float *output);
void bmatmulAVX512BF16(const float *a, const uint32_t *weights, const int64_t *params,
                       float *output);
void bconvTileModel(const float *input, const uint16_t *weights, const float *bias,
                    const int64_t *params, float *output);
void bmatmulTileModel(const float *a, const uint32_t *weights, const int64_t *params,
                      float *output);

/// A buffer of at least `bytes`, 64-byte aligned; from kHugePageMinBytes it
/// is aligned to and advised for 2 MiB transparent huge pages, since tile
/// loads stall on a TLB miss at every 4 KB page a panel streams through
/// (on a VM each miss is a two-level page walk). Free with std::free.
void *allocateBuffer(uint64_t bytes);
constexpr uint64_t kHugePageMinBytes = uint64_t(256) << 10;

/// A copy of the `bytes` constant bytes at `data` on huge pages, made on the
/// first call for that address and kept until the library unloads; `data`
/// itself below kHugePageMinBytes, where the kernel has no transparent huge
/// pages, or with QUANTC_HUGE_PAGE_WEIGHTS=0. Packed weights live in the
/// library's file mapping, on 4 KB pages; the AMX kernels stream them at
/// tile speed. The bytes at `data` must stay constant while the library is
/// loaded (packed weights do). Costs one more copy of such weights in
/// memory. Safe from many threads.
const int8_t *hugePageCopy(const int8_t *data, int64_t bytes);

/// Who uses which scratch buffer (kernels may hold several at once).
enum ScratchSlot {
  kQLayerRows, kQLayerPanels, kQLayerSums, kFConvColumns, kWeightOnlyRowSums,
  kWeightOnlyInt8, kWeightOnlyInt8Scales, kFMatMulTransposed, kBMatMulA, kBMatMulB,
  kBMatMulWidened, kAttentionScores, kAttentionKeys, kAttentionValues, kBF16BiasRows,
  kBF16PixelBlockPairs, kDepthwiseSums, kFConvPlane, kChannelLanesPlane, kKVScaledRow,
  kKVKeyRow, kAttentionRanges, kNumScratchSlots
};

/// Scratch memory of the calling thread, 64-byte aligned, reused across
/// calls (layers run one after another): slot `slot` grows to `bytes`.
void *scratch(ScratchSlot slot, int64_t bytes);
} // namespace quantc::kernels

#endif // QUANTC_LIB_RUNTIME_KERNELS_KERNELS_H
