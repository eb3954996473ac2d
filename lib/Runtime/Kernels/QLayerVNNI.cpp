//===- QLayerVNNI.cpp - integer layers with AVX-512 VNNI --------*- C++ -*-===//
//
// vpdpbusd multiplies 4 u8 activations by 4 s8 weights and adds the four
// products to an i32 lane: a 6-row x 64-column tile keeps 24 zmm
// accumulators, and each step of 4 reduction rows loads one 256-byte group
// of the packed panel and broadcasts 4 bytes per activation row.
//
// Where the CPU has AMX-INT8 (and Linux grants the tile state), layers with
// enough rows run on tiles instead (QLayerAMX.h), with the same packing and
// epilogue: tdpbusd computes what vpdpbusd does, 16 x 16 x 64 at a time.
//
//===----------------------------------------------------------------------===//
#include "QLayerAMX.h"

#include <immintrin.h>

#include <array>
#include <cstring>

using namespace quantc::kernels;

namespace {
template <int Rows>
void computeRows(const uint8_t *a, int64_t kp, const int8_t *b,
                 int32_t (*out)[kPanel]) {
  __m512i acc[Rows][4];
  for (int r = 0; r < Rows; ++r)
    for (int j = 0; j < 4; ++j)
      acc[r][j] = _mm512_setzero_si512();
  for (int64_t k = 0; k < kp; k += 4, b += 4 * kPanel) {
    __m512i w0 = _mm512_loadu_si512(b), w1 = _mm512_loadu_si512(b + 64);
    __m512i w2 = _mm512_loadu_si512(b + 128), w3 = _mm512_loadu_si512(b + 192);
    _mm_prefetch(reinterpret_cast<const char *>(b) + 1024, _MM_HINT_T0);
    for (int r = 0; r < Rows; ++r) {
      int32_t quad;
      std::memcpy(&quad, a + r * kp + k, 4);
      __m512i x = _mm512_set1_epi32(quad);
      acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], x, w0);
      acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], x, w1);
      acc[r][2] = _mm512_dpbusd_epi32(acc[r][2], x, w2);
      acc[r][3] = _mm512_dpbusd_epi32(acc[r][3], x, w3);
    }
  }
  for (int r = 0; r < Rows; ++r)
    for (int j = 0; j < 4; ++j)
      _mm512_store_si512(out[r] + 16 * j, acc[r][j]);
}

