//===- AttentionKernels.cpp - fused scaled dot-product attention -*- C++ -*-===//
//
// qc.attention: per query row, the scores against every key, the masked
// softmax and the weighted sum of values, in the order of the unfused
// matmul / softmax / matmul chain it replaces.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"
#include "quantc/Dialect/QC/QCOps.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace quantc;
using namespace quantc::reference;

namespace {
FailureOr<Tensor> attentionKernel(qc::AttentionOp op, OperandTensors args) {
  const Tensor &q = *args[0], &k = *args[1], &v = *args[2];
  const Tensor *mask = op.getMask() ? args[3] : nullptr;
  Tensor out = makeResult(op);
  ArrayRef<int64_t> qs = q.getShape(), ks = k.getShape();
  int64_t batch = qs[0], heads = qs[1], rows = qs[2], dim = qs[3];
  int64_t kvHeads = ks[1], keys = ks[2], group = heads / kvHeads;
  SmallVector<int64_t> scoreShape = {batch, heads, rows, keys};
  SmallVector<int64_t> maskStrides =
      mask ? broadcastStrides(mask->getShape(), scoreShape) : SmallVector<int64_t>(4, 0);
  float scale = op.getScale().convertToFloat();
  constexpr float kMasked = std::numeric_limits<float>::lowest();
  ArrayRef<float> qd = q.floats(), kd = k.floats(), vd = v.floats();
  MutableArrayRef<float> od = out.floats();
  std::vector<float> scores(keys);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      int64_t kvBase = (b * kvHeads + h / group) * keys * dim;
      for (int64_t t = 0; t < rows; ++t) {
        const float *qRow = &qd[((b * heads + h) * rows + t) * dim];
        float max = kMasked;
        for (int64_t s = 0; s < keys; ++s) {
          float dot = 0;
          for (int64_t d = 0; d < dim; ++d)
            dot += qRow[d] * kd[kvBase + s * dim + d];
          float score = dot * scale;
          if (mask && !mask->ints()[b * maskStrides[0] + h * maskStrides[1] +
                                    t * maskStrides[2] + s * maskStrides[3]])
            score = kMasked;
          scores[s] = score;
          max = std::max(max, score);
        }
        float sum = 0;
        for (float &score : scores) {
          score = std::exp(score - max);
          sum += score;
        }
        float *oRow = &od[((b * heads + h) * rows + t) * dim];
        for (int64_t d = 0; d < dim; ++d) {
          float acc = 0;
          for (int64_t s = 0; s < keys; ++s)
            acc += scores[s] / sum * vd[kvBase + s * dim + d];
          oRow[d] = acc;
        }
      }
    }
  return out;
}
} // namespace

void reference::registerAttentionKernels(KernelRegistry &r) {
  r.add<qc::AttentionOp>(attentionKernel);
}
