/*===- Microkernels.h - integer layer kernels of quantc artifacts --*- C -*-===*\
|*                                                                            *|
|* The functions generated code calls for 8-bit integer layers (matmul and   *|
|* convolution) whose weights the compiler packed. One entry point per       *|
|* instruction set; all read the same packed layout and give bit-identical   *|
|* results, equal to the reference evaluator's.                             *|
\*===----------------------------------------------------------------------===*/
#ifndef QUANTC_RUNTIME_MICROKERNELS_H
#define QUANTC_RUNTIME_MICROKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Packed weights. Matmul: the K x N weight matrix in panels of
   QC_PANEL_COLUMNS columns: panel p holds, for each group of 4 rows k, the
   4 bytes W[k..k+3][n] of each of its columns n in turn; K is padded to a
   multiple of 4 and N to a multiple of QC_PANEL_COLUMNS with zeros.
   Convolution (K = input channels x window): one row of K bytes w + 128
   (as u8) per output channel, K padded to a multiple of 4, followed by
   QC_CONV_WEIGHT_SLACK_ROWS rows and 64 bytes of any value (AMX kernels
   read whole tiles past the last channel and discard them). The kernel
   unfolds the image into panels of QC_PANEL_COLUMNS pixels in the matmul
   weight layout, so both run the same u8 x s8 inner product. */
#define QC_PANEL_COLUMNS 64
#define QC_CONV_WEIGHT_SLACK_ROWS 15
#define QC_CONV_WEIGHT_SLACK_BYTES 64

/* Layout of the `params` array. */
enum qc_qlayer_param {
  QC_QLAYER_KIND,             /* 0: matmul, 1: 2-d convolution (NCHW) */
  QC_QLAYER_M,                /* matmul rows; convolution batch */
  QC_QLAYER_N,                /* output channels */
  QC_QLAYER_K,                /* reduction length (unpadded) */
  QC_QLAYER_INPUT_UNSIGNED,   /* 1: u8 activations, 0: s8 */
  QC_QLAYER_OUTPUT,           /* 0: i32 accumulators, 1: requantized s8,
                                 2: requantized u8 */
  QC_QLAYER_OUTPUT_ZERO_POINT,
  QC_QLAYER_CLAMP_MIN,
  QC_QLAYER_CLAMP_MAX,
  QC_QLAYER_ROUNDING,         /* 0 half_to_even, 1 half_away_from_zero,
                                 2 double_round, 3 half_up */
  QC_QLAYER_PER_CHANNEL,      /* 1: one multiplier and shift per channel */
  QC_QLAYER_C, QC_QLAYER_H, QC_QLAYER_W, QC_QLAYER_KH, QC_QLAYER_KW,
  QC_QLAYER_STRIDE_H, QC_QLAYER_STRIDE_W, QC_QLAYER_DILATION_H,
  QC_QLAYER_DILATION_W, QC_QLAYER_PAD_TOP, QC_QLAYER_PAD_LEFT,
  QC_QLAYER_OH, QC_QLAYER_OW,
  QC_QLAYER_PAD_VALUE,        /* stored value of padding (the zero point) */
  QC_QLAYER_GROUP,            /* convolution groups (C and N divide by it;
                                 K is per group) */
  QC_QLAYER_LOOKUP,           /* 1: `bias` holds N words, then a table of 256
                                 bytes (64 words): each requantized output
                                 byte b is stored as table[b] (an 8-bit
                                 lookup fused into the layer) */
  QC_QLAYER_NUM_PARAMS
};

/* out = requantize(bias + sum_k in * w) with zero-point and u8/s8 shift
   corrections folded into `bias` by the compiler (see Microkernels.cpp). */
void quantc_qlayer_avx512vnni(const void *input, const int8_t *packed,
                              const int32_t *bias, const int32_t *multiplier,
                              const int32_t *shift, const int64_t *params,
                              void *output);
void quantc_qlayer_avx2(const void *input, const int8_t *packed,
                        const int32_t *bias, const int32_t *multiplier,
                        const int32_t *shift, const int64_t *params,
                        void *output);
void quantc_qlayer_generic(const void *input, const int8_t *packed,
                           const int32_t *bias, const int32_t *multiplier,
                           const int32_t *shift, const int64_t *params,
                           void *output);

/* Float convolution (NCHW, f32): out = sum_k w * x + bias, each sum taken
   in order of k (input channel, window row, window column) from 0 with a
   rounding after every multiply and add, exactly as the reference
   evaluator. Weights are the layer's own [N][C/group][KH][KW]. */