/// qc::applyMultiplier on 16 i32 lanes (every rounding but double_round),
/// exactly: vpmuldq forms the 64-bit products of the even lanes, and of the
/// odd ones shifted down, so no 64 x 64-bit multiply is needed; each half is
/// rounded and shifted right by 31 + shift in i64 lanes, then clamped.
///
/// Rounding half to even with no negative shift, accumulators below 2^22
/// take a shorter path in doubles: v * multiplier < 2^53 is exact, so is
/// its scaling by 2^-(31 + shift), and vcvtpd2dq rounds it to nearest even
/// as the integer path does; the result is below 2^22, and clamps in i32.
class Requantize16 {
public:
  Requantize16(const Requantizer &q, __m512i multiplier, __m512i shift)
      : rounding(q.rounding), zp(_mm512_set1_epi64(q.zp)), lo(_mm512_set1_epi64(q.lo)),
        hi(_mm512_set1_epi64(q.hi)) {
    const __m512i low = _mm512_set1_epi64(0xFFFFFFFF), one = _mm512_set1_epi64(1);
    __m512i total = _mm512_add_epi32(shift, _mm512_set1_epi32(31)); // positive
    m[0] = multiplier;
    m[1] = _mm512_srli_epi64(multiplier, 32);
    t[0] = _mm512_and_si512(total, low);
    t[1] = _mm512_srli_epi64(total, 32);
    for (int h = 0; h < 2; ++h)
      half[h] = _mm512_sllv_epi64(one, _mm512_sub_epi64(t[h], one));
    inDoubles = rounding == 0 && _mm512_cmplt_epi32_mask(shift, _mm512_setzero_si512()) == 0;
    if (!inDoubles)
      return;
    __m512d exponent[2] = {_mm512_cvtepi32_pd(_mm512_castsi512_si256(total)),
                           _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(total, 1))};
    __m512d factor[2] = {_mm512_cvtepi32_pd(_mm512_castsi512_si256(multiplier)),
                         _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(multiplier, 1))};
    for (int h = 0; h < 2; ++h) // multiplier * 2^-(31 + shift), exactly
      scale[h] = _mm512_scalef_pd(factor[h], _mm512_sub_pd(_mm512_setzero_pd(), exponent[h]));
    setClampsInI32(q);
  }

  /// One channel's multiplier and shift in every lane, set up in scalar
  /// registers: a convolution's epilogue builds one per output row.
  Requantize16(const Requantizer &q, int32_t multiplier, int32_t shift)
      : rounding(q.rounding), zp(_mm512_set1_epi64(q.zp)), lo(_mm512_set1_epi64(q.lo)),
        hi(_mm512_set1_epi64(q.hi)) {
    int64_t total = int64_t(shift) + 31; // positive
    // vpmuldq reads the low half of each 64-bit lane, for either half.
    m[0] = m[1] = _mm512_set1_epi32(multiplier);
    t[0] = t[1] = _mm512_set1_epi64(total);
    // As vpsllvq: no bits where the count is past 63.
    half[0] = half[1] =
        _mm512_set1_epi64(uint64_t(total - 1) < 64 ? int64_t(uint64_t(1) << (total - 1)) : 0);
    inDoubles = rounding == 0 && shift >= 0;
    if (!inDoubles)
      return;
    // 2^-total from its exponent bits: a call to ldexp would spill every
    // vector register.
    uint64_t bits = uint64_t(1023 - total) << 52;
    double power;
    std::memcpy(&power, &bits, sizeof power);
    scale[0] = scale[1] = _mm512_set1_pd(double(multiplier) * power);
    setClampsInI32(q);
  }

  /// The requantized values of `value`'s 16 lanes, clamped, as i32.
  __m512i operator()(__m512i value) const {
    constexpr int32_t kExactBelow = 1 << 22;
    if (inDoubles && _mm512_cmpge_epu32_mask(_mm512_abs_epi32(value),
                                             _mm512_set1_epi32(kExactBelow)) == 0)
      return applyInDoubles(value);
    __m512i even = apply(value, 0), odd = apply(_mm512_srli_epi64(value, 32), 1);
    return _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  }

private:
  void setClampsInI32(const Requantizer &q) {
    zp32 = _mm512_set1_epi32(static_cast<int32_t>(q.zp));
    lo32 = _mm512_set1_epi32(static_cast<int32_t>(q.lo));
    hi32 = _mm512_set1_epi32(static_cast<int32_t>(q.hi));
  }

  __m512i applyInDoubles(__m512i value) const {
    constexpr int nearestEven = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    __m512d low = _mm512_mul_pd(_mm512_cvtepi32_pd(_mm512_castsi512_si256(value)), scale[0]);
    __m512d high =
        _mm512_mul_pd(_mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(value, 1)), scale[1]);
    __m512i y = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm512_cvt_roundpd_epi32(low, nearestEven)),
        _mm512_cvt_roundpd_epi32(high, nearestEven), 1);
    return _mm512_min_epi32(_mm512_max_epi32(_mm512_add_epi32(y, zp32), lo32), hi32);
  }

  /// Half h's lanes (the low i32 of each i64 lane), in i64 lanes.
  __m512i apply(__m512i value, int h) const {
    __m512i product = _mm512_mul_epi32(value, m[h]);
    __m512i y = roundShift(product, h);
    return _mm512_min_epi64(_mm512_max_epi64(_mm512_add_epi64(y, zp), lo), hi);
  }

  __m512i roundShift(__m512i product, int h) const {
    const __m512i one = _mm512_set1_epi64(1);
    if (rounding == 3) // half_up: an arithmetic shift floors
      return _mm512_srav_epi64(_mm512_add_epi64(product, half[h]), t[h]);
    if (rounding == 1) { // half away from zero, on the magnitude
      __m512i magnitude = _mm512_abs_epi64(product);
      __m512i q = _mm512_srlv_epi64(_mm512_add_epi64(magnitude, half[h]), t[h]);
      return _mm512_mask_sub_epi64(q, _mm512_movepi64_mask(product), _mm512_setzero_si512(), q);
    }
    // half to even: floor((p + half - 1 + (floor(p / 2^t) & 1)) / 2^t).
    __m512i parity = _mm512_and_si512(_mm512_srav_epi64(product, t[h]), one);
    __m512i bias = _mm512_add_epi64(_mm512_sub_epi64(half[h], one), parity);
    return _mm512_srav_epi64(_mm512_add_epi64(product, bias), t[h]);
  }

  int rounding;
  __m512i zp, lo, hi;
  __m512i m[2], t[2], half[2]; // even and odd lanes
  bool inDoubles;
  __m512d scale[2];            // lanes 0-7 and 8-15
  __m512i zp32, lo32, hi32;
};

