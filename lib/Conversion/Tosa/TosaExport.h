//===- TosaExport.h - internals of convert-qc-to-tosa ----------*- C++ -*-===//
#ifndef QUANTC_LIB_CONVERSION_TOSA_TOSAEXPORT_H
#define QUANTC_LIB_CONVERSION_TOSA_TOSAEXPORT_H

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#include <optional>

namespace quantc::tosa_export {

/// Quantized tensors as their storage integers (TOSA keeps zero points on
/// the ops); every other type as it is.
class StorageTypeConverter : public mlir::TypeConverter {
public:
  StorageTypeConverter();
};

/// The zero point of a per-tensor type, or of a per-axis type whose zero
/// points all agree (TOSA has one zero point per operand).
std::optional<int64_t> uniformZeroPoint(mlir::Type type);

/// One pattern per exported qc op.
void populateQCToTosaPatterns(StorageTypeConverter &converter,
                              mlir::RewritePatternSet &patterns);

} // namespace quantc::tosa_export

#endif // QUANTC_LIB_CONVERSION_TOSA_TOSAEXPORT_H
