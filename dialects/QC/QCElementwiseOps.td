//===- QCElementwiseOps.td - qc element-wise operations ---*- tablegen -*-===//
//
// Included by QCOps.td after the tensor type constraints.
//
//===----------------------------------------------------------------------===//
#ifndef QUANTC_DIALECT_QC_ELEMENTWISE_OPS
#define QUANTC_DIALECT_QC_ELEMENTWISE_OPS

//===----------------------------------------------------------------------===//
// Element-wise unary operations
//===----------------------------------------------------------------------===//

class QC_UnaryOp<string mnemonic, string formula, list<Trait> traits = []>
    : QC_Op<mnemonic, !listconcat([SameOperandsAndResultType,
                                   InferTypeOpInterface], traits)> {
  let summary = "Element-wise " # mnemonic;
  let description = "Computes `" # formula # "` for every element.";
  let arguments = (ins QC_FloatTensor:$input);
  let results = (outs QC_FloatTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def QC_SqrtOp : QC_UnaryOp<"sqrt", "sqrt(x)">;
def QC_ExpOp : QC_UnaryOp<"exp", "exp(x)">;
def QC_LogOp : QC_UnaryOp<"log", "log(x)">;
def QC_NegOp : QC_UnaryOp<"neg", "-x (integers wrap)"> {
  let arguments = (ins QC_SignedNumberTensor:$input);
  let results = (outs QC_SignedNumberTensor:$output);
}
def QC_AbsOp : QC_UnaryOp<"abs", "|x| (integers wrap)"> {
  let arguments = (ins QC_SignedNumberTensor:$input);
  let results = (outs QC_SignedNumberTensor:$output);
}
def QC_ReciprocalOp : QC_UnaryOp<"reciprocal", "1 / x">;
def QC_RoundOp : QC_UnaryOp<"round", "x rounded to the nearest integer, ties to even">;
def QC_ReluOp : QC_UnaryOp<"relu", "max(x, 0)">;
def QC_SigmoidOp : QC_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def QC_TanhOp : QC_UnaryOp<"tanh", "tanh(x)">;
def QC_ErfOp : QC_UnaryOp<"erf", "erf(x)">;
def QC_HardSwishOp : QC_UnaryOp<"hard_swish", "x * max(0, min(1, x / 6 + 1 / 2))">;
def QC_SoftplusOp : QC_UnaryOp<"softplus", "log(1 + exp(x)), as x + log1p(exp(-x)) for x > 0">;
def QC_CosOp : QC_UnaryOp<"cos", "cos(x)">;
def QC_SinOp : QC_UnaryOp<"sin", "sin(x)">;
def QC_TanOp : QC_UnaryOp<"tan", "tan(x)">;
def QC_AcosOp : QC_UnaryOp<"acos", "acos(x)">;
def QC_AsinOp : QC_UnaryOp<"asin", "asin(x)">;
def QC_AtanOp : QC_UnaryOp<"atan", "atan(x)">;
def QC_CoshOp : QC_UnaryOp<"cosh", "cosh(x)">;
def QC_SinhOp : QC_UnaryOp<"sinh", "sinh(x)">;
def QC_AcoshOp : QC_UnaryOp<"acosh", "acosh(x)">;
def QC_AsinhOp : QC_UnaryOp<"asinh", "asinh(x)">;
def QC_AtanhOp : QC_UnaryOp<"atanh", "atanh(x)">;
def QC_CeilOp : QC_UnaryOp<"ceil", "the least integer not below x">;
def QC_FloorOp : QC_UnaryOp<"floor", "the greatest integer not above x">;
def QC_SoftsignOp : QC_UnaryOp<"softsign", "x / (1 + |x|)">;
def QC_MishOp : QC_UnaryOp<"mish", "x * tanh(softplus(x))">;
def QC_SignOp : QC_UnaryOp<"sign", "-1, 0 or 1 with the sign of x; NaN stays NaN"> {
  let arguments = (ins QC_SignedNumberTensor:$input);
  let results = (outs QC_SignedNumberTensor:$output);
}
def QC_EluOp : QC_UnaryOp<"elu", "x >= 0 ? x : alpha * (exp(x) - 1)"> {
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$alpha);
}
def QC_CeluOp : QC_UnaryOp<"celu", "max(0, x) + min(0, alpha * (exp(x / alpha) - 1))"> {
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$alpha);
  let hasVerifier = 1;
}
def QC_SeluOp
    : QC_UnaryOp<"selu", "gamma * (x > 0 ? x : alpha * (exp(x) - 1))"> {
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$alpha, F32Attr:$gamma);
}
def QC_ThresholdedReluOp
    : QC_UnaryOp<"thresholded_relu", "x > alpha ? x : 0"> {
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$alpha);
}
def QC_ShrinkOp : QC_UnaryOp<"shrink",
    "x < -lambd ? x + bias : (x > lambd ? x - bias : 0)"> {
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$bias, F32Attr:$lambd);
}

