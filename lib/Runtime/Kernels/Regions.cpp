//===- Regions.cpp - region pooling, det, sampling, static NMS/NonZero -*- C++ -*-===//
#include "quantc/Runtime/Regions.h"
#include "quantc/Runtime/Microkernels.h"

#include <cstring>

using namespace quantc::regions;

namespace {
Image image(const float *input, const int64_t *params) {
  return {input, params[QC_REGION_N], params[QC_REGION_C], params[QC_REGION_H],
          params[QC_REGION_W]};
}
float fromBits(int64_t param) {
  auto bits = static_cast<uint32_t>(param);
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}
float scale(const int64_t *params) { return fromBits(params[QC_REGION_SCALE_BITS]); }
} // namespace

extern "C" void quantc_roi_align(const float *input, const float *rois,
                                 const int64_t *batch_indices, const int64_t *params,
                                 float *output) {
  roiAlign(image(input, params), rois, batch_indices, params[QC_REGION_COUNT],
           params[QC_REGION_OUT_H], params[QC_REGION_OUT_W], params[QC_REGION_SAMPLING],
           scale(params), params[QC_REGION_MAX_MODE] != 0, params[QC_REGION_HALF_PIXEL] != 0,
           output);
}

extern "C" void quantc_max_roi_pool(const float *input, const float *rois,
                                    const int64_t *params, float *output) {
  maxRoiPool(image(input, params), rois, params[QC_REGION_COUNT], params[QC_REGION_OUT_H],
             params[QC_REGION_OUT_W], scale(params), output);
}

extern "C" void quantc_det(const float *input, const int64_t *params, float *output) {
  determinants(input, params[QC_DET_BATCH], params[QC_DET_SIZE], output);
}

extern "C" void quantc_deform_unfold(const float *input, const float *offset, const float *mask,
                                     const int64_t *params, float *output) {
  Image x{input, params[QC_DEFORM_N], params[QC_DEFORM_C], params[QC_DEFORM_H],
          params[QC_DEFORM_W]};
  DeformWindow k{params[QC_DEFORM_KH],         params[QC_DEFORM_KW],
                 params[QC_DEFORM_STRIDE_H],   params[QC_DEFORM_STRIDE_W],
                 params[QC_DEFORM_PAD_H],      params[QC_DEFORM_PAD_W],
                 params[QC_DEFORM_DILATION_H], params[QC_DEFORM_DILATION_W],
                 params[QC_DEFORM_GROUPS],     params[QC_DEFORM_OUT_H],
                 params[QC_DEFORM_OUT_W]};
  deformUnfold(x, offset, mask, k, output);
}

extern "C" void quantc_non_zero(const float *input, const int64_t *params,
                                int64_t *coordinates) {
  nonZero(input, params + 1, params[0], coordinates);
}

extern "C" void quantc_non_max_suppression(const float *boxes, const float *scores,
                                           const int64_t *params, int64_t *selected) {
  float scoreThreshold = fromBits(params[QC_NMS_SCORE_BITS]);
  nonMaxSuppression(boxes, scores, params[QC_NMS_BATCHES], params[QC_NMS_CLASSES],
                    params[QC_NMS_BOXES], params[QC_NMS_MAX_PER_CLASS],
                    fromBits(params[QC_NMS_IOU_BITS]),
                    params[QC_NMS_HAS_SCORE_THRESHOLD] ? &scoreThreshold : nullptr,
                    params[QC_NMS_CENTER_POINT] != 0, params[QC_NMS_ROWS], selected);
}
