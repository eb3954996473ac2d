//===- TensorProto.cpp - ONNX tensors to MLIR attributes --------*- C++ -*-===//
#include "GraphImporter.h"

#include "llvm/Support/MathExtras.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/ADT/StringExtras.h"

#include <memory>

using namespace mlir;
using namespace quantc;
using namespace quantc::onnx_import;

Type onnx_import::convertElementType(MLIRContext *ctx, int32_t onnxType) {
  Builder b(ctx);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::INT16:
    return b.getIntegerType(16);
  case onnx::TensorProto::INT8:
    return b.getIntegerType(8);
  case onnx::TensorProto::UINT8:
    return IntegerType::get(ctx, 8, IntegerType::Unsigned);
  case onnx::TensorProto::UINT16:
    return IntegerType::get(ctx, 16, IntegerType::Unsigned);
  case onnx::TensorProto::UINT32:
    return IntegerType::get(ctx, 32, IntegerType::Unsigned);
  case onnx::TensorProto::UINT64:
    return IntegerType::get(ctx, 64, IntegerType::Unsigned);
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  // The float8 types (ONNX 1.14), INT4 and UINT4 (ONNX 1.16) are newer than
  // the system's onnx headers.
  case kFloat8E4M3FN:
    return b.getType<Float8E4M3FNType>();
  case kFloat8E4M3FNUZ:
    return b.getType<Float8E4M3FNUZType>();
  case kFloat8E5M2:
    return b.getType<Float8E5M2Type>();
  case kFloat8E5M2FNUZ:
    return b.getType<Float8E5M2FNUZType>();
  case 22:
    return b.getIntegerType(4);
  case 21:
    return IntegerType::get(ctx, 4, IntegerType::Unsigned);
  default:
    return {};
  }
}

namespace {
/// Resource blob keys must be plain identifiers.
std::string blobKey(StringRef name) {
  std::string key;
  for (char c : name)
    key.push_back(llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_');
  if (key.empty() || llvm::isDigit(key[0]))
    key.insert(0, "w_");
  return key;
}

/// Packs the typed repeated fields of a TensorProto into little-endian bytes.
template <typename Src, typename Dst = Src>
std::string packField(const google::protobuf::RepeatedField<Src> &field) {
  std::string bytes(field.size() * sizeof(Dst), '\0');
  for (int i = 0; i < field.size(); ++i) {
    Dst v = static_cast<Dst>(field.Get(i));
    std::memcpy(&bytes[i * sizeof(Dst)], &v, sizeof(Dst));
  }
  return bytes;
}

FailureOr<std::string> packTypedData(const onnx::TensorProto &t, Location loc) {
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    return packField(t.float_data());
  case onnx::TensorProto::DOUBLE:
    return packField(t.double_data());
  case onnx::TensorProto::INT64:
    return packField(t.int64_data());
  case onnx::TensorProto::INT32:
    return packField(t.int32_data());
  case onnx::TensorProto::INT16:
    return packField<int32_t, int16_t>(t.int32_data());
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    return packField<int32_t, uint16_t>(t.int32_data());
  case onnx::TensorProto::INT8:
    return packField<int32_t, int8_t>(t.int32_data());
  case onnx::TensorProto::UINT8:
  case onnx::TensorProto::BOOL:
  case kFloat8E4M3FN:
  case kFloat8E4M3FNUZ:
  case kFloat8E5M2:
  case kFloat8E5M2FNUZ:
    return packField<int32_t, uint8_t>(t.int32_data());
  case onnx::TensorProto::UINT32:
    return packField<uint64_t, uint32_t>(t.uint64_data());
  case onnx::TensorProto::UINT64:
    return packField(t.uint64_data());
  default:
    return emitError(loc, "unsupported tensor data type ") << t.data_type();
  }
}

/// Memory-maps the external data of `t`; the mapping lives as long as the
/// blob that references it.
FailureOr<std::shared_ptr<llvm::MemoryBuffer>>
mapExternalData(const onnx::TensorProto &t, StringRef modelDir, Location loc) {
  std::string location;
  uint64_t offset = 0, length = 0;
  bool hasLength = false;
  for (const auto &entry : t.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset")
      offset = std::stoull(entry.value());
    else if (entry.key() == "length") {
      length = std::stoull(entry.value());
      hasLength = true;
    }
  }
  if (location.empty() || llvm::sys::path::is_absolute(location) ||
      StringRef(location).contains(".."))
    return emitError(loc, "tensor '")
           << t.name() << "' has an invalid external data location '"
           << location << "'";
  SmallString<256> path(modelDir);
  llvm::sys::path::append(path, location);
  uint64_t fileSize = 0;
  if (std::error_code ec = llvm::sys::fs::file_size(path, fileSize))
    return emitError(loc, "cannot open external data file '")
           << path << "' of tensor '" << t.name() << "': " << ec.message();
  if (!hasLength)
    length = fileSize - std::min(offset, fileSize);
  if (offset + length > fileSize)
    return emitError(loc, "external data of tensor '")
           << t.name() << "' extends past the end of '" << path << "'";
  auto buffer = llvm::MemoryBuffer::getFileSlice(path, length, offset,
                                                 /*IsVolatile=*/false);
  if (!buffer)
    return emitError(loc, "cannot map external data file '") << path << "'";
  return std::shared_ptr<llvm::MemoryBuffer>(std::move(*buffer));
}
} // namespace