enum qc_fconv_param {
  QC_FCONV_BATCH, QC_FCONV_C, QC_FCONV_H, QC_FCONV_W, QC_FCONV_N,
  QC_FCONV_KH, QC_FCONV_KW, QC_FCONV_STRIDE_H, QC_FCONV_STRIDE_W,
  QC_FCONV_DILATION_H, QC_FCONV_DILATION_W, QC_FCONV_PAD_TOP,
  QC_FCONV_PAD_LEFT, QC_FCONV_OH, QC_FCONV_OW, QC_FCONV_GROUP,
  QC_FCONV_HAS_BIAS,
  QC_FCONV_NUM_PARAMS
};

void quantc_fconv_avx512vnni(const float *input, const float *weights,
                             const float *bias, const int64_t *params,
                             float *output);
void quantc_fconv_avx2(const float *input, const float *weights,
                       const float *bias, const int64_t *params, float *output);
void quantc_fconv_generic(const float *input, const float *weights,
                          const float *bias, const int64_t *params,
                          float *output);
/* The fast float mode's convolutions take an epilogue after the
   qc_fconv_param array, applied to each result y while it is in cache:
     post_scale * activation(pre_scale * y + pre_shift) + post_shift,
   each scale and shift an f32 stored as its bits (identity: 1 and 0), each
   step rounded to f32 as separate operations round. The activations:
   x * sigmoid(x) for SiLU (with a polynomial exp on AVX-512), x *
   clamp(x * (1/6) + 1/2, 0, 1) for hard-swish, max(x, 0) for ReLU. */
enum qc_conv_epilogue_param {
  QC_CONV_EPILOGUE_ACTIVATION = QC_FCONV_NUM_PARAMS,
  QC_CONV_EPILOGUE_PRE_SCALE,
  QC_CONV_EPILOGUE_PRE_SHIFT,
  QC_CONV_EPILOGUE_POST_SCALE,
  QC_CONV_EPILOGUE_POST_SHIFT,
  QC_CONV_EPILOGUE_NUM_PARAMS
};
enum qc_activation {
  QC_ACTIVATION_NONE,
  QC_ACTIVATION_SILU,
  QC_ACTIVATION_HARD_SWISH,
  QC_ACTIVATION_RELU
};

/* The fast float mode's variants: the same sums, products and additions
   contracted into FMA where the CPU has it (not the evaluator's roundings),
   then the epilogue. */
void quantc_fconv_fast_avx512vnni(const float *input, const float *weights,
                                  const float *bias, const int64_t *params,
                                  float *output);
void quantc_fconv_fast_avx2(const float *input, const float *weights,
                            const float *bias, const int64_t *params, float *output);
void quantc_fconv_fast_generic(const float *input, const float *weights,
                               const float *bias, const int64_t *params,
                               float *output);
/* The same convolution of bf16 images and weights (raw bits), with an f32
   bias and f32 results summed exactly as the float kernel sums the widened
   operands (but for subnormals, which AVX-512 BF16 flushes to zero). One
   entry point for every target: it uses AVX-512 BF16 where the CPU has it. */
void quantc_bconv(const uint16_t *input, const uint16_t *weights, const float *bias,
                  const int64_t *params, float *output);

/* The fast float mode's convolution of f32 images rounded to bf16 (to
   nearest even, as qc.cast rounds) and bf16 weights in the tile layout:
   products of bf16, summed in f32 in the kernel's order (not the
   evaluator's), plus the f32 bias. Weights are packed by the compiler
   (quantc/Runtime/BF16Tiles.h: packBF16ConvWeights). It runs on AMX tiles
   (tdpbf16ps) where the CPU has AMX-BF16, else on AVX-512 BF16 (vdpbf16ps);
   for targets with either. */
void quantc_bconv_tiles(const float *input, const uint16_t *weights, const float *bias,
                      const int64_t *params, float *output);
/* Its params: the qc_fconv_param array, then the epilogue
   (qc_conv_epilogue_param). */

/* Float matrix product: out[b] = A[b] (M x K) times B[b] (K x N, or N x K
   when transposed), each output summed in order of k from zero with a
   rounding after every multiply and add, exactly as the reference
   evaluator; B is one matrix for all batches unless QC_FMATMUL_B_BATCHED. */
enum qc_fmatmul_param {
  QC_FMATMUL_BATCH, QC_FMATMUL_M, QC_FMATMUL_K, QC_FMATMUL_N,
  QC_FMATMUL_B_BATCHED, QC_FMATMUL_TRANS_B,
  QC_FMATMUL_NUM_PARAMS
};

