//===- Report.cpp - the qc-report pass --------------------------*- C++ -*-===//
//
// Runs a quantized model next to its float reference on sample data and
// reports per-layer precision, weight bytes and output SQNR, plus whole-model
// metrics, as text, JSON, Markdown and an SVG chart.
//
//===----------------------------------------------------------------------===//
#include "quantc/Calibration/CalibrationSet.h"
#include "quantc/Dialect/QC/QCOps.h"
#include "quantc/Dialect/QC/QuantUtils.h"
#include "quantc/Dialect/QC/TensorNames.h"
#include "quantc/Reference/Evaluator.h"
#include "quantc/Transforms/Passes.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

namespace quantc {
#define GEN_PASS_DEF_QCREPORT
#include "quantc/Transforms/Passes.h.inc"
} // namespace quantc

using namespace mlir;
using namespace quantc;
using reference::Tensor;

namespace {
/// Accumulates signal and noise energy of one tensor over the samples.
struct ErrorStats {
  double signal = 0, noise = 0, dot = 0, actualEnergy = 0;
  int64_t rows = 0, agreeingRows = 0;

  void add(const Tensor &expected, const Tensor &actual) {
    for (auto [e, a] : llvm::zip(expected.floats(), actual.floats())) {
      signal += double(e) * e;
      noise += (double(e) - a) * (double(e) - a);
      dot += double(e) * a;
      actualEnergy += double(a) * a;
    }
    // Class scores: one row per leading index, more than one class.
    if (expected.getRank() == 2 && expected.getShape()[1] > 1) {
      int64_t classes = expected.getShape()[1];
      for (int64_t r = 0; r < expected.getShape()[0]; ++r) {
        auto rowOf = [&](const Tensor &t) {
          return t.floats().slice(r * classes, classes);
        };
        auto e = rowOf(expected), a = rowOf(actual);
        agreeingRows += std::max_element(e.begin(), e.end()) - e.begin() ==
                        std::max_element(a.begin(), a.end()) - a.begin();
        ++rows;
      }
    }
  }
  double sqnr() const {
    return noise == 0 ? INFINITY : 10 * std::log10(signal / noise);
  }
  double cosine() const {
    double norm = std::sqrt(signal * actualEnergy);
    return norm == 0 ? 1.0 : dot / norm;
  }
};

struct LayerRow {
  std::string name, kind, precision;
  std::string choice; // why qc-assign-precision chose it, when it did
  double weightBytes = 0, floatWeightBytes = 0;
  Value output; // in the quantized model
  std::string outputName;
  ErrorStats error;
};

/// Bytes of the weights behind `w`: the stored integers of a dequantized
/// weight, else `w` itself (a bf16 layer reads its weights in bf16).
double storedBytes(Value w) {
  if (auto dq = w.getDefiningOp<qc::DequantizeOp>())
    w = dq.getInput();
  auto type = cast<RankedTensorType>(w.getType());
  Type element = type.getElementType();
  unsigned bits = element.isIntOrFloat() ? element.getIntOrFloatBitWidth() : 32;
  if (auto q = qc::getQuantizedType(element))
    bits = q.getStorageTypeIntegralWidth();
  return type.getNumElements() * double(bits) / 8;
}

std::string precisionText(Attribute precision) {
  auto p = cast<qc::PrecisionAttr>(precision);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "a:" << p.getActivation() << " w:" << p.getWeight() << " "
     << qc::stringifyGranularity(p.getGranularity());
  if (p.getGroupSize())
    os << "/" << p.getGroupSize();
  if (p.hasIntegerActivations())
    os << " " << qc::stringifyScheme(p.getScheme());
  return text;
}

/// Every layer with a precision: integer layers through their requantize,
/// float and weight-only layers as themselves.
std::vector<LayerRow> collectLayers(func::FuncOp func) {
  std::vector<LayerRow> rows;
  func.walk([&](Operation *op) {
    Attribute precision = op->getAttr("qc.precision");
    if (!precision)
      return;
    Operation *layer = op;
    if (auto requantize = dyn_cast<qc::RequantizeOp>(op))
      if (Operation *acc = requantize.getInput().getDefiningOp())
        layer = acc;
    LayerRow row;
    row.name = qc::getNodeName(layer->getLoc());
    row.kind = layer->getName().stripDialect().str();
    row.precision = precisionText(precision);
    if (auto choice = op->getAttrOfType<StringAttr>("qc.choice"))
      row.choice = choice.str();
    if (layer->getNumOperands() > 1) {
      Value weight = layer->getOperand(1);
      row.weightBytes = storedBytes(weight);
      row.floatWeightBytes =
          cast<RankedTensorType>(weight.getType()).getNumElements() * 4.0;
    }
    row.output = op->getResult(0);
    // A bf16/f16 layer's consumers read it through a cast back to f32.
    if (row.output.hasOneUse() && isa<qc::CastOp>(*row.output.getUsers().begin()))
      row.output = row.output.getUsers().begin()->getResult(0);
    row.outputName = qc::getNodeName(op->getLoc());
    rows.push_back(std::move(row));
  });
  return rows;
}

/// Float values of `t`: dequantized when quantized.
FailureOr<Tensor> asFloat(const Tensor &t) {
  if (qc::getQuantizedType(t.getElementType()))
    return reference::dequantize(t);
  return t;
}

struct ReportPass : quantc::impl::QCReportBase<ReportPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (reference.empty() || data.empty()) {
      emitError(module.getLoc(), "qc-report needs reference= (the float model) and "
                       "data= (input .npz files)");
      return signalPassFailure();
    }
    OwningOpRef<ModuleOp> floatModule =
        parseSourceFile<ModuleOp>(reference, &getContext());
    if (!floatModule) {
      emitError(module.getLoc(), "cannot read the reference model '") << reference << "'";
      return signalPassFailure();
    }
    auto func = module.lookupSymbol<func::FuncOp>("main");
    auto floatFunc = floatModule->lookupSymbol<func::FuncOp>("main");
    if (!func || !floatFunc ||
        func.getArgumentTypes() != floatFunc.getArgumentTypes() ||
        func.getNumResults() != floatFunc.getNumResults()) {
      emitError(module.getLoc(), "the model and its reference need a @main with the "
                       "same inputs and number of outputs");
      return signalPassFailure();
    }
    if (failed(report(func, floatFunc)))
      signalPassFailure();
  }

  LogicalResult report(func::FuncOp func, func::FuncOp floatFunc) {
    std::vector<LayerRow> rows = collectLayers(func);
    // The float tensor each row is compared with, by ONNX node name.
    llvm::StringMap<Value> floatByName;
    floatFunc.walk([&](Operation *op) {
      std::string name = qc::getNodeName(op->getLoc());
      if (!name.empty() && op->getNumResults() == 1)
        floatByName.try_emplace(name, op->getResult(0));
    });
    DenseMap<Value, SmallVector<LayerRow *>> rowsByFloat, rowsByOutput;
    for (LayerRow &row : rows) {
      Value reference = floatByName.lookup(row.outputName);
      if (!reference)
        continue;
      rowsByFloat[reference].push_back(&row);
      rowsByOutput[row.output].push_back(&row);
    }
    llvm::Expected<std::vector<calibration::Sample>> samples =
        calibration::loadCalibrationSet(func, data, maxSamples);
    if (!samples)
      return emitError(func.getLoc(), toString(samples.takeError()));
    std::vector<ErrorStats> outputs(func.getNumResults());
    for (const calibration::Sample &sample : *samples) {
      DenseMap<Value, Tensor> expected;
      auto floatResults = reference::evaluateFunction(
          floatFunc, sample, [&](Value v, const Tensor &t) {
            if (rowsByFloat.count(v))
              expected[v] = t;
          });
      if (failed(floatResults))
        return failure();
      bool failedToCompare = false;
      auto results = reference::evaluateFunction(
          func, sample, [&](Value v, const Tensor &t) {
            auto it = rowsByOutput.find(v);
            if (it == rowsByOutput.end())
              return;
            FailureOr<Tensor> actual = asFloat(t);
            if (failed(actual)) {
              failedToCompare = true;
              return;
            }
            for (LayerRow *row : it->second) {
              Value ref = floatByName.lookup(row->outputName);
              const Tensor &e = expected[ref];
              if (e.getShape() == actual->getShape())
                row->error.add(e, *actual);
            }
          });
      if (failed(results) || failedToCompare)
        return failure();
      for (auto [i, pair] : llvm::enumerate(llvm::zip(*floatResults, *results))) {
        FailureOr<Tensor> actual = asFloat(std::get<1>(pair));
        if (failed(actual))
          return failure();
        outputs[i].add(std::get<0>(pair), *actual);
      }
    }
    return emitReport(func, rows, outputs, samples->size());
  }

  LogicalResult emitReport(func::FuncOp func, const std::vector<LayerRow> &rows,
                           const std::vector<ErrorStats> &outputs,
                           size_t numSamples) {
    double bytes = 0, floatBytes = 0;
    for (const LayerRow &row : rows) {
      bytes += row.weightBytes;
      floatBytes += row.floatWeightBytes;
    }
    std::string md = markdownTable(func, rows, outputs, numSamples, bytes,
                                   floatBytes);
    llvm::errs() << md;
    if (failed(write(json, [&](raw_ostream &os) {
          os << llvm::formatv("{0:2}", toJSON(func, rows, outputs, numSamples,
                                              bytes, floatBytes))
             << "\n";
        })) ||
        failed(write(markdown, [&](raw_ostream &os) { os << md; })) ||
        failed(write(svg, [&](raw_ostream &os) { writeSvg(rows, os); })))
      return emitError(func.getLoc(), "cannot write the report");
    return success();
  }

  static LogicalResult write(StringRef path,
                             llvm::function_ref<void(raw_ostream &)> fn) {
    if (path.empty())
      return success();
    return failure(bool(llvm::writeToOutput(path, [&](raw_ostream &os) {
      fn(os);
      return llvm::Error::success();
    })));
  }

  static std::string resultName(func::FuncOp func, unsigned i) {
    auto name = func.getResultAttrOfType<StringAttr>(i, "qc.name");
    return name ? name.str() : "output_" + std::to_string(i);
  }

  static std::string markdownTable(func::FuncOp func,
                                   const std::vector<LayerRow> &rows,
                                   const std::vector<ErrorStats> &outputs,
                                   size_t numSamples, double bytes,
                                   double floatBytes) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "# quantc report\n\n"
       << "| layer | op | precision | weight bytes | SQNR (dB) |\n"
       << "|---|---|---|---:|---:|\n";
    for (const LayerRow &row : rows)
      os << "| " << row.name << " | " << row.kind << " | " << row.precision
         << " | " << llvm::format("%.0f", row.weightBytes) << " | "
         << (row.error.signal > 0 ? llvm::formatv("{0:f1}", row.error.sqnr()).str()
                                  : "–")
         << " |\n";
    bool assigned = llvm::any_of(rows, [](const LayerRow &r) { return !r.choice.empty(); });
    if (assigned) {
      os << "\nWhy (qc-assign-precision: chosen precision, its predicted output "
            "error and bytes; the alternatives):\n\n";
      for (const LayerRow &row : rows)
        if (!row.choice.empty())
          os << "- " << row.name << ": " << row.choice << "\n";
    }
    os << "\n| output | SQNR (dB) | cosine | top-1 agreement |\n"
       << "|---|---:|---:|---:|\n";
    for (auto [i, stats] : llvm::enumerate(outputs))
      os << "| " << resultName(func, i) << " | "
         << llvm::formatv("{0:f2}", stats.sqnr()) << " | "
         << llvm::formatv("{0:f6}", stats.cosine()) << " | "
         << (stats.rows ? llvm::formatv("{0:f2} %", 100.0 * stats.agreeingRows /
                                                        stats.rows)
                              .str()
                        : "–")
         << " |\n";
    os << "\nWeights: " << llvm::format("%.0f", bytes) << " bytes ("
       << llvm::format("%.0f", floatBytes) << " in f32, "
       << llvm::format("%.2f", bytes ? floatBytes / bytes : 0.0)
       << "x smaller); " << numSamples << " samples.\n";
    return text;
  }

  static llvm::json::Value toJSON(func::FuncOp func,
                                  const std::vector<LayerRow> &rows,
                                  const std::vector<ErrorStats> &outputs,
                                  size_t numSamples, double bytes,
                                  double floatBytes) {
    auto number = [](double v) -> llvm::json::Value {
      return std::isfinite(v) ? llvm::json::Value(v) : llvm::json::Value(nullptr);
    };
    llvm::json::Array layers;
    for (const LayerRow &row : rows)
      layers.push_back(llvm::json::Object{
          {"name", row.name},
          {"op", row.kind},
          {"precision", row.precision},
          {"choice", row.choice.empty() ? llvm::json::Value(nullptr)
                                        : llvm::json::Value(row.choice)},
          {"weight_bytes", row.weightBytes},
          {"sqnr_db", row.error.signal > 0 ? number(row.error.sqnr()) : nullptr}});
    llvm::json::Array results;
    for (auto [i, stats] : llvm::enumerate(outputs))
      results.push_back(llvm::json::Object{
          {"name", resultName(func, i)},
          {"sqnr_db", number(stats.sqnr())},
          {"cosine", stats.cosine()},
          {"top1_agreement", stats.rows ? llvm::json::Value(double(stats.agreeingRows) /
                                                            stats.rows)
                                        : nullptr}});
    return llvm::json::Object{{"samples", int64_t(numSamples)},
                              {"weight_bytes", bytes},
                              {"float_weight_bytes", floatBytes},
                              {"layers", std::move(layers)},
                              {"outputs", std::move(results)}};
  }

  /// Horizontal bars of per-layer SQNR, one row per layer.
  static void writeSvg(const std::vector<LayerRow> &rows, raw_ostream &os) {
    constexpr int rowHeight = 18, labelWidth = 220, barWidth = 400;
    double maxSqnr = 1;
    for (const LayerRow &row : rows)
      if (std::isfinite(row.error.sqnr()))
        maxSqnr = std::max(maxSqnr, row.error.sqnr());
    int height = rowHeight * (rows.size() + 2);
    os << llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" "
                        "height=\"{1}\" font-family=\"sans-serif\" font-size=\"11\">\n",
                        labelWidth + barWidth + 80, height)
       << llvm::formatv("<text x=\"4\" y=\"13\">per-layer SQNR (dB) against "
                        "the float model</text>\n");
    for (auto [i, row] : llvm::enumerate(rows)) {
      int y = rowHeight * (i + 1);
      double sqnr = row.error.signal > 0 ? row.error.sqnr() : 0;
      double width = std::isfinite(sqnr) ? std::max(0.0, sqnr) / maxSqnr * barWidth
                                         : barWidth;
      std::string label = row.name;
      for (char &c : label)
        if (c == '<' || c == '>' || c == '&' || c == '"')
          c = '_';
      os << llvm::formatv("<text x=\"4\" y=\"{0}\">{1}</text>\n", y + 13, label)
         << llvm::formatv("<rect x=\"{0}\" y=\"{1}\" width=\"{2:f1}\" height=\"{3}\" "
                          "fill=\"#4878a8\"/>\n",
                          labelWidth, y + 3, width, rowHeight - 5)
         << llvm::formatv("<text x=\"{0:f1}\" y=\"{1}\">{2:f1}</text>\n",
                          labelWidth + width + 4, y + 13, sqnr);
    }
    os << "</svg>\n";
  }
};
} // namespace
