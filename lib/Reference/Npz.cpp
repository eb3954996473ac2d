//===- Npz.cpp - numpy .npy/.npz files --------------------------*- C++ -*-===//
#include "quantc/Reference/Npz.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"
#include <cmath>
#include <cstring>
#include <zip.h>

using namespace mlir;
using namespace quantc::reference;

namespace {
llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Quantized tensors are written as their stored integers.
Type storedElementType(Type type) {
  if (auto quantized = dyn_cast<quant::QuantizedType>(type))
    return IntegerType::get(type.getContext(),
                            quantized.getStorageTypeIntegralWidth(),
                            quantized.isSigned() ? IntegerType::Signless
                                                 : IntegerType::Unsigned);
  return type;
}

/// Bytes per element of a stored integer type (i4 takes a whole byte).
unsigned bytesOf(IntegerType type) { return (type.getWidth() + 7) / 8; }

/// The numpy dtype string ('<f4', '|u1', ...) of an MLIR element type.
std::string dtypeOf(Type type) {
  if (isa<FloatType>(type))
    return "<f4"; // The evaluator computes every float type in f32.
  auto it = cast<IntegerType>(storedElementType(type));
  if (it.getWidth() == 1)
    return "|b1";
  char kind = it.isUnsigned() ? 'u' : 'i';
  unsigned bytes = bytesOf(it);
  return (bytes == 1 ? "|" : "<") + std::string(1, kind) + std::to_string(bytes);
}

Type typeOfDtype(MLIRContext *ctx, StringRef dtype) {
  Builder b(ctx);
  if (dtype.size() < 3 || (dtype[0] != '<' && dtype[0] != '|' && dtype[0] != '='))
    return {};
  char kind = dtype[1];
  unsigned bytes = 0;
  if (dtype.drop_front(2).getAsInteger(10, bytes))
    return {};
  switch (kind) {
  case 'f':
    return bytes == 4 ? Type(b.getF32Type())
           : bytes == 8 ? Type(b.getF64Type())
           : bytes == 2 ? Type(b.getF16Type())
                        : Type();
  case 'i':
  case 'u':
    if (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8)
      return {};
    return IntegerType::get(ctx, bytes * 8,
                            kind == 'u' ? IntegerType::Unsigned
                                        : IntegerType::Signless);
  case 'b':
    return bytes == 1 ? b.getI1Type() : Type();
  default:
    return {};
  }
}

/// Value of `key` in the npy header dict, e.g. 'descr': '<f4'.
StringRef headerField(StringRef header, StringRef key) {
  size_t pos = header.find(("'" + key + "'").str());
  if (pos == StringRef::npos)
    return {};
  StringRef rest = header.drop_front(pos + key.size() + 2).ltrim(" :");
  if (rest.starts_with("("))
    return rest.take_until([](char c) { return c == ')'; }).drop_front();
  if (rest.starts_with("'"))
    return rest.drop_front().take_until([](char c) { return c == '\''; });
  return rest.take_until([](char c) { return c == ',' || c == '}'; }).trim();
}
} // namespace

