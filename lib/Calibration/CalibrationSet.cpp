//===- CalibrationSet.cpp - calibration samples from .npz files -*- C++ -*-===//
#include "quantc/Calibration/CalibrationSet.h"
#include "quantc/Reference/Npz.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace llvm;
using namespace quantc;
using namespace quantc::calibration;
using reference::Tensor;

static Error fail(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

/// The .npz files named by `paths`, directories expanded in name order.
Expected<std::vector<std::string>>
calibration::listCalibrationFiles(ArrayRef<std::string> paths) {
  std::vector<std::string> files;
  for (const std::string &path : paths) {
    if (!sys::fs::is_directory(path)) {
      if (!sys::fs::exists(path))
        return fail("calibration file '" + path + "' does not exist");
      files.push_back(path);
      continue;
    }
    std::vector<std::string> inDir;
    std::error_code ec;
    for (sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
         it.increment(ec))
      if (sys::path::extension(it->path()) == ".npz")
        inDir.push_back(it->path());
    if (ec)
      return fail("cannot list calibration directory '" + path +
                  "': " + ec.message());
    if (inDir.empty())
      return fail("calibration directory '" + path + "' holds no .npz file");
    llvm::sort(inDir);
    llvm::append_range(files, inDir);
  }
  if (files.empty())
    return fail("no calibration data given");
  return files;
}

/// Splits `array` into samples of `shape`.
static Expected<std::vector<Tensor>> splitSamples(const Tensor &array,
                                                  ArrayRef<int64_t> shape,
                                                  StringRef what) {
  ArrayRef<int64_t> have = array.getShape();
  int64_t count = 0;
  if (have == shape)
    count = 1;
  else if (have.size() == shape.size() + 1 && have.drop_front() == shape)
    count = have[0];
  else if (!shape.empty() && shape[0] == 1 && have.size() == shape.size() &&
           have.drop_front() == shape.drop_front())
    count = have[0];
  if (count == 0) {
    std::string message;
    raw_string_ostream os(message);
    os << what << " has shape [";
    interleaveComma(have, os);
    os << "], which is neither the input shape [";
    interleaveComma(shape, os);
    os << "] nor a stack of them";
    return fail(message);
  }
  std::vector<Tensor> samples;
  int64_t size = array.getNumElements() / count;
  for (int64_t s = 0; s < count; ++s) {
    Tensor sample(array.getElementType(), shape);
    for (int64_t i = 0; i < size; ++i)
      sample.copyElement(i, array, s * size + i);
    samples.push_back(std::move(sample));
  }
  return samples;
}

Expected<std::vector<Sample>>
calibration::loadCalibrationSet(func::FuncOp func, ArrayRef<std::string> paths,
                                int64_t maxSamples) {
  Expected<std::vector<std::string>> files = listCalibrationFiles(paths);
  if (!files)
    return files.takeError();
  std::vector<Sample> samples;
  for (const std::string &file : *files) {
    Expected<reference::NamedTensors> arrays =
        reference::readNpz(func.getContext(), file);
    if (!arrays)
      return fail("calibration file '" + file +
                  "': " + toString(arrays.takeError()));
    std::vector<std::vector<Tensor>> perInput;
    for (BlockArgument arg : func.getArguments()) {
      auto name = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "qc.name");
      const Tensor *array = nullptr;
      for (const auto &[key, tensor] : *arrays)
        if (name && key == name.getValue())
          array = &tensor;
      if (!array && arrays->size() == 1 && func.getNumArguments() == 1)
        array = &arrays->front().second;
      std::string inputName = name ? name.str() : "#" + std::to_string(arg.getArgNumber());
      if (!array)
        return fail("calibration file '" + file + "' has no array for input '" +
                    inputName + "'");
      if (array->isFloat() != isa<FloatType>(
                                  cast<ShapedType>(arg.getType()).getElementType()))
        return fail("calibration file '" + file + "': array '" + inputName +
                    "' has the wrong element kind");
      Expected<std::vector<Tensor>> split = splitSamples(
          *array, cast<ShapedType>(arg.getType()).getShape(),
          "calibration file '" + file + "': array '" + inputName + "'");
      if (!split)
        return split.takeError();
      perInput.push_back(std::move(*split));
    }
    size_t count = perInput.empty() ? 0 : perInput.front().size();
    if (llvm::any_of(perInput, [&](auto &s) { return s.size() != count; }))
      return fail("calibration file '" + file +
                  "': inputs hold different numbers of samples");
    for (size_t s = 0; s < count; ++s) {
      if (maxSamples > 0 && (int64_t)samples.size() == maxSamples)
        return samples;
      Sample sample;
      for (auto &input : perInput)
        sample.push_back(std::move(input[s]));
      samples.push_back(std::move(sample));
    }
  }
  return samples;
}