/// Stores `count` of 16 i32 accumulators at `index`, requantized unless the
/// layer outputs i32.
void store16(const Requantizer &q, const Requantize16 &requantize, __m512i value,
             void *output, int64_t index, int count) {
  __mmask16 mask = count >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << count) - 1);
  if (q.kind == 0) {
    _mm512_mask_storeu_epi32(static_cast<int32_t *>(output) + index, mask, value);
    return;
  }
  __m128i bytes = _mm512_cvtepi32_epi8(requantize(value));
  auto *dst = static_cast<char *>(output) + index;
  if (count < 16)
    return _mm_mask_storeu_epi8(dst, mask, bytes);
  // Narrowed in a register and stored whole: compilers otherwise fold the
  // narrowing into the store, whose memory form AMD Zen 4 runs slowly.
  asm("" : "+v"(bytes));
  _mm_storeu_si128(reinterpret_cast<__m128i *>(dst), bytes);
}

/// Depthwise rows of 16 pixels per step: for each window row, one load of
/// the 64 plane bytes the 16 windows span, vpermb gathering each pixel's
/// taps in groups of 4 bytes, and vpdpbusd against the group's 4 taps.
/// Windows wider than 8 taps or spanning more than 64 bytes run portably.
class VNNIDepthwiseRows {
public:
  explicit VNNIDepthwiseRows(const DepthwiseWindow &window)
      : win(window), portable(window), quads((window.kw + 3) / 4),
        fits(hasVBMI() && window.kw <= 4 * kMaxQuads &&
             15 * window.sw + (window.kw - 1) * window.dw < 64 && window.kh <= 16) {
    if (!fits)
      return;
    for (int q = 0; q < quads; ++q) {
      alignas(64) uint8_t bytes[64];
      for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 4; ++j) {
          int64_t kx = 4 * q + j; // taps past the window read byte 0, times 0
          bytes[4 * i + j] = kx < win.kw ? static_cast<uint8_t>(i * win.sw + kx * win.dw) : 0;
        }
      index[q] = _mm512_load_si512(bytes);
    }
  }

  /// The channel's s8 taps, kh x kw, as the dot products read them: four
  /// window columns per 32-bit word.
  void setTaps(const int8_t *channelTaps) {
    portable.setTaps(channelTaps);
    if (!fits)
      return;
    for (int q = 0; q < quads; ++q)
      for (int64_t ky = 0; ky < win.kh; ++ky) {
        uint32_t packed = 0;
        for (int j = 0; j < 4; ++j) {
          int64_t kx = 4 * q + j;
          auto tap = kx < win.kw ? static_cast<uint8_t>(channelTaps[ky * win.kw + kx]) : 0;
          packed |= uint32_t(tap) << (8 * j);
        }
        taps[ky][q] = static_cast<int32_t>(packed);
      }
  }

  void operator()(const uint8_t *window, int32_t *acc) const {
    if (!fits)
      return portable(window, acc);
    rowVBMI(window, acc);
  }