llvm::Expected<Tensor> quantc::reference::parseNpy(MLIRContext *ctx,
                                                   StringRef data,
                                                   StringRef name,
                                                   bool keepFloatTypes) {
  if (!data.starts_with("\x93NUMPY") || data.size() < 10)
    return makeError("'" + name + "' is not a .npy array");
  uint8_t major = data[6];
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = uint8_t(data[8]) | (uint8_t(data[9]) << 8);
    headerStart = 10;
  } else {
    if (data.size() < 12)
      return makeError("'" + name + "' has a truncated .npy header");
    headerLen = uint32_t(uint8_t(data[8])) | uint32_t(uint8_t(data[9])) << 8 |
                uint32_t(uint8_t(data[10])) << 16 | uint32_t(uint8_t(data[11])) << 24;
    headerStart = 12;
  }
  if (headerStart + headerLen > data.size())
    return makeError("'" + name + "' has a truncated .npy header");
  StringRef header = data.substr(headerStart, headerLen);
  if (headerField(header, "fortran_order") == "True")
    return makeError("'" + name + "' is in Fortran order; save it C-contiguous");
  StringRef dtype = headerField(header, "descr");
  Type element = typeOfDtype(ctx, dtype);
  if (!element)
    return makeError("'" + name + "' has unsupported dtype '" + dtype + "'");
  SmallVector<int64_t> shape;
  SmallVector<StringRef> dims;
  headerField(header, "shape").split(dims, ',', -1, false);
  for (StringRef d : dims) {
    int64_t v;
    if (d.trim().getAsInteger(10, v) || v < 0)
      return makeError("'" + name + "' has a malformed shape");
    shape.push_back(v);
  }
  // The header's shape must match the payload before anything is
  // allocated (and its product must not overflow).
  StringRef payload = data.drop_front(headerStart + headerLen);
  int64_t bytes = std::max(1u, element.getIntOrFloatBitWidth() / 8);
  int64_t expected = bytes;
  for (int64_t d : shape)
    if (llvm::MulOverflow(expected, d, expected))
      return makeError("'" + name + "' has a shape too large to hold");
  if ((int64_t)payload.size() != expected)
    return makeError("'" + name + "' holds " + llvm::Twine(payload.size()) +
                     " bytes, expected " + llvm::Twine(expected));
  bool widen = !keepFloatTypes && (element.isF64() || element.isF16());
  Tensor tensor(widen ? Type(Builder(ctx).getF32Type()) : element, shape);
  for (int64_t i = 0; i < tensor.getNumElements(); ++i) {
    const char *p = payload.data() + i * bytes;
    if (element.isF32()) {
      std::memcpy(&tensor.floats()[i], p, 4);
    } else if (element.isF64()) {
      double v;
      std::memcpy(&v, p, 8);
      tensor.floats()[i] = v;
    } else if (element.isF16()) {
      uint16_t bits;
      std::memcpy(&bits, p, 2);
      tensor.floats()[i] =
          llvm::APFloat(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits))
              .convertToFloat();
    } else {
      uint64_t raw = 0;
      std::memcpy(&raw, p, bytes);
      auto it = cast<IntegerType>(element);
      llvm::APInt v(std::max(8u, it.getWidth()), raw);
      tensor.ints()[i] = it.isUnsigned() || it.getWidth() == 1
                             ? (int64_t)v.getZExtValue()
                             : v.getSExtValue();
    }
  }
  return tensor;
}

std::string quantc::reference::serializeNpy(const Tensor &tensor) {
  std::string shape;
  for (int64_t d : tensor.getShape())
    shape += std::to_string(d) + ", ";
  if (tensor.getRank() > 1)
    shape.resize(shape.size() - 2);
  else if (tensor.getRank() == 1)
    shape.resize(shape.size() - 1);
  std::string header = llvm::formatv("{{'descr': '{0}', 'fortran_order': False, "
                                     "'shape': ({1}), }",
                                     dtypeOf(tensor.getElementType()), shape);
  // Pad so that the data starts 64-byte aligned, ending with a newline.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = "\x93NUMPY";
  out.push_back(1);
  out.push_back(0);
  out.push_back(char(header.size() & 0xff));
  out.push_back(char(header.size() >> 8));
  out += header;
  if (tensor.isFloat()) {
    out.append(reinterpret_cast<const char *>(tensor.floats().data()),
               tensor.getNumElements() * sizeof(float));
    return out;
  }
  unsigned bytes = bytesOf(cast<IntegerType>(storedElementType(tensor.getElementType())));
  for (int64_t v : tensor.ints())
    out.append(reinterpret_cast<const char *>(&v), bytes); // Little endian.
  return out;
}

