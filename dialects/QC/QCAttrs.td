//===- QCAttrs.td - qc dialect attributes ------------------*- tablegen -*-===//
#ifndef QUANTC_DIALECT_QC_ATTRS
#define QUANTC_DIALECT_QC_ATTRS

include "QC/QCDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def QC_RoundingMode : I32EnumAttr<"RoundingMode",
    "how a scaled integer is rounded to the nearest representable value", [
      I32EnumAttrCase<"HalfToEven", 0, "half_to_even">,
      I32EnumAttrCase<"HalfAwayFromZero", 1, "half_away_from_zero">,
      I32EnumAttrCase<"DoubleRound", 2, "double_round">,
      I32EnumAttrCase<"HalfUp", 3, "half_up">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::quantc::qc";
  let description = [{
    - `half_to_even`: ties go to the even neighbour (ONNX `QuantizeLinear`,
      and ONNX Runtime's float requantization).
    - `half_away_from_zero`: ties go away from zero with one rounding of the
      exact product (TFLite's reference requantization).
    - `double_round`: the gemmlowp scheme, a rounding doubling high multiply
      followed by a rounding right shift (TFLite's optimized kernels). It is
      not TOSA's `DOUBLE_ROUND`, which rounds once.
    - `half_up`: ties go towards +infinity with one rounding of the exact
      product, `(v * m + 2^(30 + shift)) >> (31 + shift)`: TOSA's
      `SINGLE_ROUND`, so graphs quantized with it export to `tosa.rescale`
      exactly.
  }];
}
def QC_RoundingModeAttr : EnumAttr<QC_Dialect, QC_RoundingMode, "rounding">;

def QC_Granularity : I32EnumAttr<"Granularity",
    "how many scales a quantized weight has", [
      I32EnumAttrCase<"PerTensor", 0, "per_tensor">,
      I32EnumAttrCase<"PerChannel", 1, "per_channel">,
      I32EnumAttrCase<"PerGroup", 2, "per_group">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::quantc::qc";
}
def QC_GranularityAttr : EnumAttr<QC_Dialect, QC_Granularity, "granularity">;

def QC_Scheme : I32EnumAttr<"Scheme", "whether activations have a zero point", [
      I32EnumAttrCase<"Symmetric", 0, "symmetric">,
      I32EnumAttrCase<"Asymmetric", 1, "asymmetric">
    ]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::quantc::qc";
}
def QC_SchemeAttr : EnumAttr<QC_Dialect, QC_Scheme, "scheme">;

//===----------------------------------------------------------------------===//
// Precision
//===----------------------------------------------------------------------===//

def QC_PrecisionAttr : AttrDef<QC_Dialect, "Precision"> {
  let mnemonic = "precision";
  let summary = "The numeric precision chosen for one layer";
  let description = [{
    Attached as `qc.precision` to a layer (conv, matmul, gemm) by hand, by
    `qc-quantize`'s options and override file, or by precision assignment.
    `activation` is the type the layer's inputs and output are quantized to
    (`i8`, `i16`) or kept in (`f32`, `bf16`, `f16`); `weight` is the type of
    its weights (`i8`, `i4`, or a float type). `granularity` says how many
    weight scales there are (one, one per output channel, or one per
    `group_size` consecutive elements of the reduction dimension), and
    `scheme` whether activations have a zero point.

    ```mlir
    #qc.precision<activation = i8, weight = i8, granularity = per_channel,
                  scheme = asymmetric, group_size = 0>
    ```
  }];
  let parameters = (ins "::mlir::Type":$activation, "::mlir::Type":$weight,
                        "Granularity":$granularity, "Scheme":$scheme,
                        "int64_t":$group_size);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Whether the layer's activations are integers.
    bool hasIntegerActivations() const {
      return ::llvm::isa<::mlir::IntegerType>(getActivation());
    }
    /// Whether the layer's weights are integers.
    bool hasIntegerWeights() const {
      return ::llvm::isa<::mlir::IntegerType>(getWeight());
    }
  }];
}

#endif // QUANTC_DIALECT_QC_ATTRS