/// Float classification into booleans.
class QC_FloatPredicateOp<string mnemonic, string formula>
    : QC_Op<mnemonic, [InferTypeOpAdaptor]> {
  let summary = "Element-wise " # mnemonic;
  let description = "Computes `" # formula # "` for every element.";
  let results = (outs QC_BoolTensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *ctx, std::optional<::mlir::Location>,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      auto type = ::llvm::cast<::mlir::RankedTensorType>(adaptor.getInput().getType());
      types.push_back(type.clone(::mlir::IntegerType::get(ctx, 1)));
      return ::mlir::success();
    }
  }];
}
def QC_IsNaNOp : QC_FloatPredicateOp<"is_nan", "x != x"> {
  let arguments = (ins QC_FloatTensor:$input);
}
def QC_IsInfOp : QC_FloatPredicateOp<"is_inf",
    "x is +inf (when `detect_positive`) or -inf (when `detect_negative`)"> {
  let arguments = (ins QC_FloatTensor:$input, BoolAttr:$detect_positive,
                   BoolAttr:$detect_negative);
}
def QC_NotOp : QC_UnaryOp<"not", "!x"> {
  let summary = "Element-wise logical not";
  let arguments = (ins QC_BoolTensor:$input);
  let results = (outs QC_BoolTensor:$output);
}
def QC_IdentityOp : QC_UnaryOp<"identity", "x"> {
  let description = [{
    Returns its input unchanged. ONNX `Identity` and inference-mode `Dropout`
    import as this op; it folds away in `qc-simplify`.
  }];
  let arguments = (ins QC_Tensor:$input);
  let results = (outs QC_Tensor:$output);
  let hasFolder = 1;
}

def QC_LeakyReluOp : QC_UnaryOp<"leaky_relu", "x >= 0 ? x : alpha * x"> {
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$alpha);
}
def QC_HardSigmoidOp
    : QC_UnaryOp<"hard_sigmoid", "max(0, min(1, alpha * x + beta))"> {
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$alpha, F32Attr:$beta);
}
def QC_GeluOp : QC_UnaryOp<"gelu", "x * Phi(x), exact or with the tanh approximation"> {
  let arguments = (ins QC_FloatTensor:$input, BoolAttr:$approximate_tanh);
}
def QC_ClipOp : QC_UnaryOp<"clip", "min(max(x, min), max)"> {
  let arguments = (ins QC_FloatTensor:$input, F32Attr:$min, F32Attr:$max);
  let hasVerifier = 1;
}
def QC_SoftmaxOp : QC_UnaryOp<"softmax", "exp(x) / sum(exp(x)) along `axis`"> {
  let arguments = (ins QC_FloatTensor:$input, I64Attr:$axis);
  let hasVerifier = 1;
}
def QC_LogSoftmaxOp
    : QC_UnaryOp<"log_softmax", "log(softmax(x)) along `axis`"> {
  let arguments = (ins QC_FloatTensor:$input, I64Attr:$axis);
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Element-wise binary operations with numpy broadcasting
//===----------------------------------------------------------------------===//

class QC_BinaryOp<string mnemonic, string formula, list<Trait> traits = []>
    : QC_Op<mnemonic, !listconcat([InferTypeOpAdaptor], traits)> {
  let summary = "Element-wise " # mnemonic # " with broadcasting";
  let description = "Computes `" # formula # "` with numpy-style broadcasting "
                    "of the two operands.";
  let arguments = (ins QC_Tensor:$lhs, QC_Tensor:$rhs);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  // Comparisons return i1; arithmetic keeps the operand element type.
  bit isComparison = 0;
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *ctx, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::quantc::qc::inferBroadcastType(
          loc, adaptor.getOperands(), }] # !if(isComparison, "true", "false") # [{,
          types);
    }
    ::llvm::LogicalResult $cppClass::verify() {
      return ::quantc::qc::verifySameElementTypes(*this, getLhs(), getRhs());
    }
  }];
}

