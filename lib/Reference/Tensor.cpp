//===- Tensor.cpp - host tensors of the reference evaluator -----*- C++ -*-===//
#include "quantc/Reference/Tensor.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"
#include <cstring>

using namespace mlir;
using namespace quantc::reference;

SmallVector<int64_t> quantc::reference::computeStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  // Unsigned: the strides of an empty tensor with huge dimensions may
  // overflow, and are never used then.
  for (int64_t i = (int64_t)shape.size() - 2; i >= 0; --i)
    strides[i] = static_cast<int64_t>(uint64_t(strides[i + 1]) * uint64_t(shape[i + 1]));
  return strides;
}

Tensor::Tensor(Type elementType, ArrayRef<int64_t> shape)
    : elementType(elementType), shape(shape) {
  numElements = 1;
  for (int64_t d : shape)
    numElements *= d;
  if (isFloat())
    floatData.assign(numElements, 0.0f);
  else
    intData.assign(numElements, 0);
}

Tensor Tensor::reshaped(ArrayRef<int64_t> newShape) const {
  Tensor result = *this;
  result.shape.assign(newShape.begin(), newShape.end());
  return result;
}

namespace {
/// Decodes `count` little-endian elements of `type` from raw bytes.
LogicalResult decodeRaw(Type type, ArrayRef<char> raw, Tensor &out) {
  int64_t n = out.getNumElements();
  auto read = [&](auto sample) -> ArrayRef<decltype(sample)> {
    using T = decltype(sample);
    if ((int64_t)raw.size() != n * (int64_t)sizeof(T))
      return {};
    return ArrayRef<T>(reinterpret_cast<const T *>(raw.data()), n);
  };
  auto copyInts = [&](auto sample) {
    auto data = read(sample);
    if ((int64_t)data.size() != n)
      return failure();
    std::copy(data.begin(), data.end(), out.ints().begin());
    return success();
  };
  if (type.isF32()) {
    auto data = read(float());
    if ((int64_t)data.size() != n)
      return failure();
    std::copy(data.begin(), data.end(), out.floats().begin());
    return success();
  }
  if (auto ft = dyn_cast<FloatType>(type)) {
    unsigned bytes = ft.getWidth() / 8;
    if ((int64_t)raw.size() != n * bytes)
      return failure();
    for (int64_t i = 0; i < n; ++i) {
      uint64_t bits = 0;
      std::memcpy(&bits, raw.data() + i * bytes, bytes);
      APFloat value(ft.getFloatSemantics(), APInt(ft.getWidth(), bits));
      out.floats()[i] = value.convertToDouble();
    }
    return success();
  }
  auto it = cast<IntegerType>(type);
  bool isUnsigned = it.isUnsigned();
  if (it.getWidth() == 4) {
    // Two elements per byte, low nibble first (the ONNX int4 layout).
    if ((int64_t)raw.size() != (n + 1) / 2)
      return failure();
    for (int64_t i = 0; i < n; ++i) {
      int64_t nibble = (static_cast<uint8_t>(raw[i / 2]) >> (4 * (i % 2))) & 0xF;
      out.ints()[i] = !isUnsigned && nibble >= 8 ? nibble - 16 : nibble;
    }
    return success();
  }
  switch (it.getWidth()) {
  case 1:
  case 8:
    return isUnsigned || it.getWidth() == 1 ? copyInts(uint8_t()) : copyInts(int8_t());
  case 16:
    return isUnsigned ? copyInts(uint16_t()) : copyInts(int16_t());
  case 32:
    return isUnsigned ? copyInts(uint32_t()) : copyInts(int32_t());
  case 64:
    return copyInts(int64_t());
  default:
    return failure();
  }
}
} // namespace

FailureOr<Tensor> Tensor::fromAttr(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  Type element = type.getElementType();
  if (!isa<FloatType, IntegerType>(element))
    return failure();
  Tensor result(element, type.getShape());
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return failure();
    if (failed(decodeRaw(element, blob->getData(), result)))
      return failure();
    return result;
  }
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  if (!dense)
    return failure();
  if (auto ft = dyn_cast<FloatType>(element)) {
    if (element.isF32() && !dense.isSplat()) {
      auto values = dense.getValues<float>();
      std::copy(values.begin(), values.end(), result.floats().begin());
    } else {
      int64_t i = 0;
      for (const APFloat &v : dense.getValues<APFloat>())
        result.floats()[i++] = v.convertToDouble();
    }
    return result;
  }
  bool isUnsigned = cast<IntegerType>(element).isUnsigned() ||
                    element.isInteger(1);
  int64_t i = 0;
  for (const APInt &v : dense.getValues<APInt>())
    result.ints()[i++] = isUnsigned ? v.getZExtValue() : v.getSExtValue();
  return result;
}

/// Little-endian bytes of `values` at `width` bits each; 4-bit values pack
/// two per byte, low nibble first.
static std::vector<char> packIntegers(ArrayRef<int64_t> values, unsigned width) {
  if (width == 4) {
    std::vector<char> bytes((values.size() + 1) / 2, 0);
    for (size_t i = 0; i < values.size(); ++i)
      bytes[i / 2] |= static_cast<char>((values[i] & 0xF) << (4 * (i % 2)));
    return bytes;
  }
  unsigned bytesPerValue = width / 8;
  std::vector<char> bytes(values.size() * bytesPerValue);
  for (size_t i = 0; i < values.size(); ++i)
    std::memcpy(bytes.data() + i * bytesPerValue, &values[i], bytesPerValue);
  return bytes;
}

ElementsAttr Tensor::toAttr(RankedTensorType type, StringRef blobName) const {
  Type element = type.getElementType();
  if (element.isF32()) {
    if (numElements > kMaxInlineElements)
      return DenseResourceElementsAttr::get(
          type, blobName,
          HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef(floatData)));
    return DenseElementsAttr::get(type, ArrayRef(floatData));
  }
  if (auto ft = dyn_cast<FloatType>(element)) {
    SmallVector<APFloat> values;
    for (float f : floatData) {
      APFloat v(f);
      bool lost;
      v.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      values.push_back(v);
    }
    return DenseElementsAttr::get(type, values);
  }
  unsigned width = cast<IntegerType>(element).getWidth();
  if (numElements > kMaxInlineElements && width >= 4 && width <= 64 &&
      llvm::isPowerOf2_32(width))
    return DenseResourceElementsAttr::get(
        type, blobName,
        HeapAsmResourceBlob::allocateAndCopyInferAlign(
            ArrayRef(packIntegers(intData, width))));
  if (width == 1) {
    SmallVector<bool> values(intData.begin(), intData.end());
    return DenseElementsAttr::get(type, ArrayRef(values));
  }
  SmallVector<APInt> values;
  for (int64_t v : intData)
    values.push_back(APInt(width, v, /*isSigned=*/true, /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, values);
}

bool quantc::reference::isFloat8(Type element) {
  return isa<Float8E4M3FNType, Float8E4M3FNUZType, Float8E5M2Type, Float8E5M2FNUZType>(element);
}

bool quantc::reference::isSubByteInteger(Type element) {
  auto integer = dyn_cast<IntegerType>(element);
  return integer && integer.getWidth() > 1 && integer.getWidth() < 8;
}
