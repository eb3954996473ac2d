//===- RunArtifact.cpp - quant-run on a compiled model ----------*- C++ -*-===//
//
// Runs a model library through libquantc_runtime on .npz inputs (arrays may
// stack several batches along their leading dimension) and optionally
// benchmarks it: warm-up runs, then repetitions reported as median and
// spread.
//
//===----------------------------------------------------------------------===//
#include "InputBinding.h"
#include "RunArtifact.h"
#include "quantc/Reference/Npz.h"
#include "quantc/Runtime/QuantCRuntime.h"

#include "mlir/IR/Builders.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstring>

using namespace mlir;
using namespace quantc;
using reference::Tensor;

namespace {
struct ModelDeleter {
  void operator()(qc_model *m) const { qc_model_free(m); }
};
using ModelPtr = std::unique_ptr<qc_model, ModelDeleter>;

Type elementType(MLIRContext *ctx, qc_element_type code) {
  Builder b(ctx);
  switch (code) {
  case QC_ELEMENT_F32: return b.getF32Type();
  case QC_ELEMENT_F16: return b.getF16Type();
  case QC_ELEMENT_BF16: return b.getBF16Type();
  case QC_ELEMENT_F64: return b.getF64Type();
  case QC_ELEMENT_I8: return b.getIntegerType(8);
  case QC_ELEMENT_U8: return b.getIntegerType(8, false);
  case QC_ELEMENT_I16: return b.getIntegerType(16);
  case QC_ELEMENT_U16: return b.getIntegerType(16, false);
  case QC_ELEMENT_I32: return b.getI32Type();
  case QC_ELEMENT_I64: return b.getI64Type();
  case QC_ELEMENT_BOOL: return b.getI1Type();
  }
  return {};
}

template <typename T>
void store(const Tensor &t, char *out) {
  T *dst = reinterpret_cast<T *>(out);
  for (int64_t i = 0; i < t.getNumElements(); ++i)
    dst[i] = t.isFloat() ? static_cast<T>(t.floats()[i]) : static_cast<T>(t.ints()[i]);
}

/// Writes `t` (bound to an input of this type) as `code` values.
bool pack(const Tensor &t, qc_element_type code, char *out) {
  switch (code) {
  case QC_ELEMENT_F32: store<float>(t, out); return true;
  case QC_ELEMENT_F64: store<double>(t, out); return true;
  case QC_ELEMENT_I8: store<int8_t>(t, out); return true;
  case QC_ELEMENT_U8:
  case QC_ELEMENT_BOOL: store<uint8_t>(t, out); return true;
  case QC_ELEMENT_I16: store<int16_t>(t, out); return true;
  case QC_ELEMENT_U16: store<uint16_t>(t, out); return true;
  case QC_ELEMENT_I32: store<int32_t>(t, out); return true;
  case QC_ELEMENT_I64: store<int64_t>(t, out); return true;
  default: return false;
  }
}

template <typename T>
void loadInto(Tensor &t, int64_t first, int64_t count, const char *in) {
  const T *src = reinterpret_cast<const T *>(in);
  for (int64_t i = 0; i < count; ++i) {
    if (t.isFloat())
      t.floats()[first + i] = static_cast<float>(src[i]);
    else
      t.ints()[first + i] = static_cast<int64_t>(src[i]);
  }
}

void unpack(Tensor &t, qc_element_type code, int64_t first, int64_t count,
            const char *in) {
  switch (code) {
  case QC_ELEMENT_F32: loadInto<float>(t, first, count, in); break;
  case QC_ELEMENT_F64: loadInto<double>(t, first, count, in); break;
  case QC_ELEMENT_I8: loadInto<int8_t>(t, first, count, in); break;
  case QC_ELEMENT_U8:
  case QC_ELEMENT_BOOL: loadInto<uint8_t>(t, first, count, in); break;
  case QC_ELEMENT_I16: loadInto<int16_t>(t, first, count, in); break;
  case QC_ELEMENT_U16: loadInto<uint16_t>(t, first, count, in); break;
  case QC_ELEMENT_I32: loadInto<int32_t>(t, first, count, in); break;
  case QC_ELEMENT_I64: loadInto<int64_t>(t, first, count, in); break;
  default: break;
  }
}

int64_t elements(const qc_tensor_info &info) {
  int64_t n = 1;
  for (int32_t d = 0; d < info.rank; ++d)
    n *= info.dims[d];
  return n;
}

int error(const Twine &message) {
  llvm::errs() << "error: " << message << "\n";
  return 1;
}
} // namespace