FailureOr<ElementsAttr>
onnx_import::convertTensorProto(const onnx::TensorProto &t, StringRef modelDir,
                                Location loc) {
  MLIRContext *ctx = loc.getContext();
  Type element = convertElementType(ctx, t.data_type());
  if (!element)
    return emitError(loc, "tensor '")
           << t.name() << "' has unsupported data type " << t.data_type();
  SmallVector<int64_t> shape(t.dims().begin(), t.dims().end());
  if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
    return emitError(loc, "tensor '") << t.name() << "' has a negative dimension";
  // Sizes come from the file: count them without overflowing.
  unsigned elementBytes = std::max(1u, element.getIntOrFloatBitWidth() / 8);
  int64_t count = 1, bytesTotal = 0;
  for (int64_t d : shape)
    if (llvm::MulOverflow(count, d, count))
      return emitError(loc, "tensor '") << t.name() << "' has too many elements";
  if (llvm::MulOverflow(count, int64_t(elementBytes), bytesTotal))
    return emitError(loc, "tensor '") << t.name() << "' has too many elements";
  auto type = RankedTensorType::get(shape, element);
  size_t expected = bytesTotal;

  std::shared_ptr<llvm::MemoryBuffer> mapped;
  std::string owned;
  StringRef bytes;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    auto buffer = mapExternalData(t, modelDir, loc);
    if (failed(buffer))
      return failure();
    mapped = *buffer;
    bytes = mapped->getBuffer();
  } else if (t.has_raw_data()) {
    bytes = t.raw_data();
  } else {
    auto packed = packTypedData(t, loc);
    if (failed(packed))
      return failure();
    owned = std::move(*packed);
    bytes = owned;
  }
  if (bytes.size() != expected)
    return emitError(loc, "tensor '")
           << t.name() << "' holds " << bytes.size() << " bytes, expected "
           << expected << " for " << type;

  if (element.isInteger(1)) {
    SmallVector<bool> values;
    for (char c : bytes)
      values.push_back(c != 0);
    return cast<ElementsAttr>(DenseElementsAttr::get(type, ArrayRef(values)));
  }
  if (count <= reference::kMaxInlineElements)
    return cast<ElementsAttr>(DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(bytes.data(), bytes.size())));
  ArrayRef<char> data(bytes.data(), bytes.size());
  AsmResourceBlob blob;
  if (mapped && reinterpret_cast<uintptr_t>(bytes.data()) % elementBytes == 0) {
    // Zero-copy: the blob keeps the mapping alive.
    blob = UnmanagedAsmResourceBlob::allocateWithAlign(
        data, elementBytes, [mapped](void *, size_t, size_t) {});
  } else {
    blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(data, elementBytes);
  }
  return cast<ElementsAttr>(
      DenseResourceElementsAttr::get(type, blobKey(t.name()), std::move(blob)));
}