void quantc_fmatmul_avx512vnni(const float *a, const float *b,
                               const int64_t *params, float *output);
void quantc_fmatmul_avx2(const float *a, const float *b, const int64_t *params,
                         float *output);
void quantc_fmatmul_generic(const float *a, const float *b,
                            const int64_t *params, float *output);
/* The fast float mode's variants: the same product with each multiply and
   add contracted into one FMA where the CPU has it. */
void quantc_fmatmul_fast_avx512vnni(const float *a, const float *b,
                                    const int64_t *params, float *output);
void quantc_fmatmul_fast_avx2(const float *a, const float *b, const int64_t *params,
                              float *output);
void quantc_fmatmul_fast_generic(const float *a, const float *b,
                                 const int64_t *params, float *output);

/* The same product of bf16 operands (raw bits), with f32 results summed
   exactly as the float kernel sums the widened operands (but for subnormal
   operands and sums, which AVX-512 BF16 flushes to zero). One entry point
   for every target: it uses AVX-512 BF16 where the CPU has it. */
void quantc_bmatmul(const uint16_t *a, const uint16_t *b, const int64_t *params,
                    float *output);

/* The fast float mode's product of f32 activations [batch x M][K] rounded
   to bf16 and constant bf16 weights [K][N] packed by the compiler
   (packBF16TilePairs), f32 sums in the kernel's order; on AMX tiles or
   AVX-512 BF16 as quantc_bconv_tiles (B is never batched nor transposed). */
void quantc_bmatmul_tiles(const float *a, const uint32_t *weights, const int64_t *params,
                        float *output);

/* Weight-only matmul: float activations [M][K] times an 8- or 4-bit
   weight [K][N] with a scale (and zero point) per column and per group of
   QC_WMATMUL_GROUP rows of K, plus an optional float bias [N]:
     out[m][n] = bias[n] + sum_g (scale[g][n] * sum_{k in g} x[m][k] * q[k][n]
                                  - zero_scale[g][n] * sum_{k in g} x[m][k])
   with zero_scale = scale * zero_point. Weights are unsigned: signed ones are
   stored plus 2^(bits-1), which the zero points include.

   Everything the kernel reads per weight is one stream, `packed`, in panels
   of QC_WMATMUL_PANEL columns (N padded with zeros to whole panels). A panel
   holds, for each group in turn:
   - ceil(group / s) blocks of s = 32 / bits rows: 32 little-endian 32-bit
     words, word j holding column j's s values, row i of the block in bits
     [bits * i, bits * (i + 1)); rows past the group's end are zero;
   - the group's 32 float scales;
   - with QC_WMATMUL_ZERO_POINTS, its 32 zero points (plus the offset), one
     byte each; otherwise every zero point is QC_WMATMUL_ZERO_POINT. The
     kernel multiplies each by its scale (in f32) and subtracts that times
     the group's sum of x.
   So each weight is unpacked by one rotate and one mask in a register, with
   no shuffles, and never written back to memory.

   With QC_WMATMUL_INT8_BLOCK = B > 0 (qc.matmul's dynamic_int8_block), x
   is first rounded to int8, one scale per B values of a row (B divides the
   group and is a multiple of s): a = max |x|, q = round_half_even(x *
   (127 / a)), scale a / 127. The integer sums over each block (VNNI
   vpdpbusd: a word's bytes, or its low and high nibbles, against four
   values of q) are exact; they are scaled per block and then per group. */
#define QC_WMATMUL_PANEL 32

enum qc_wmatmul_param {
  QC_WMATMUL_M, QC_WMATMUL_K, QC_WMATMUL_N,
  QC_WMATMUL_BITS,            /* 4 or 8 */
  QC_WMATMUL_GROUP,           /* rows of K per scale; divides K */
  QC_WMATMUL_HAS_BIAS,
  QC_WMATMUL_ZERO_POINTS,     /* 1: a zero point per scale in the stream */
  QC_WMATMUL_ZERO_POINT,      /* every zero point, without them */
  QC_WMATMUL_INT8_BLOCK,      /* 0: float x; B: x rounded to int8 per B values */
  QC_WMATMUL_NUM_PARAMS
};

void quantc_wmatmul_avx512vnni(const float *input, const uint8_t *packed,
                               const float *bias, const int64_t *params,
                               float *output);
void quantc_wmatmul_avx2(const float *input, const uint8_t *packed,
                         const float *bias, const int64_t *params,
                         float *output);
void quantc_wmatmul_generic(const float *input, const uint8_t *packed,
                            const float *bias, const int64_t *params,
                            float *output);