int quantc::runArtifact(MLIRContext &ctx, const ArtifactRunOptions &options) {
  ModelPtr model(qc_model_load(options.modelPath.c_str()));
  if (!model)
    return error(qc_last_error());
  if (qc_model_set_num_threads(model.get(), options.threads))
    return error(qc_last_error());
  size_t numInputs = qc_model_num_inputs(model.get());
  size_t numOutputs = qc_model_num_outputs(model.get());
  SmallVector<qc_tensor_info> inInfo(numInputs), outInfo(numOutputs);
  for (size_t i = 0; i < numInputs; ++i)
    qc_model_input_info(model.get(), i, &inInfo[i]);
  for (size_t i = 0; i < numOutputs; ++i)
    qc_model_output_info(model.get(), i, &outInfo[i]);

  auto arrays = reference::readNpz(&ctx, options.inputsPath, /*keepFloatTypes=*/true);
  if (!arrays)
    return error(llvm::toString(arrays.takeError()));
  SmallVector<InputSpec> specs;
  for (const qc_tensor_info &info : inInfo) {
    Type element = elementType(&ctx, info.element_type);
    if (!element)
      return error("input '" + Twine(info.name) + "' has an unsupported element type");
    specs.push_back({info.name, RankedTensorType::get(
                                    ArrayRef<int64_t>(info.dims, info.rank), element)});
  }
  auto inputs = bindInputs(specs, *arrays, options.inputsPath, options.castInputs);
  if (failed(inputs))
    return 1;
  int64_t batches = inputs->size();

  // Buffers for one batch; outputs gathered over all batches.
  std::vector<std::vector<char>> inBuffers, outBuffers;
  for (const qc_tensor_info &info : inInfo)
    inBuffers.emplace_back(info.size_bytes);
  for (const qc_tensor_info &info : outInfo)
    outBuffers.emplace_back(info.size_bytes);
  SmallVector<const void *> inPtrs;
  SmallVector<void *> outPtrs;
  for (auto &b : inBuffers)
    inPtrs.push_back(b.data());
  for (auto &b : outBuffers)
    outPtrs.push_back(b.data());
  SmallVector<Tensor> results;
  for (const qc_tensor_info &info : outInfo) {
    SmallVector<int64_t> shape(info.dims, info.dims + info.rank);
    if (!shape.empty())
      shape[0] *= batches;
    results.emplace_back(elementType(&ctx, info.element_type), shape);
  }

  for (int64_t b = 0; b < batches; ++b) {
    for (size_t i = 0; i < numInputs; ++i)
      if (!pack((*inputs)[b][i], inInfo[i].element_type, inBuffers[i].data()))
        return error("unsupported input element type");
    if (qc_model_run(model.get(), inPtrs.data(), outPtrs.data()))
      return error(qc_last_error());
    for (size_t i = 0; i < numOutputs; ++i) {
      int64_t n = elements(outInfo[i]);
      unpack(results[i], outInfo[i].element_type, b * n, n, outBuffers[i].data());
    }
  }

  if (options.benchmarkRuns > 0) {
    // The last batch's inputs stay bound: time repeated runs on them.
    for (int i = 0; i < options.warmupRuns; ++i)
      qc_model_run(model.get(), inPtrs.data(), outPtrs.data());
    std::vector<double> times;
    for (int i = 0; i < options.benchmarkRuns; ++i) {
      auto start = std::chrono::steady_clock::now();
      qc_model_run(model.get(), inPtrs.data(), outPtrs.data());
      times.push_back(std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start)
                          .count());
    }
    std::sort(times.begin(), times.end());
    auto at = [&](double q) { return times[size_t(q * (times.size() - 1))]; };
    llvm::outs() << llvm::formatv(
        "{{\"runs\": {0}, \"threads\": {1}, \"median_ms\": {2:f4}, "
        "\"min_ms\": {3:f4}, \"p10_ms\": {4:f4}, \"p90_ms\": {5:f4}, "
        "\"target_cpu\": \"{6}\"}\n",
        times.size(), options.threads, at(0.5), times.front(), at(0.1), at(0.9),
        qc_model_target_cpu(model.get()));
  }

  if (options.outputsPath.empty())
    return 0;
  reference::NamedTensors named;
  for (auto [info, t] : llvm::zip(outInfo, results))
    named.emplace_back(info.name, std::move(t));
  if (llvm::Error err = reference::writeNpz(options.outputsPath, named))
    return error(llvm::toString(std::move(err)));
  return 0;
}