private:
  /// Up to four vectors of 16 pixels at once: each vector's sum is a chain
  /// of kh x quads dependent vpdpbusd, which alone would wait on latency.
  void rowVBMI(const uint8_t *window, int32_t *acc) const {
    for (int64_t ox = 0; ox < win.ow; ox += 64)
      switch (std::min<int64_t>(4, (win.ow - ox + 15) / 16)) {
      case 1: vectorsVBMI<1>(window, acc, ox); break;
      case 2: vectorsVBMI<2>(window, acc, ox); break;
      case 3: vectorsVBMI<3>(window, acc, ox); break;
      default: vectorsVBMI<4>(window, acc, ox); break;
      }
  }

  /// Pixels ox to ox + 16 N - 1 of the row (a partial last vector sums past
  /// the row, into acc's slack).
  template <int N>
  __attribute__((target("avx512vbmi"))) void vectorsVBMI(const uint8_t *window, int32_t *acc,
                                                          int64_t ox) const {
    __m512i sum[N];
    for (int n = 0; n < N; ++n)
      sum[n] = _mm512_setzero_si512();
    const uint8_t *row = window + ox * win.sw;
    for (int64_t ky = 0; ky < win.kh; ++ky, row += win.dh * win.pw)
      for (int q = 0; q < quads; ++q) {
        __m512i tap = _mm512_set1_epi32(taps[ky][q]);
        for (int n = 0; n < N; ++n) {
          __m512i bytes = _mm512_loadu_si512(row + 16 * n * win.sw);
          sum[n] = _mm512_dpbusd_epi32(sum[n], _mm512_permutexvar_epi8(index[q], bytes), tap);
        }
      }
    for (int n = 0; n < N; ++n)
      _mm512_storeu_si512(acc + ox + 16 * n, sum[n]); // rows start anywhere in the plane
  }

  static constexpr int kMaxQuads = 2;
  DepthwiseWindow win;
  PortableDepthwiseRows portable;
  int quads;
  bool fits;
  __m512i index[kMaxQuads];
  int32_t taps[16][kMaxQuads];
};

/// dst[i] = src[2 i] ^ flip for i < n, 64 bytes per vpermt2b of the 128
/// source bytes they come from (masked loads at the row's end).
__attribute__((target("avx512vbmi"))) void copyFlippedEvenVBMI(uint8_t *dst, const uint8_t *src,
                                                              int64_t n, uint8_t flip) {
  alignas(64) static constexpr std::array<uint8_t, 64> evens = [] {
    std::array<uint8_t, 64> index{};
    for (int i = 0; i < 64; ++i)
      index[i] = static_cast<uint8_t>(2 * i);
    return index;
  }();
  auto firstBytes = [](int64_t k) {
    return k >= 64 ? ~__mmask64(0) : k <= 0 ? __mmask64(0) : (__mmask64(1) << k) - 1;
  };
  __m512i index = _mm512_load_si512(evens.data());
  __m512i flips = _mm512_set1_epi8(static_cast<char>(flip));
  for (int64_t i = 0; i < n; i += 64) {
    // Reads source bytes 2 i to 2 (i + count - 1), no further.
    int64_t count = std::min<int64_t>(64, n - i), bytes = 2 * count - 1;
    __m512i low = _mm512_maskz_loadu_epi8(firstBytes(bytes), src + 2 * i);
    __m512i high = _mm512_maskz_loadu_epi8(firstBytes(bytes - 64), src + 2 * i + 64);
    __m512i even = _mm512_permutex2var_epi8(low, index, high);
    _mm512_mask_storeu_epi8(dst + i, firstBytes(count), _mm512_xor_si512(even, flips));
  }
}

struct VNNITile {
  using DepthwiseRows = VNNIDepthwiseRows;