def QC_AddOp : QC_BinaryOp<"add", "lhs + rhs", [Commutative]>;
def QC_SubOp : QC_BinaryOp<"sub", "lhs - rhs">;
def QC_MulOp : QC_BinaryOp<"mul", "lhs * rhs", [Commutative]>;
def QC_DivOp : QC_BinaryOp<"div", "lhs / rhs">;
def QC_PowOp : QC_BinaryOp<"pow", "lhs ^ rhs">;
def QC_MinOp : QC_BinaryOp<"min", "min(lhs, rhs)", [Commutative]>;
def QC_MaxOp : QC_BinaryOp<"max", "max(lhs, rhs)", [Commutative]>;
def QC_PReluOp : QC_BinaryOp<"prelu", "lhs >= 0 ? lhs : rhs * lhs">;
def QC_EqualOp : QC_BinaryOp<"equal", "lhs == rhs", [Commutative]> {
  let isComparison = 1;
}
def QC_LessOp : QC_BinaryOp<"less", "lhs < rhs"> { let isComparison = 1; }
def QC_GreaterOp : QC_BinaryOp<"greater", "lhs > rhs"> { let isComparison = 1; }
def QC_LessEqualOp : QC_BinaryOp<"less_equal", "lhs <= rhs"> {
  let isComparison = 1;
}
def QC_GreaterEqualOp : QC_BinaryOp<"greater_equal", "lhs >= rhs"> {
  let isComparison = 1;
}

/// Logical operations on booleans (i1), with broadcasting.
class QC_LogicalOp<string mnemonic, string formula, list<Trait> traits = []>
    : QC_BinaryOp<mnemonic, formula, traits> {
  let summary = "Element-wise logical " # mnemonic # " with broadcasting";
  let arguments = (ins QC_BoolTensor:$lhs, QC_BoolTensor:$rhs);
  let results = (outs QC_BoolTensor:$output);
}
def QC_AndOp : QC_LogicalOp<"and", "lhs && rhs", [Commutative]>;
def QC_OrOp : QC_LogicalOp<"or", "lhs || rhs", [Commutative]>;
def QC_XorOp : QC_LogicalOp<"xor", "lhs != rhs", [Commutative]>;

def QC_ModOp : QC_BinaryOp<"mod", "lhs mod rhs"> {
  let description = [{
    ONNX `Mod` with numpy-style broadcasting. With `fmod` the remainder takes
    the sign of `lhs` (C `fmod`, truncated division); without it, the sign of
    `rhs` (Python `%`, floored division), which ONNX allows for integers
    only. An integer remainder by zero is zero.
  }];
  let arguments = (ins QC_Tensor:$lhs, QC_Tensor:$rhs,
                   DefaultValuedAttr<BoolAttr, "false">:$fmod);
}

/// Bitwise operations on integers, with broadcasting.
class QC_BitwiseOp<string mnemonic, string formula, list<Trait> traits = []>
    : QC_BinaryOp<mnemonic, formula, traits> {
  let summary = "Element-wise bitwise " # mnemonic # " with broadcasting";
  let arguments = (ins QC_IntegerTensor:$lhs, QC_IntegerTensor:$rhs);
  let results = (outs QC_IntegerTensor:$output);
}
def QC_BitwiseAndOp : QC_BitwiseOp<"bitwise_and", "lhs & rhs", [Commutative]>;
def QC_BitwiseOrOp : QC_BitwiseOp<"bitwise_or", "lhs | rhs", [Commutative]>;
def QC_BitwiseXorOp : QC_BitwiseOp<"bitwise_xor", "lhs ^ rhs", [Commutative]>;
def QC_ShiftLeftOp : QC_BitwiseOp<"shift_left", "lhs << rhs (0 from the width up)">;
def QC_ShiftRightOp
    : QC_BitwiseOp<"shift_right", "lhs >> rhs, logical (0 from the width up)">;
def QC_BitwiseNotOp : QC_Op<"bitwise_not", [SameOperandsAndResultType,
                                             InferTypeOpInterface]> {
  let summary = "Element-wise bitwise not";
  let description = "Computes `~x` for every integer element.";
  let arguments = (ins QC_IntegerTensor:$input);
  let results = (outs QC_IntegerTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def QC_WhereOp : QC_Op<"where", [InferTypeOpAdaptor]> {
  let summary = "Element-wise selection with broadcasting";
  let description = "Returns `condition ? lhs : rhs`, broadcasting all three.";
  let arguments = (ins QC_BoolTensor:$condition, QC_Tensor:$lhs, QC_Tensor:$rhs);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = [{
    $condition `,` $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def QC_CastOp : QC_Op<"cast"> {
  let summary = "Element type conversion";
  let description = [{
    Converts every element to the result element type. Float to integer
    truncates toward zero, as ONNX `Cast` does.
  }];
  let arguments = (ins QC_Tensor:$input);
  let results = (outs QC_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

#endif // QUANTC_DIALECT_QC_ELEMENTWISE_OPS