llvm::Expected<NamedTensors> quantc::reference::readNpz(MLIRContext *ctx,
                                                        StringRef path,
                                                        bool keepFloatTypes) {
  int err = 0;
  zip_t *archive = zip_open(path.str().c_str(), ZIP_RDONLY, &err);
  if (!archive) {
    zip_error_t error;
    zip_error_init_with_code(&error, err);
    std::string msg = zip_error_strerror(&error);
    zip_error_fini(&error);
    return makeError("cannot read '" + path + "': " + msg);
  }
  NamedTensors result;
  auto closeWith = [&](llvm::Error e) -> llvm::Expected<NamedTensors> {
    zip_discard(archive);
    return std::move(e);
  };
  // Deflate expands at most ~1032:1: a member claiming more than that of
  // the whole archive is corrupt, and must not size an allocation.
  uint64_t archiveBytes = 0;
  if (llvm::sys::fs::file_size(path, archiveBytes))
    return closeWith(makeError("cannot read '" + path + "'"));
  constexpr uint64_t kMaxDeflateRatio = 1032;
  zip_int64_t count = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < count; ++i) {
    zip_stat_t st;
    if (zip_stat_index(archive, i, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
        st.size > archiveBytes * kMaxDeflateRatio + 1024)
      return closeWith(makeError("'" + path + "' is a corrupt archive"));
    std::string data(st.size, '\0');
    zip_file_t *file = zip_fopen_index(archive, i, 0);
    if (!file || zip_fread(file, data.data(), st.size) != (zip_int64_t)st.size) {
      if (file)
        zip_fclose(file);
      return closeWith(makeError("'" + path + "': cannot read member '" +
                                 st.name + "'"));
    }
    zip_fclose(file);
    StringRef name = StringRef(st.name);
    name.consume_back(".npy");
    auto tensor = parseNpy(ctx, data, (path + ":" + name).str(), keepFloatTypes);
    if (!tensor)
      return closeWith(tensor.takeError());
    result.emplace_back(name.str(), std::move(*tensor));
  }
  zip_discard(archive);
  return result;
}

llvm::Error quantc::reference::writeNpz(StringRef path,
                                        const NamedTensors &tensors) {
  std::string tmp = (path + ".partial").str();
  int err = 0;
  zip_t *archive = zip_open(tmp.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!archive)
    return makeError("cannot write '" + path + "'");
  // Buffers must outlive zip_close, which does the writing.
  std::vector<std::string> buffers;
  buffers.reserve(tensors.size());
  for (const auto &[name, tensor] : tensors) {
    buffers.push_back(serializeNpy(tensor));
    zip_source_t *src = zip_source_buffer(archive, buffers.back().data(),
                                          buffers.back().size(), 0);
    zip_int64_t idx = src ? zip_file_add(archive, (name + ".npy").c_str(), src,
                                         ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8)
                          : -1;
    if (idx < 0 || zip_set_file_compression(archive, idx, ZIP_CM_STORE, 0) != 0) {
      if (src && idx < 0)
        zip_source_free(src);
      zip_discard(archive);
      llvm::sys::fs::remove(tmp);
      return makeError("cannot add '" + name + "' to '" + path + "'");
    }
  }
  if (zip_close(archive) != 0) {
    zip_discard(archive);
    llvm::sys::fs::remove(tmp);
    return makeError("cannot write '" + path + "'");
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    return makeError("cannot write '" + path + "': " + ec.message());
  }
  return llvm::Error::success();
}

Type quantc::reference::carrierElementType(Type element) {
  if (isFloat8(element))
    return Float32Type::get(element.getContext());
  if (isSubByteInteger(element))
    return IntegerType::get(element.getContext(), 8,
                            element.isUnsignedInteger() ? IntegerType::Unsigned
                                                        : IntegerType::Signless);
  return element;
}

std::optional<std::string> quantc::reference::firstValueNotHeld(const Tensor &array,
                                                                 Type element) {
  if (auto narrow = dyn_cast<FloatType>(element)) {
    for (float v : array.floats()) {
      llvm::APFloat value(v);
      bool lost = false;
      if (!std::isnan(v) &&
          (value.convert(narrow.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven,
                         &lost) != llvm::APFloat::opOK ||
           lost))
        return std::to_string(v);
    }
    return std::nullopt;
  }
  auto integer = dyn_cast<IntegerType>(element);
  if (!integer || integer.getWidth() >= 64 || integer.getWidth() == 1)
    return std::nullopt;
  unsigned width = integer.getWidth();
  int64_t lo = integer.isUnsigned() ? 0 : -(int64_t(1) << (width - 1));
  int64_t hi = (int64_t(1) << (integer.isUnsigned() ? width : width - 1)) - 1;
  for (int64_t v : array.ints())
    if (v < lo || v > hi)
      return std::to_string(v);
  return std::nullopt;
}