  /// PortablePacking's copy, 64 bytes at a time and one masked tail.
  static void copyFlipped(uint8_t *dst, const uint8_t *src, int64_t n, uint8_t flip) {
    __m512i flips = _mm512_set1_epi8(static_cast<char>(flip));
    int64_t i = 0;
    for (; i + 64 <= n; i += 64)
      _mm512_storeu_si512(dst + i, _mm512_xor_si512(_mm512_loadu_si512(src + i), flips));
    if (i < n) {
      __mmask64 tail = (__mmask64(1) << (n - i)) - 1;
      _mm512_mask_storeu_epi8(dst + i, tail,
                              _mm512_xor_si512(_mm512_maskz_loadu_epi8(tail, src + i), flips));
    }
  }
  /// PortablePacking's stride-2 copy, with VBMI where the CPU has it.
  static void copyFlippedEven(uint8_t *dst, const uint8_t *src, int64_t n, uint8_t flip) {
    if (!hasVBMI())
      return PortablePacking::copyFlippedEven(dst, src, n, flip);
    copyFlippedEvenVBMI(dst, src, n, flip);
  }

  static constexpr bool kPacksShiftedTaps = true;

  /// PortablePacking's panel: four rows at a time, each one masked load.
  template <typename Row>
  static void packPanel(Row row, int64_t kp, int width, uint8_t flip, int8_t *dst,
                        int32_t *sums) {
    __mmask64 live = livePixels(width);
    __m512i flipLive = _mm512_maskz_set1_epi8(live, static_cast<char>(flip));
    int64_t t = 0;
    packRows([&] { return _mm512_xor_si512(_mm512_maskz_loadu_epi8(live, row(t++)), flipLive); },
             kp, width, dst, sums);
  }

  /// PortablePacking's panel for a window whose taps are shifts of the
  /// image's phase planes at stride s (Window::shiftStride), straight from
  /// the planes: each tap's 64 pixels are one masked load at the tap's
  /// offset, the pixels whose input row or column falls outside the image
  /// taking `pad`.
  static void packShiftedPanel(const Window &win, int64_t s, const uint8_t *planes, int64_t k,
                               int64_t kp, int64_t x0, int width, uint8_t flip, uint8_t pad,
                               int8_t *dst, int32_t *sums) {
    __mmask64 live = livePixels(width);
    ShiftedTaps taps(win, s, x0, width);
    int64_t planeBytes = win.phasePlaneSize(s);
    __m512i flips = _mm512_set1_epi8(static_cast<char>(flip));
    __m512i pads = _mm512_maskz_set1_epi8(live, static_cast<char>(pad));
    // Taps in order: (channel, window row, window column) counted along,
    // and the offset of the channel's planes at the panel's first pixel.
    int64_t t = 0, ky = 0, kx = 0, offset = x0;
    auto nextTap = [&] {
      if (t++ >= k)
        return _mm512_setzero_si512();
      __mmask64 inside = taps.rowInside[ky] & taps.columnInside[kx] & live;
      // Offsets of masked-off lanes may fall outside the planes: the load
      // reads no byte of them.
      auto from = reinterpret_cast<const void *>(reinterpret_cast<uintptr_t>(planes) +
                                                 uintptr_t(offset + taps.rowOffset[ky] +
                                                           taps.columnOffset[kx]));
      __m512i bytes = _mm512_xor_si512(_mm512_maskz_loadu_epi8(inside, from), flips);
      if (++kx == win.kw) {
        kx = 0;
        if (++ky == win.kh) {
          ky = 0;
          offset += s * s * planeBytes;
        }
      }
      return _mm512_mask_blend_epi8(inside, pads, bytes);
    };
    packRows(nextTap, kp, width, dst, sums);
  }

  static __mmask64 livePixels(int width) {
    return width >= 64 ? ~__mmask64(0) : (__mmask64(1) << width) - 1;
  }