/* Generated loops split over the calling run's threads: fn(context, first,
   last) on contiguous ranges covering [0, extent), each boundary a multiple
   of `align` (so that vectors and cache lines stay whole), one range per
   thread; on one thread, fn(context, 0, extent). Called by the loops that
   qc-parallelize-loops outlines; safe from many threads (each run uses its
   own thread budget). */
void quantc_parallel_range(void (*fn)(void *context, int64_t first, int64_t last),
                           void *context, int64_t extent, int64_t align);

/* 8-bit table lookup: out[i] = table[in[i] ^ QC_LOOKUP_FLIP] over 256
   entries (flip 0x80 indexes signed storage from -128). One entry point for
   every target: it uses AVX-512 VBMI byte permutes where the CPU has them. */
enum qc_lookup_param { QC_LOOKUP_COUNT, QC_LOOKUP_FLIP, QC_LOOKUP_NUM_PARAMS };

void quantc_lookup(const uint8_t *input, const uint8_t *table,
                   const int64_t *params, uint8_t *output);

/* The positions of the k largest (or smallest) values of every slice of
   an f32 tensor seen as [outer, size, inner] along the axis (qc.top_k),
   written as [outer, k, inner] i64: in order, equal values by position,
   NaN above every number. */
enum qc_top_k_param {
  QC_TOP_K_OUTER, QC_TOP_K_SIZE, QC_TOP_K_INNER, QC_TOP_K_K, QC_TOP_K_LARGEST,
  QC_TOP_K_NUM_PARAMS
};
void quantc_top_k(const float *input, const int64_t *params, int64_t *indices);

/* qc.grid_sample: input [N, C, (D,) H, W] sampled at grid
   [N, (Do,) Ho, Wo, SPATIAL] into [N, C, (Do,) Ho, Wo]
   (quantc/Runtime/GridSample.h); D and DO are 1 in 2-d. */
enum qc_grid_sample_param {
  QC_GRID_SAMPLE_N, QC_GRID_SAMPLE_C, QC_GRID_SAMPLE_H, QC_GRID_SAMPLE_W,
  QC_GRID_SAMPLE_HO, QC_GRID_SAMPLE_WO, QC_GRID_SAMPLE_MODE, QC_GRID_SAMPLE_PADDING,
  QC_GRID_SAMPLE_ALIGN_CORNERS, QC_GRID_SAMPLE_SPATIAL, QC_GRID_SAMPLE_D, QC_GRID_SAMPLE_DO,
  QC_GRID_SAMPLE_NUM_PARAMS
};
void quantc_grid_sample(const float *input, const float *grid, const int64_t *params,
                        float *output);

/* qc.roi_align, qc.max_roi_pool and qc.det (quantc/Runtime/Regions.h);
   the spatial scale travels as its f32 bits. */
enum qc_region_param {
  QC_REGION_N, QC_REGION_C, QC_REGION_H, QC_REGION_W, QC_REGION_COUNT,
  QC_REGION_OUT_H, QC_REGION_OUT_W, QC_REGION_SCALE_BITS, QC_REGION_SAMPLING,
  QC_REGION_MAX_MODE, QC_REGION_HALF_PIXEL, QC_REGION_NUM_PARAMS
};
void quantc_roi_align(const float *input, const float *rois, const int64_t *batch_indices,
                      const int64_t *params, float *output);
void quantc_max_roi_pool(const float *input, const float *rois, const int64_t *params,
                         float *output);
enum qc_det_param { QC_DET_BATCH, QC_DET_SIZE, QC_DET_NUM_PARAMS };
/* qc.non_max_suppression (quantc/Runtime/Regions.h); the thresholds travel
   as f32 bits. */
enum qc_nms_param {
  QC_NMS_BATCHES, QC_NMS_CLASSES, QC_NMS_BOXES, QC_NMS_MAX_PER_CLASS, QC_NMS_IOU_BITS,
  QC_NMS_HAS_SCORE_THRESHOLD, QC_NMS_SCORE_BITS, QC_NMS_CENTER_POINT, QC_NMS_ROWS,
  QC_NMS_NUM_PARAMS
};
void quantc_non_max_suppression(const float *boxes, const float *scores,
                                const int64_t *params, int64_t *selected);
/* qc.non_zero (quantc/Runtime/Regions.h): params are the input's rank,
   then its dims. */
