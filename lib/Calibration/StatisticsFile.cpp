//===- StatisticsFile.cpp - save and reload calibration statistics -*- C++ -*-===//
//
// A JSON object from tensor names to summaries:
//   {"format": "quantc-statistics", "version": 1,
//    "tensors": {"conv1": {"min": .., "max": .., "batch_min_sum": ..,
//                          "batch_max_sum": .., "batches": ..,
//                          "histogram_limit": .., "histogram": [..]}}}
//
//===----------------------------------------------------------------------===//
#include "quantc/Calibration/Statistics.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace quantc::calibration;

static constexpr StringLiteral kFormat = "quantc-statistics";

Error quantc::calibration::writeStatistics(StringRef path,
                                           const StatisticsMap &stats) {
  json::Object tensors;
  for (const auto &[name, s] : stats)
    tensors[name] = json::Object{
        {"min", s.min},
        {"max", s.max},
        {"batch_min_sum", s.batchMinSum},
        {"batch_max_sum", s.batchMaxSum},
        {"batches", s.batches},
        {"histogram_limit", s.histogramLimit},
        {"histogram", json::Array(s.histogram)}};
  json::Value root = json::Object{
      {"format", kFormat}, {"version", 1}, {"tensors", std::move(tensors)}};
  // writeToOutput writes a temporary file and renames it: no partial files.
  return writeToOutput(path, [&](raw_ostream &os) {
    os << formatv("{0:2}", root) << "\n";
    return Error::success();
  });
}

static Error malformed(StringRef path, const Twine &what) {
  return createStringError(inconvertibleErrorCode(),
                           path + ": not a quantc statistics file: " + what);
}

Expected<StatisticsMap> quantc::calibration::readStatistics(StringRef path) {
  auto buffer = MemoryBuffer::getFile(path);
  if (!buffer)
    return createStringError(buffer.getError(),
                             "cannot read statistics file " + path + ": " +
                                 buffer.getError().message());
  Expected<json::Value> root = json::parse((*buffer)->getBuffer());
  if (!root)
    return malformed(path, toString(root.takeError()));
  const json::Object *object = root->getAsObject();
  if (!object || object->getString("format") != kFormat)
    return malformed(path, "missing \"format\": \"quantc-statistics\"");
  const json::Object *tensors = object->getObject("tensors");
  if (!tensors)
    return malformed(path, "missing \"tensors\"");
  StatisticsMap result;
  for (const auto &[name, value] : *tensors) {
    const json::Object *t = value.getAsObject();
    std::optional<double> min = t ? t->getNumber("min") : std::nullopt;
    std::optional<double> max = t ? t->getNumber("max") : std::nullopt;
    if (!min || !max || *min > *max)
      return malformed(path, "tensor '" + name.str() + "' lacks a valid min/max");
    TensorStatistics s;
    s.min = *min;
    s.max = *max;
    s.batchMinSum = t->getNumber("batch_min_sum").value_or(*min);
    s.batchMaxSum = t->getNumber("batch_max_sum").value_or(*max);
    s.batches = t->getInteger("batches").value_or(1);
    s.histogramLimit = t->getNumber("histogram_limit").value_or(0);
    if (const json::Array *h = t->getArray("histogram"))
      for (const json::Value &count : *h) {
        std::optional<double> c = count.getAsNumber();
        if (!c || *c < 0)
          return malformed(path, "bad histogram of '" + name.str() + "'");
        s.histogram.push_back(*c);
      }
    if (!s.histogram.empty() && (s.histogram.size() % 2 || s.histogramLimit <= 0))
      return malformed(path, "bad histogram of '" + name.str() + "'");
    result[name.str()] = std::move(s);
  }
  return result;
}