  /// The panel's `kp` rows from nextRow() (64 pixels each, zero past the
  /// panel's `width`), interleaved four at a time, and each pixel's sum of
  /// them into sums[0, width). The sums stay in registers for the whole
  /// panel: stored after each group, every group's sums would wait for the
  /// last group's store.
  template <typename NextRow>
  static void packRows(NextRow nextRow, int64_t kp, int width, int8_t *dst, int32_t *sums) {
    __m512i panelSums[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(),
                            _mm512_setzero_si512(), _mm512_setzero_si512()};
    for (int64_t t4 = 0; t4 < kp; t4 += 4, dst += 4 * kPanel) {
      __m512i r[4];
      for (__m512i &row : r)
        row = nextRow();
      interleave(r, dst, panelSums);
    }
    for (int j = 0; j < 4; ++j) {
      int count = std::clamp(width - 16 * j, 0, 16);
      _mm512_mask_storeu_epi32(sums + 16 * j, static_cast<__mmask16>((1u << count) - 1),
                               panelSums[j]);
    }
  }

  /// PortablePacking's interleave of four rows: their bytes interleaved by
  /// two rounds of unpacking (within 128-bit lanes) and a 4 x 4 transpose of
  /// the lanes; vpdpbusd against ones adds each pixel's four taps to its
  /// sum (pixel 16 j + i in lane i of sums[j]).
  static void interleave(const __m512i (&r)[4], int8_t *dst, __m512i (&sums)[4]) {
    __m512i abLow = _mm512_unpacklo_epi8(r[0], r[1]), abHigh = _mm512_unpackhi_epi8(r[0], r[1]);
    __m512i cdLow = _mm512_unpacklo_epi8(r[2], r[3]), cdHigh = _mm512_unpackhi_epi8(r[2], r[3]);
    // Lane L of q[j] holds pixels 16 L + 4 j .. 16 L + 4 j + 3.
    __m512i q0 = _mm512_unpacklo_epi16(abLow, cdLow), q1 = _mm512_unpackhi_epi16(abLow, cdLow);
    __m512i q2 = _mm512_unpacklo_epi16(abHigh, cdHigh);
    __m512i q3 = _mm512_unpackhi_epi16(abHigh, cdHigh);
    __m512i t0 = _mm512_shuffle_i64x2(q0, q1, 0x44), t1 = _mm512_shuffle_i64x2(q2, q3, 0x44);
    __m512i t2 = _mm512_shuffle_i64x2(q0, q1, 0xEE), t3 = _mm512_shuffle_i64x2(q2, q3, 0xEE);
    __m512i out[4] = {_mm512_shuffle_i64x2(t0, t1, 0x88), _mm512_shuffle_i64x2(t0, t1, 0xDD),
                      _mm512_shuffle_i64x2(t2, t3, 0x88), _mm512_shuffle_i64x2(t2, t3, 0xDD)};
    const __m512i ones = _mm512_set1_epi8(1);
    for (int j = 0; j < 4; ++j) {
      _mm512_storeu_si512(dst + 64 * j, out[j]);
      sums[j] = _mm512_dpbusd_epi32(sums[j], ones, out[j]);
    }
  }

  /// A matmul block, a channel per lane: each group of 16 channels builds
  /// its requantizer once for all the block's rows.
  static void storeColumns(const Requantizer &q, const int32_t (*acc)[kPanel], int rows,
                           const int32_t *bias, int64_t ch0, int columns, void *output,
                           int64_t index, int64_t stride) {
    if (q.rounding == 2)
      return ScalarEpilogue::storeColumns(q, acc, rows, bias, ch0, columns, output, index,
                                          stride);
    for (int c = 0; c < columns; c += 16) {
      __mmask16 live = columns - c >= 16 ? 0xFFFF
                                         : static_cast<__mmask16>((1u << (columns - c)) - 1);
      __m512i b = _mm512_maskz_loadu_epi32(live, bias + c);
      __m512i m = q.perChannel ? _mm512_maskz_loadu_epi32(live, q.multiplier + ch0 + c)
                               : _mm512_set1_epi32(q.multiplier[0]);
      __m512i s = q.perChannel ? _mm512_maskz_loadu_epi32(live, q.shift + ch0 + c)
                               : _mm512_set1_epi32(q.shift[0]);
      Requantize16 requantize(q, m, s);
      for (int r = 0; r < rows; ++r)
        store16(q, requantize, _mm512_add_epi32(_mm512_load_si512(acc[r] + c), b), output,
                index + r * stride + c, columns - c);
    }
  }