void quantc_non_zero(const float *input, const int64_t *params, int64_t *coordinates);
/* qc.deform_unfold (quantc/Runtime/Regions.h). */
enum qc_deform_param {
  QC_DEFORM_N, QC_DEFORM_C, QC_DEFORM_H, QC_DEFORM_W, QC_DEFORM_KH, QC_DEFORM_KW,
  QC_DEFORM_STRIDE_H, QC_DEFORM_STRIDE_W, QC_DEFORM_PAD_H, QC_DEFORM_PAD_W,
  QC_DEFORM_DILATION_H, QC_DEFORM_DILATION_W, QC_DEFORM_GROUPS, QC_DEFORM_OUT_H,
  QC_DEFORM_OUT_W, QC_DEFORM_NUM_PARAMS
};
void quantc_deform_unfold(const float *input, const float *offset, const float *mask,
                          const int64_t *params, float *output);
void quantc_det(const float *input, const int64_t *params, float *output);

/* Attention in f32 (qc.attention, qc.cached_attention): q [B, Hq, T, D],
   k and v [B, Hkv, S, D] with Hq a multiple of Hkv (query head h reads KV
   head h / (Hq / Hkv)); out [B, Hq, T, D]. `mask` (u8, 0 or 1) has dims
   QC_ATTENTION_MASK_B..S, each 1 (broadcast) or the full size. */
enum qc_attention_param {
  QC_ATTENTION_BATCH, QC_ATTENTION_HEADS, QC_ATTENTION_KV_HEADS,
  QC_ATTENTION_ROWS, QC_ATTENTION_KEYS, QC_ATTENTION_DIM,
  QC_ATTENTION_SCALE_BITS, /* the f32 scale's bits */
  QC_ATTENTION_MASK_B, QC_ATTENTION_MASK_H, QC_ATTENTION_MASK_T,
  QC_ATTENTION_MASK_S,
  QC_ATTENTION_LAYER,      /* cached attention: the layer's cache */
  QC_ATTENTION_CACHE,      /* cached attention: a qc_kv_cache_format */
  QC_ATTENTION_KEY_SCALED, /* cached attention: 1 when keys have channel factors */
  QC_ATTENTION_NUM_PARAMS
};
/* How the generator's KV cache stores a key or value row of D values (one
   position, one KV head): f32, f16 or bf16 values; i8 levels with one f32
   scale per row (symmetric, |x| max / 127); i4 levels in [-7, 7] with one
   f32 scale per 32 values (or per row when D is not a multiple of 32).
   Attention reads the rows back as level * scale. With channel factors c
   (`key_scale`, [Hkv][D], for i8 and i4), keys are stored as the levels of
   x[i] / c[i] and read back as level * scale * c[i]. */
enum qc_kv_cache_format { QC_KV_F32, QC_KV_F16, QC_KV_BF16, QC_KV_I8, QC_KV_I4 };
void quantc_attention(const float *q, const float *k, const float *v,
                      const uint8_t *mask, const int64_t *params, float *out);

/* Generator state: the KV caches of every layer of one sequence, growing
   with its length (capacity doubles, so appending is amortized O(1) and
   memory follows the context in use). A state is bound to the calling
   thread for the duration of a step; quantc_cached_attention appends the
   step's T keys and values ([1, Hkv, T, D]) after the state's length L and
   attends causally over positions 0 .. L + t. The runtime then advances
   the length by T. A state is used by one thread at a time. */
void *quantc_kv_state_create(int64_t max_context);
void quantc_kv_state_free(void *state);
void quantc_kv_state_bind(void *state); /* NULL unbinds */
int64_t quantc_kv_state_length(const void *state);
void quantc_kv_state_set_length(void *state, int64_t length); /* <= length */
void quantc_kv_state_advance(void *state, int64_t tokens);
/* Bytes of cache memory held (all layers, keys and values). */
int64_t quantc_kv_state_bytes(const void *state);
/* Non-zero when a step ran without a bound state or past max_context. */
int quantc_kv_state_failed(const void *state);
/* One cached row (D values) of `layer` as attention reads it back: the key
   (values = 0) or value (values = 1) of `kv_head` at `position` < length.
   Returns 0, writing nothing, when there is no such row. */
int quantc_kv_state_read(const void *state, int64_t layer, int64_t position,
                         int64_t kv_head, int values, float *row);
/* `key_scale` ([Hkv][D]) is read when QC_ATTENTION_KEY_SCALED is 1. */
void quantc_cached_attention(const float *q, const float *k, const float *v,
                             const float *key_scale, const int64_t *params, float *out);

#ifdef __cplusplus
}
#endif

#endif /* QUANTC_RUNTIME_MICROKERNELS_H */
