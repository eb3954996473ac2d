//===- InputBinding.cpp - .npz arrays bound to model inputs -----*- C++ -*-===//
#include "InputBinding.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

using namespace mlir;
using namespace quantc;
using reference::Tensor;

std::string quantc::numpyDtype(Type element) {
  if (auto q = dyn_cast<quant::QuantizedType>(element))
    return (q.isSigned() ? "int" : "uint") +
           std::to_string(q.getStorageTypeIntegralWidth());
  if (element.isF32())
    return "float32";
  if (element.isF64())
    return "float64";
  if (element.isF16())
    return "float16";
  if (element.isBF16())
    return "bfloat16";
  if (element.isInteger(1))
    return "bool";
  if (auto integer = dyn_cast<IntegerType>(element))
    return (integer.isUnsigned() ? "uint" : "int") +
           std::to_string(integer.getWidth());
  std::string text;
  llvm::raw_string_ostream os(text);
  element.print(os);
  return text;
}

namespace {
LogicalResult error(const Twine &message) {
  llvm::errs() << "error: " << message << "\n";
  return failure();
}

/// How many batches of `type` the array holds: 1 for its very shape, k
/// when the leading dimension is k times the input's; 0 otherwise.
int64_t countBatches(ArrayRef<int64_t> have, RankedTensorType type) {
  ArrayRef<int64_t> want = type.getShape();
  if (have == want)
    return 1;
  if (want.empty() || want[0] == 0 || have.size() != want.size() ||
      have.drop_front() != want.drop_front() || have[0] % want[0] != 0)
    return 0;
  return have[0] / want[0];
}

/// The element type of the arrays an input takes: a quantized type's
/// storage integers.
Type storageType(Type element) {
  if (auto q = dyn_cast<quant::QuantizedType>(element))
    return IntegerType::get(element.getContext(), q.getStorageTypeIntegralWidth(),
                            q.isSigned() ? IntegerType::Signless
                                         : IntegerType::Unsigned);
  return element;
}

/// Whether numpy arrays of another element type carry `element`'s values
/// (reference::carrierElementType).
bool isCarried(Type element) {
  return reference::carrierElementType(storageType(element)) != storageType(element);
}

/// Batch `b` of `array` as an input of `type` with elements of `element`
/// (numpy's astype: floats to integers truncate).
Tensor sliceBatch(const Tensor &array, RankedTensorType type, Type element,
                  int64_t b) {
  Tensor slice(element, type.getShape());
  int64_t n = slice.getNumElements();
  bool sameKind = slice.isFloat() == array.isFloat();
  for (int64_t i = 0; i < n; ++i) {
    if (sameKind)
      slice.copyElement(i, array, b * n + i);
    else if (slice.isFloat())
      slice.floats()[i] = static_cast<float>(array.getAsDouble(b * n + i));
    else
      slice.ints()[i] = static_cast<int64_t>(array.getAsDouble(b * n + i));
  }
  return slice;
}
} // namespace

FailureOr<SmallVector<SmallVector<Tensor>>>
quantc::bindInputs(ArrayRef<InputSpec> inputs,
                   const reference::NamedTensors &arrays, StringRef file,
                   bool castInputs) {
  SmallVector<const Tensor *> bound;
  int64_t batches = 0;
  for (const InputSpec &input : inputs) {
    auto it = llvm::find_if(arrays, [&](auto &p) { return p.first == input.name; });
    if (it == arrays.end())
      return error("'" + file + "' has no array named '" + input.name +
                   "' (a model input)");
    const Tensor &array = it->second;
    Type stored = storageType(input.type.getElementType());
    std::string have = numpyDtype(array.getElementType());
    std::string want = numpyDtype(input.type.getElementType());
    if (have != want && have == numpyDtype(reference::carrierElementType(stored))) {
      if (std::optional<std::string> v = reference::firstValueNotHeld(array, stored))
        return error("input '" + input.name + "' in '" + file + "' holds " + *v +
                     ", which " + want + " cannot hold");
    } else if (have != want && !castInputs)
      return error("input '" + input.name + "' in '" + file + "' has dtype " +
                   have + ", the model expects " + want +
                   " (--cast-inputs converts it)");
    int64_t count = countBatches(array.getShape(), input.type);
    if (count == 0 || (batches && count != batches)) {
      std::string shape;
      llvm::raw_string_ostream os(shape);
      llvm::interleave(array.getShape(), os, "x");
      os << " instead of ";
      llvm::interleave(input.type.getShape(), os, "x");
      return error("input '" + input.name + "' in '" + file + "' has shape " +
                   shape + " (or a stack of such batches, the same number "
                   "for every input)");
    }
    batches = count;
    bound.push_back(&array);
  }
  for (auto &[name, _] : arrays)
    if (llvm::none_of(inputs, [&](const InputSpec &i) { return i.name == name; }))
      return error("'" + file + "' holds '" + name + "', which is not a model input");

  SmallVector<SmallVector<Tensor>> perBatch;
  for (int64_t b = 0; b < std::max<int64_t>(batches, 1); ++b) {
    SmallVector<Tensor> batch;
    for (auto [array, input] : llvm::zip(bound, inputs)) {
      Type element = input.type.getElementType();
      bool asIs = batches == 1 && numpyDtype(array->getElementType()) ==
                                      numpyDtype(element);
      batch.push_back(asIs ? *array
                           : sliceBatch(*array, input.type,
                                        castInputs || isCarried(element)
                                            ? storageType(element)
                                            : array->getElementType(),
                                        b));
    }
    perBatch.push_back(std::move(batch));
  }
  return perBatch;
}