  /// One convolution output channel over `width` pixels. Inlined into the
  /// loop over a block's rows: a call per row of 4 vectors cost 1-2 % of
  /// the int8 models' time.
  [[gnu::always_inline]] static void storeRow(const Requantizer &q, const int32_t *acc,
                                              int32_t bias, const int32_t *sums, int64_t ch,
                                              int width, void *output, int64_t index) {
    if (q.rounding == 2)
      return ScalarEpilogue::storeRow(q, acc, bias, sums, ch, width, output, index);
    int64_t c = q.perChannel ? ch : 0;
    Requantize16 requantize(q, q.multiplier[c], q.shift[c]);
    __m512i b = _mm512_set1_epi32(bias);
    auto value = [&](int x, __mmask16 mask) {
      __m512i correction = _mm512_slli_epi32(_mm512_maskz_loadu_epi32(mask, sums + x), 7);
      return _mm512_sub_epi32(_mm512_add_epi32(_mm512_load_si512(acc + x), b), correction);
    };
    // Whole vectors apart from the tail: their stores need no mask.
    int x = 0;
    for (; x + 16 <= width; x += 16)
      store16(q, requantize, value(x, 0xFFFF), output, index + x, 16);
    if (x < width)
      store16(q, requantize, value(x, static_cast<__mmask16>((1u << (width - x)) - 1)), output,
              index + x, width - x);
  }

  static void compute(const uint8_t *a, int64_t kp, const int8_t *b, int rows,
                      int32_t (*out)[kPanel]) {
    switch (rows) {
    case 1: return computeRows<1>(a, kp, b, out);
    case 2: return computeRows<2>(a, kp, b, out);
    case 3: return computeRows<3>(a, kp, b, out);
    case 4: return computeRows<4>(a, kp, b, out);
    case 5: return computeRows<5>(a, kp, b, out);
    default: return computeRows<6>(a, kp, b, out);
    }
  }
};

/// tdpbusd, for AMXBlock.
struct ByteDot {
  template <int C, int A, int B> static void apply() { _tile_dpbusd(C, A, B); }
};
using AMXInstructions = TileInstructions<ByteDot>;

/// Whether tiles beat vpdpbusd on this layer: a 16-row tile block costs
/// about as much as 3 rows of the VNNI tile, and depthwise convolutions
/// have no reduction to tile.
bool prefersAMX(const QLayer &layer) {
  if (!hasAMX() || isDepthwise(layer))
    return false;
  int64_t tileRows = layer.isConv() ? layer.n() / layer.groups() : layer.rows();
  return tileRows >= kAMXMinRows && layer.paddedK() >= kAMXMinK;
}
} // namespace

void quantc::kernels::qlayerAMX(const void *input, const int8_t *packed, const int32_t *bias,
                                const int32_t *multiplier, const int32_t *shift,
                                const int64_t *params, void *output) {
  runQLayerAMX<AMXInstructions, VNNITile>(input, packed, bias, multiplier, shift, params,
                                          output);
}

extern "C" void quantc_qlayer_avx512vnni(const void *input, const int8_t *packed,
                                         const int32_t *bias,
                                         const int32_t *multiplier,
                                         const int32_t *shift,
                                         const int64_t *params, void *output) {
  if (prefersAMX(QLayer{params}))
    return qlayerAMX(input, packed, bias, multiplier, shift, params, output);
  runQLayer<VNNITile>(input, packed, bias, multiplier, shift, params, output);
}
