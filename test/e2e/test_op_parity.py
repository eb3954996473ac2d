"""Every importer op through the reference evaluator and ONNX Runtime on
the same inputs: max relative error <= 1e-4 (combinations of ops:
test_combination_parity.py)."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto

from conftest import max_rel_error, quant_run
from op_builders import F, RNG, const, rand, single

X4 = {"X": rand(2, 3, 9, 9)}
CASES = {
    # Unary element-wise.
    **{op: single(op, {"X": rand(2, 3, 4)}) for op in
       ["Relu", "Sigmoid", "Tanh", "Neg", "Abs", "Erf", "HardSwish",
        "Exp", "Identity"]},
    # Large magnitudes too: exp would overflow in the naive formula.
    "Softplus": single("Softplus", {"X": rand(3, 40, low=-100.0, high=100.0)}),
    "Sqrt": single("Sqrt", {"X": rand(3, 4, low=0.1)}),
    "Log": single("Log", {"X": rand(3, 4, low=0.1)}),
    "Reciprocal": single("Reciprocal", {"X": rand(3, 4, low=0.5)}),
    # Ties (x.5) round to even.
    "Round": single("Round", {"X": (np.arange(-12, 12, dtype=np.float32) / 4).reshape(4, 6)}),
    "LeakyRelu": single("LeakyRelu", {"X": rand(3, 4)}, {"alpha": 0.3}),
    "HardSigmoid": single("HardSigmoid", {"X": rand(3, 4)}, {"alpha": 0.3, "beta": 0.4}),
    "Gelu": single("Gelu", {"X": rand(3, 4)}, opset=20),
    "GeluTanh": single("Gelu", {"X": rand(3, 4)}, {"approximate": "tanh"}, opset=20),
    "Clip10": single("Clip", {"X": rand(3, 4)}, {"min": -0.5, "max": 0.5}, opset=10),
    "Clip13": single("Clip", {"X": rand(3, 4)},
                     inits=[const("lo", np.float32(-0.5)), const("hi", np.float32(1.0))]),
    "ClipMinOnly": single("Clip", {"X": rand(3, 4)}, inits=[const("lo", np.float32(0))]),
    "ClipInt64": single("Clip", {"X": np.array([[-9, 0, 3], [120, 7, -1]], np.int64)},
                        inits=[const("lo", np.int64(-1)), const("hi", np.int64(100))],
                        out_type=TensorProto.INT64),
    "Dropout": single("Dropout", {"X": rand(3, 4)}),
    "DropoutMaskNoRatio": single("Dropout", {"X": rand(3, 4)}, inits=[const("r", np.float32(0)),
                                                                      const("t", True)],
                                 outputs=("Y", "M"), out_type=(F, TensorProto.BOOL)),
    "Softmax": single("Softmax", {"X": rand(2, 3, 5)}, {"axis": 1}),
    "SoftmaxLegacy": single("Softmax", {"X": rand(2, 3, 5)}, {"axis": 1}, opset=11),
    "LogSoftmax": single("LogSoftmax", {"X": rand(2, 3, 5)}),
    "Cast": single("Cast", {"X": rand(3, 4) * 4}, {"to": TensorProto.INT64},
                   out_type=TensorProto.INT64),
    # Binary with broadcasting.
    **{op: single(op, {"A": rand(2, 3, 4), "B": rand(3, 1)}) for op in
       ["Add", "Sub", "Mul", "Max", "Min"]},
    "Div": single("Div", {"A": rand(2, 3, 4), "B": rand(4, low=0.5)}),
    "Pow": single("Pow", {"A": rand(2, 3, low=0.1), "B": rand(2, 3)}),
    "PowIntExponent": single("Pow", {"A": rand(2, 3)}, inits=[const("e", np.int64(2))]),
    "PRelu": single("PRelu", {"X": rand(2, 3, 4, 4)}, inits=[const("s", rand(3, 1, 1))]),
    "Max3": single("Max", {"A": rand(2, 3), "B": rand(3), "C": rand(2, 1)}),
    "Sum": single("Sum", {"A": rand(2, 3), "B": rand(3)}),
    "Equal": single("Equal", {"A": np.array([1, 2, 3], np.int64), "B": np.array([1, 0, 3], np.int64)},
                    out_type=TensorProto.BOOL),
    "Less": single("Less", {"A": rand(2, 3), "B": rand(3)}, out_type=TensorProto.BOOL),
    "Greater": single("Greater", {"A": rand(2, 3), "B": rand(2, 1)}, out_type=TensorProto.BOOL),
    # Comparisons with ties, logical ops (decoder attention masks).
    "LessOrEqual": single("LessOrEqual", {"A": np.round(rand(2, 3)), "B": np.round(rand(3))},
                          out_type=TensorProto.BOOL),
    "GreaterOrEqualInt": single("GreaterOrEqual", {"A": np.array([[1, 2, 3], [3, 2, 1]], np.int64),
                                                   "B": np.array([2], np.int64)},
                                out_type=TensorProto.BOOL),
    **{op: single(op, {"A": RNG.random((2, 3)) > 0.5, "B": RNG.random(3) > 0.5},
                  out_type=TensorProto.BOOL) for op in ["And", "Or", "Xor"]},
    "Not": single("Not", {"X": RNG.random((2, 3)) > 0.5}, out_type=TensorProto.BOOL),
    "Cos": single("Cos", {"X": rand(3, 40, low=-50.0, high=50.0)}),
    "Sin": single("Sin", {"X": rand(3, 40, low=-50.0, high=50.0)}),
    # Inverse and hyperbolic trigonometry, each on its domain.
    **{op: single(op, {"X": rand(3, 7, low=low, high=high)}) for op, low, high in
       [("Tan", -1.4, 1.4), ("Acos", -1, 1), ("Asin", -1, 1), ("Atan", -20, 20),
        ("Cosh", -8, 8), ("Sinh", -8, 8), ("Acosh", 1, 50), ("Asinh", -50, 50),
        ("Atanh", -0.99, 0.99)]},
    # Halves and integers: rounding ties and exact values.
    **{op: single(op, {"X": (np.arange(-14, 14, dtype=np.float32) / 4).reshape(4, 7)})
       for op in ["Ceil", "Floor", "Sign"]},
    "SignSpecial": single("Sign", {"X": np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, 1e-30],
                                                 np.float32)}),
    "SignInt": single("Sign", {"X": np.array([[-5, 0, 3], [7, -1, 0]], np.int32)},
                      out_type=TensorProto.INT32),
    "Softsign": single("Softsign", {"X": rand(3, 9, low=-20, high=20)}),
    "Mish": single("Mish", {"X": rand(3, 40, low=-30, high=30)}, opset=18),
    "Elu": single("Elu", {"X": rand(3, 9, low=-6, high=3)}, {"alpha": 0.7}),
    "EluDefault": single("Elu", {"X": rand(3, 9, low=-6, high=3)}),
    "Celu": single("Celu", {"X": rand(3, 9, low=-6, high=3)}, {"alpha": 2.0}),
    "Selu": single("Selu", {"X": rand(3, 9, low=-6, high=3)}),
    "SeluAttrs": single("Selu", {"X": rand(3, 9, low=-6, high=3)}, {"alpha": 2.0, "gamma": 0.5}),
    "ThresholdedRelu": single("ThresholdedRelu", {"X": rand(3, 9)}, {"alpha": 0.5}),
    "Shrink": single("Shrink", {"X": rand(3, 9)}, {"bias": 0.25, "lambd": 0.75}),
    "ShrinkDefault": single("Shrink", {"X": rand(3, 9)}),
    "IsNaN": single("IsNaN", {"X": np.array([np.nan, 0, np.inf, -1], np.float32)},
                    out_type=TensorProto.BOOL),
    "IsInf": single("IsInf", {"X": np.array([np.nan, 0, np.inf, -np.inf, 3e38], np.float32)},
                    out_type=TensorProto.BOOL),
    "IsInfNegativeOnly": single("IsInf", {"X": np.array([np.inf, -np.inf, 1], np.float32)},
                                {"detect_positive": 0}, out_type=TensorProto.BOOL),
    # Mod: signs of both operands, broadcasting, integer and float forms.
    "ModInt": single("Mod", {"A": np.array([[-7, 7, -8, 8, 0], [5, -5, 9, -9, 3]], np.int64),
                             "B": np.array([3, -3, 4, -4, 2], np.int64)},
                     out_type=TensorProto.INT64),
    "ModIntFmod": single("Mod", {"A": np.array([[-7, 7, -8, 8], [5, -5, 9, -9]], np.int32),
                                 "B": np.array([3, -3, 5, -4], np.int32)}, {"fmod": 1},
                         out_type=TensorProto.INT32),
    "ModFloat": single("Mod", {"A": rand(3, 5, low=-9, high=9), "B": rand(5, low=0.5, high=3)},
                       {"fmod": 1}),
    # Bitwise ops (opset 18) and shifts (unsigned only in ONNX).
    **{op: single(op, {"A": np.array([[-6, 5, 12], [0, -1, 7]], np.int32),
                       "B": np.array([3, -4, 10], np.int32)}, opset=18, out_type=TensorProto.INT32)
       for op in ["BitwiseAnd", "BitwiseOr", "BitwiseXor"]},
    "BitwiseNot": single("BitwiseNot", {"X": np.array([0, -1, 7, 127], np.int8)}, opset=18,
                         out_type=TensorProto.INT8),
    "BitwiseNotUnsigned": single("BitwiseNot", {"X": np.array([0, 1, 200, 255], np.uint8)},
                                 opset=18, out_type=TensorProto.UINT8),
    "BitShiftLeft": single("BitShift", {"A": np.array([1, 3, 200, 255], np.uint8),
                                        "B": np.array([1, 2, 1, 7], np.uint8)},
                           {"direction": "LEFT"}, out_type=TensorProto.UINT8),
    "BitShiftRight": single("BitShift", {"A": np.array([[1, 3000, 4000000000]], np.uint32),
                                         "B": np.array([0, 3, 31], np.uint32)},
                            {"direction": "RIGHT"}, out_type=TensorProto.UINT32),
    "Mean": single("Mean", {"A": rand(2, 3), "B": rand(3), "C": rand(2, 1)}),
    "MeanSingle": single("Mean", {"A": rand(2, 3)}),
    "CastLike": single("CastLike", {"X": rand(3, 4) * 4, "T": np.array([1], np.int32)},
                       out_type=TensorProto.INT32, opset=15),
    "TriluUpper": single("Trilu", {"X": rand(2, 4, 5)}),
    "TriluLowerK": single("Trilu", {"X": rand(2, 4, 5)}, {"upper": 0},
                          inits=[const("k", np.array(-1, np.int64))]),
    "TriluUpperKInt": single("Trilu", {"X": RNG.integers(-9, 9, (5, 3)).astype(np.int64)},
                             inits=[const("k", np.array(2, np.int64))], out_type=TensorProto.INT64),
    "CumSum": single("CumSum", {"X": rand(2, 5, 3)}, inits=[const("a", np.array(1, np.int64))]),
    "CumSumExclusiveReverse": single("CumSum", {"X": rand(4, 6)}, {"exclusive": 1, "reverse": 1},
                                     inits=[const("a", np.array(-1, np.int64))]),
    "CumSumDouble": single("CumSum", {"X": rand(3, 6).astype(np.float64)}, {"reverse": 1},
                           inits=[const("a", np.array(-1, np.int32))], out_type=TensorProto.DOUBLE),
    "CumSumInt": single("CumSum", {"X": RNG.integers(0, 2, (2, 7)).astype(np.int64)},
                        inits=[const("a", np.array(1, np.int64))], out_type=TensorProto.INT64),
    "Where": single("Where", {"C": RNG.random((2, 3)) > 0.5, "A": rand(2, 3), "B": rand(3)}),
    # Linear algebra.
    "MatMul2D": single("MatMul", {"A": rand(5, 7), "B": rand(7, 3)}),
    "MatMulBatched": single("MatMul", {"A": rand(2, 1, 5, 7), "B": rand(3, 7, 4)}),
    "MatMulVec": single("MatMul", {"A": rand(7), "B": rand(2, 7, 3)}),
    "Gemm": single("Gemm", {"A": rand(4, 6), "B": rand(5, 6), "C": rand(5)},
                   {"alpha": 0.5, "beta": 2.0, "transB": 1}),
    "GemmTransA": single("Gemm", {"A": rand(6, 4), "B": rand(6, 5)}, {"transA": 1}, opset=11),
    "Einsum": single("Einsum", {"A": rand(2, 3, 4), "B": rand(2, 4, 5)}, {"equation": "bij,bjk->bik"}),
    "EinsumTranspose": single("Einsum", {"A": rand(3, 4)}, {"equation": "ij->ji"}),
    # The implicit output puts the ellipsis dims first.
    "EinsumEllipsis": single("Einsum", {"A": rand(2, 3, 4, 5), "B": rand(2, 3, 5, 6)},
                             {"equation": "...ij,...jk"}),
    "EinsumEllipsisDiagonal": single("Einsum", {"A": rand(2, 3, 4, 4)}, {"equation": "...ii ->...i"}),
    # Convolutions.
    "Conv": single("Conv", X4, {"pads": [1, 1, 1, 1], "strides": [2, 2]},
                   inits=[const("w", rand(4, 3, 3, 3)), const("b", rand(4))]),
    "ConvGroupDilated": single("Conv", {"X": rand(1, 4, 10, 10)}, {"group": 2, "dilations": [2, 2]},
                               inits=[const("w", rand(6, 2, 3, 3))]),
    "ConvDepthwiseSame": single("Conv", {"X": rand(1, 4, 9, 9)},
                                {"group": 4, "auto_pad": "SAME_UPPER", "strides": [2, 2]},
                                inits=[const("w", rand(4, 1, 3, 3))]),
    "ConvDepthwise5x5": single("Conv", {"X": rand(2, 6, 11, 13)},
                               {"group": 6, "pads": [2, 1, 2, 3], "dilations": [1, 2]},
                               inits=[const("w", rand(6, 1, 5, 5)), const("b", rand(6))]),
    "ConvSameLower": single("Conv", {"X": rand(1, 2, 8, 8)}, {"auto_pad": "SAME_LOWER"},
                            inits=[const("w", rand(3, 2, 4, 4))]),
    "Conv1D": single("Conv", {"X": rand(2, 3, 12)}, {"pads": [2, 1], "strides": [2]},
                     inits=[const("w", rand(5, 3, 3))]),
    # 3-d convolutions compile and quantize as 2-d ones over depth-unfolded inputs.
    "Conv3D": single("Conv", {"X": rand(2, 4, 5, 6, 7)},
                     {"pads": [1, 0, 1, 0, 1, 1], "strides": [1, 2, 1], "dilations": [2, 1, 1],
                      "group": 2},
                     inits=[const("w", rand(6, 2, 2, 3, 3)), const("b", rand(6))]),
    "ConvTranspose3D": single("ConvTranspose", {"X": rand(1, 4, 3, 4, 5)},
                              {"strides": [2, 1, 2], "pads": [1, 0, 0, 0, 1, 1], "group": 2,
                               "output_padding": [1, 0, 0]},
                              inits=[const("w", rand(4, 3, 3, 2, 3)), const("b", rand(6))]),
    "ConvTranspose": single("ConvTranspose", {"X": rand(1, 4, 5, 5)},
                            {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]},
                            inits=[const("w", rand(4, 3, 3, 3)), const("b", rand(3))]),
    "ConvTransposeGroupOutShape": single("ConvTranspose", {"X": rand(1, 4, 5, 5)},
                                         {"strides": [2, 2], "group": 2, "output_shape": [10, 10]},
                                         inits=[const("w", rand(4, 1, 3, 3))]),
    # Stride = window: no two taps meet (the compiled form is a matmul).
    "ConvTransposeStrideIsWindow": single("ConvTranspose", {"X": rand(2, 4, 5, 6)}, {"strides": [2, 2]},
                                          inits=[const("w", rand(4, 3, 2, 2)), const("b", rand(3))]),
    "ConvTransposeStrideIsWindowGrouped": single("ConvTranspose", {"X": rand(1, 4, 3, 4)},
                                                 {"strides": [3, 2], "group": 2},
                                                 inits=[const("w", rand(4, 2, 3, 2))]),
    "ConvTranspose1DStrideIsWindow": single("ConvTranspose", {"X": rand(1, 3, 7)}, {"strides": [4]},
                                            inits=[const("w", rand(3, 2, 4)), const("b", rand(2))]),
    # Dilated windows: a strided axis spreads the taps over the phases, a
    # stride-1 axis keeps the dilation.
    "ConvTransposeDilated": single("ConvTranspose", {"X": rand(1, 4, 5, 6)},
                                   {"strides": [2, 1], "dilations": [2, 3], "group": 2,
                                    "pads": [1, 0, 0, 2], "output_padding": [1, 0]},
                                   inits=[const("w", rand(4, 3, 3, 2)), const("b", rand(6))]),
    "ConvTranspose1DDilated": single("ConvTranspose", {"X": rand(1, 3, 7)},
                                     {"strides": [3], "dilations": [2]},
                                     inits=[const("w", rand(3, 2, 3))]),
    # Pooling and normalization.
    "BatchNormalization": single("BatchNormalization", X4, {"epsilon": 1e-3},
                                 inits=[const("s", rand(3)), const("b", rand(3)),
                                        const("m", rand(3)), const("v", rand(3, low=0.5))]),
    "InstanceNormalization": single("InstanceNormalization", X4,
                                    inits=[const("s", rand(3)), const("b", rand(3))]),
    "LayerNormalization": single("LayerNormalization", {"X": rand(2, 5, 8)},
                                 inits=[const("s", rand(8)), const("b", rand(8))]),
    "LayerNormalizationAxis": single("LayerNormalization", {"X": rand(2, 5, 8)}, {"axis": 1},
                                     inits=[const("s", rand(5, 8))]),
    # Shapes and data movement.
    "Reshape": single("Reshape", {"X": rand(2, 3, 4)}, inits=[const("s", np.array([0, -1], np.int64))]),
    "Flatten": single("Flatten", {"X": rand(2, 3, 4)}, {"axis": 2}),
    "Squeeze11": single("Squeeze", {"X": rand(2, 1, 4, 1)}, {"axes": [1]}, opset=11),
    "Squeeze13": single("Squeeze", {"X": rand(2, 1, 4, 1)}, inits=[const("a", np.array([-1], np.int64))]),
    "SqueezeAll": single("Squeeze", {"X": rand(2, 1, 4, 1)}),
    "Unsqueeze11": single("Unsqueeze", {"X": rand(2, 4)}, {"axes": [0, 3]}, opset=11),
    "Unsqueeze13": single("Unsqueeze", {"X": rand(2, 4)}, inits=[const("a", np.array([1, -1], np.int64))]),
    "Transpose": single("Transpose", {"X": rand(2, 3, 4)}, {"perm": [2, 0, 1]}),
    "TransposeDefault": single("Transpose", {"X": rand(2, 3, 4)}),
    "Concat": single("Concat", {"A": rand(2, 3), "B": rand(2, 5)}, {"axis": -1}),
    "Slice": single("Slice", {"X": rand(6, 8)},
                    inits=[const("s", np.array([1, -1], np.int64)), const("e", np.array([5, -9], np.int64)),
                           const("a", np.array([0, 1], np.int64)), const("p", np.array([2, -2], np.int64))]),
    "SliceLegacy": single("Slice", {"X": rand(6, 8)}, {"starts": [1], "ends": [1000], "axes": [1]}, opset=9),
    "Gather": single("Gather", {"X": rand(5, 4)}, {"axis": 0}, inits=[const("i", np.array([[0, 4], [-1, 2]], np.int64))]),
    "GatherAxis1": single("Gather", {"X": rand(3, 5, 2)}, {"axis": 1}, inits=[const("i", np.array(3, np.int64))]),
    "GatherElements": single("GatherElements", {"X": rand(3, 4)}, {"axis": 1},
                             inits=[const("i", np.array([[0, -1], [2, 1], [3, 3]], np.int64))]),
    "GatherElementsAxis0Int": single("GatherElements", {"X": np.arange(12, dtype=np.int64).reshape(3, 4)},
                                     inits=[const("i", np.array([[2, 0, 1, -1]], np.int64))],
                                     out_type=TensorProto.INT64),
    "ScatterNDRows": single("ScatterND", {"X": rand(4, 5), "U": rand(2, 5)},
                            node_inputs=["X", "i", "U"], inits=[const("i", np.array([[1], [-1]], np.int64))]),
    "ScatterNDElements": single("ScatterND", {"X": rand(2, 3, 4), "U": rand(3)},
                                node_inputs=["X", "i", "U"],
                                inits=[const("i", np.array([[0, 1, 2], [1, 2, 3], [0, 0, 0]], np.int64))]),
    "ScatterNDAdd": single("ScatterND", {"X": rand(4, 2), "U": rand(3, 2)}, {"reduction": "add"},
                           node_inputs=["X", "i", "U"],
                           inits=[const("i", np.array([[1], [1], [3]], np.int64))], opset=16),
    "Expand": single("Expand", {"X": rand(3, 1)}, inits=[const("s", np.array([2, 3, 4], np.int64))]),
    "Tile": single("Tile", {"X": rand(2, 3)}, inits=[const("r", np.array([2, 3], np.int64))]),
    "PadConstant": single("Pad", {"X": rand(2, 3)}, {"mode": "constant"},
                          inits=[const("p", np.array([1, 0, 2, 3], np.int64)), const("v", np.float32(1.5))]),
    "PadReflect": single("Pad", {"X": rand(1, 2, 4, 4)}, {"mode": "reflect"},
                         inits=[const("p", np.array([0, 0, 2, 1, 0, 0, 1, 3], np.int64))]),
    "PadEdge": single("Pad", {"X": rand(3, 4)}, {"mode": "edge"}, inits=[const("p", np.array([2, 1, 0, 2], np.int64))]),
    "PadWrap": single("Pad", {"X": rand(2, 3, 4)}, {"mode": "wrap"},
                      inits=[const("p", np.array([1, 0, 3, 0, 2, 2], np.int64))], opset=19),
    "PadLegacy": single("Pad", {"X": rand(3, 4)}, {"pads": [1, 1, 1, 1], "value": 2.0}, opset=10),
    "ReduceMean": single("ReduceMean", {"X": rand(2, 3, 4)}, {"axes": [1], "keepdims": 0}),
    "ReduceMean18": single("ReduceMean", {"X": rand(2, 3, 4)}, inits=[const("a", np.array([0, 2], np.int64))], opset=18),
    "ReduceSum": single("ReduceSum", {"X": rand(2, 3, 4)}, inits=[const("a", np.array([-1], np.int64))]),
    "ReduceSumAll": single("ReduceSum", {"X": rand(2, 3, 4)}, {"keepdims": 0}),
    "ReduceMax": single("ReduceMax", {"X": rand(2, 3, 4)}, {"axes": [0, 2]}),
    "ReduceMin": single("ReduceMin", {"X": rand(2, 3, 4)}, {"axes": [1]}),
    "ReduceProd": single("ReduceProd", {"X": rand(2, 3, 4, low=0.5, high=1.5)},
                         {"axes": [1], "keepdims": 0}, opset=17),
    "ReduceProd18": single("ReduceProd", {"X": rand(2, 3, 4, low=-1.5, high=1.5)},
                           inits=[const("a", np.array([0, -1], np.int64))], opset=18),
    **{op: single(op, {"X": rand(2, 3, 4)}, {"axes": [1, 2]}, opset=17)
       for op in ["ReduceL1", "ReduceL2", "ReduceSumSquare"]},
    "ReduceLogSum": single("ReduceLogSum", {"X": rand(2, 3, 4, low=0.1, high=2)},
                           {"keepdims": 0}, opset=17),
    "ReduceLogSumExp": single("ReduceLogSumExp", {"X": rand(2, 3, 4, low=-40, high=90)},
                              {"axes": [-1], "keepdims": 0}, opset=17),
    "ReduceLogSumExpAll18": single("ReduceLogSumExp", {"X": rand(2, 3, 4, low=-5, high=5)},
                                   opset=18),
    "ReduceL2Axes18": single("ReduceL2", {"X": rand(2, 3, 4)}, {"keepdims": 0},
                             inits=[const("a", np.array([0], np.int64))], opset=18),
    "GroupNormalization18": single("GroupNormalization", {"X": rand(2, 6, 3, 4)},
                                   {"num_groups": 3, "epsilon": 1e-3},
                                   inits=[const("s", rand(3)), const("b", rand(3))], opset=18),
    "GroupNormalization21": single("GroupNormalization", {"X": rand(2, 6, 5)}, {"num_groups": 2},
                                   inits=[const("s", rand(6)), const("b", rand(6))], opset=21),
    "MeanVarianceNormalization": single("MeanVarianceNormalization", {"X": rand(2, 3, 4, 5)}),
    "MeanVarianceNormalizationAxes": single("MeanVarianceNormalization", {"X": rand(2, 3, 4)},
                                            {"axes": [1, -1]}),
    "LpNormalization": single("LpNormalization", {"X": rand(3, 5)}),
    "LpNormalizationL1Axis0": single("LpNormalization", {"X": rand(3, 5)}, {"p": 1, "axis": 0}),
    "GlobalLpPool": single("GlobalLpPool", X4),
    "GlobalLpPoolP3": single("GlobalLpPool", {"X": rand(2, 3, 5)}, {"p": 3}),
    "LpPool": single("LpPool", X4, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    "LpPoolP1": single("LpPool", {"X": rand(1, 2, 7)}, {"kernel_shape": [2], "p": 1}),
    "LRN": single("LRN", X4, {"size": 3, "alpha": 0.01, "beta": 0.6, "bias": 2.0}),
    "DepthToSpaceDCR": single("DepthToSpace", {"X": rand(2, 8, 3, 2)}, {"blocksize": 2}),
    "DepthToSpaceCRD": single("DepthToSpace", {"X": rand(1, 18, 2, 3)}, {"blocksize": 3,
                                                                         "mode": "CRD"}),
    "SpaceToDepth": single("SpaceToDepth", {"X": rand(2, 3, 4, 6)}, {"blocksize": 2}),
    "OneHot": single("OneHot", {"I": np.array([[0, 3, -1], [2, 7, -5]], np.int64)},
                     inits=[const("d", np.array(5, np.int64)),
                            const("v", np.array([-1.0, 2.5], np.float32))],
                     node_inputs=["I", "d", "v"]),
    "OneHotAxis0Int": single("OneHot", {"I": np.array([1, 0, 2], np.float32)}, {"axis": 0},
                             inits=[const("d", np.array([3], np.int64)),
                                    const("v", np.array([0, 1], np.int64))],
                             node_inputs=["I", "d", "v"], out_type=TensorProto.INT64),
    "GatherND": single("GatherND", {"X": rand(3, 4, 5)},
                       inits=[const("i", np.array([[[0, 1], [2, -1]], [[1, 3], [0, 0]]], np.int64))]),
    "GatherNDBatch": single("GatherND", {"X": rand(2, 4, 3), "I": np.array([[[1], [3]], [[0], [-2]]],
                                                                           np.int64)},
                            {"batch_dims": 1}, opset=13),
    "GatherNDFull": single("GatherND", {"X": np.arange(24, dtype=np.int64).reshape(2, 3, 4)},
                           inits=[const("i", np.array([[1, 2, 3], [0, -1, 0]], np.int64))],
                           out_type=TensorProto.INT64),
    "ScatterElements": single("ScatterElements", {"X": rand(3, 4), "U": rand(2, 4)},
                              {"axis": 0}, node_inputs=["X", "i", "U"],
                              inits=[const("i", np.array([[1, 0, 2, -1], [0, 2, 1, 0]], np.int64))]),
    "ScatterElementsAdd": single("ScatterElements", {"X": rand(2, 5), "U": rand(2, 3)},
                                 {"axis": 1, "reduction": "add"}, node_inputs=["X", "i", "U"],
                                 inits=[const("i", np.array([[1, 1, 4], [0, -1, 0]], np.int64))],
                                 opset=16),
    "Scatter": single("Scatter", {"X": rand(3, 3), "U": rand(1, 2)}, {"axis": 1},
                      node_inputs=["X", "i", "U"], inits=[const("i", np.array([[2, 0]], np.int64))],
                      opset=10),
    "ReverseSequence": single("ReverseSequence", {"X": rand(4, 3, 2)},
                              {"time_axis": 0, "batch_axis": 1},
                              inits=[const("l", np.array([4, 1, 3], np.int64))]),
    "ReverseSequenceBatchFirst": single("ReverseSequence", {"X": rand(2, 5),
                                                            "L": np.array([2, 5], np.int64)},
                                        {"time_axis": 1, "batch_axis": 0}),
    "UpsampleNearest": single("Upsample", {"X": rand(1, 2, 3, 4)}, {"mode": "nearest"},
                              inits=[const("s", np.array([1, 1, 2, 1.5], np.float32))], opset=9),
    "UpsampleLinear": single("Upsample", {"X": rand(1, 2, 3, 4)},
                             {"mode": "linear", "scales": [1.0, 1.0, 2.0, 2.0]}, opset=8),
    "CenterCropPad": single("CenterCropPad", {"X": rand(5, 4, 3)},
                            {"axes": [0, -1]}, inits=[const("s", np.array([3, 7], np.int64))],
                            opset=18),
    "Compress": single("Compress", {"X": rand(3, 4)}, {"axis": 1},
                       inits=[const("c", np.array([True, False, True, True]))]),
    "CompressFlat": single("Compress", {"X": rand(2, 3)},
                           inits=[const("c", np.array([False, True, True, False, True]))]),
    "NonZero": single("NonZero", {}, inits=[const("x", np.array([[1, 0, 3], [0, 2, 0]], np.int64))],
                      out_type=TensorProto.INT64),
    "EyeLike": single("EyeLike", {"X": rand(3, 5)}, {"k": 1}),
    "EyeLikeInt": single("EyeLike", {"X": rand(4, 3)}, {"k": -2, "dtype": TensorProto.INT32},
                         out_type=TensorProto.INT32),
    # Ties: the first position (or the last with select_last_index).
    "ArgMax": single("ArgMax", {"X": np.array([[1, 3, 3, 0], [2, 2, -1, 2], [5, 1, 1, 5]],
                                              np.float32)}, {"axis": 1},
                     out_type=TensorProto.INT64),
    "ArgMaxLast": single("ArgMax", {"X": np.array([[1, 3, 3, 0], [2, 2, -1, 2]], np.float32)},
                         {"axis": -1, "keepdims": 0, "select_last_index": 1},
                         out_type=TensorProto.INT64),
    "ArgMinAxis0": single("ArgMin", {"X": rand(4, 3, 2)}, {"keepdims": 0},
                          out_type=TensorProto.INT64),
    "ArgMinInt": single("ArgMin", {"X": np.array([[4, -2, -2], [0, 9, 0]], np.int32)},
                        {"axis": 1}, out_type=TensorProto.INT64),
    "TopK": single("TopK", {"X": rand(3, 10)}, outputs=("V", "I"), out_type=(F, TensorProto.INT64),
                   inits=[const("k", np.array([4], np.int64))]),
    "TopKSmallestAxis0Ties": single(
        "TopK", {"X": np.array([[3, 1], [1, 1], [2, 0], [1, 5]], np.float32)},
        {"axis": 0, "largest": 0}, outputs=("V", "I"), out_type=(F, TensorProto.INT64),
        inits=[const("k", np.array([3], np.int64))]),
    "TopKOpset1": single("TopK", {"X": rand(2, 3, 6)}, {"k": 2}, outputs=("V", "I"), opset=9,
                         out_type=(F, TensorProto.INT64)),
    "Hardmax": single("Hardmax", {"X": np.array([[1, 3, 3], [0, -1, 0]], np.float32)}),
    "HardmaxLegacy": single("Hardmax", {"X": rand(2, 3, 4)}, {"axis": 1}, opset=11),
    "NegInt": single("Neg", {"X": np.array([[3, -7, 0, -128]], np.int8)}, out_type=TensorProto.INT8),
    "AbsInt64": single("Abs", {"X": np.array([5, -9, 0], np.int64)}, out_type=TensorProto.INT64),
    **{op: single(op, {}, inits=[const("n", np.array(10, np.int64))], node_inputs=["n"], opset=17)
       for op in ["HannWindow", "HammingWindow", "BlackmanWindow"]},
    "HannWindowSymmetric": single("HannWindow", {}, {"periodic": 0},
                                  inits=[const("n", np.array(7, np.int32))], opset=17),
    "MelWeightMatrix": single("MelWeightMatrix", {}, opset=17,
                              inits=[const("b", np.array(8, np.int64)), const("d", np.array(64, np.int64)),
                                     const("r", np.array(16000, np.int64)),
                                     const("lo", np.array(20.0, np.float32)),
                                     const("hi", np.array(7600.0, np.float32))]),
    "DFTReal": single("DFT", {"X": rand(2, 8, 1)}, opset=17),
    "DFTComplexOnesidedLength": single("DFT", {"X": rand(3, 10, 2)}, {"axis": 1, "onesided": 1},
                                       inits=[const("l", np.array(12, np.int64))], opset=17),
    "DFTInverse20": single("DFT", {"X": rand(2, 6, 3, 2)}, {"inverse": 1}, node_inputs=["X", "", "a"],
                           inits=[const("a", np.array(1, np.int64))], opset=20),
    "STFT": single("STFT", {"X": rand(2, 64, 1)}, node_inputs=["X", "s", "w"],
                   inits=[const("s", np.array(8, np.int64)),
                          const("w", (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(16) / 16)).astype(np.float32))],
                   opset=17),
    "STFTFrameLength": single("STFT", {"X": rand(1, 30, 1)}, {"onesided": 0},
                              node_inputs=["X", "s", "", "l"],
                              inits=[const("s", np.array(5, np.int64)), const("l", np.array(8, np.int64))],
                              opset=17),
    "AffineGrid": single("AffineGrid", {"T": rand(2, 2, 3)}, node_inputs=["T", "s"],
                         inits=[const("s", np.array([2, 3, 4, 5], np.int64))], opset=20),
    "AffineGrid3DAligned": single("AffineGrid", {"T": rand(1, 3, 4)}, {"align_corners": 1},
                                  node_inputs=["T", "s"],
                                  inits=[const("s", np.array([1, 1, 2, 3, 4], np.int64))], opset=20),
    "Col2Im": single("Col2Im", {"X": rand(2, 2 * 4, 12)}, node_inputs=["X", "i", "b"],
                     inits=[const("i", np.array([4, 5], np.int64)), const("b", np.array([2, 2], np.int64))],
                     opset=18),
    "Col2ImStridedPadded": single("Col2Im", {"X": rand(1, 3 * 6, 3)},
                                  {"strides": [2, 1], "pads": [1, 0, 1, 1], "dilations": [1, 2]},
                                  node_inputs=["X", "i", "b"],
                                  inits=[const("i", np.array([5, 4], np.int64)),
                                         const("b", np.array([2, 3], np.int64))], opset=18),
    "MaxUnpool": single("MaxUnpool", {"X": rand(1, 2, 2, 2)}, {"kernel_shape": [2, 2], "strides": [2, 2]},
                        node_inputs=["X", "I"],
                        inits=[const("I", np.array([[[[0, 3], [9, 14]], [[17, 18], [28, 31]]]], np.int64))]),
    **{f"GridSample{mode.title()}{padding.title()}{'Aligned' if align else ''}": single(
        "GridSample", {"X": rand(2, 3, 5, 6), "G": rand(2, 4, 7, 2, low=-1.3, high=1.3)},
        {"mode": mode, "padding_mode": padding, "align_corners": align}, opset=16)
       for mode, padding, align in [("bilinear", "zeros", 0), ("bilinear", "border", 1),
                                    ("bilinear", "reflection", 0), ("nearest", "zeros", 1),
                                    ("nearest", "reflection", 0), ("bicubic", "zeros", 0),
                                    ("bicubic", "reflection", 1)]},
    **{f"GridSample3D{mode.title()}{padding.title()}{'Aligned' if align else ''}": single(
        "GridSample", {"X": rand(2, 3, 4, 5, 6), "G": rand(2, 3, 4, 5, 3, low=-1.3, high=1.3)},
        {"mode": mode, "padding_mode": padding, "align_corners": align}, opset=20)
       for mode, padding, align in [("linear", "zeros", 0), ("linear", "reflection", 1),
                                    ("nearest", "border", 0)]},
    "Det": single("Det", {"X": rand(3, 4, 4)}),
    "DetSingular": single("Det", {"X": np.array([[1, 2], [2, 4]], np.float32)}),
    "RoiAlign": single("RoiAlign", {"X": rand(2, 3, 10, 12)}, {"output_height": 3, "output_width": 2,
                                                               "sampling_ratio": 2, "spatial_scale": 0.5},
                       node_inputs=["X", "r", "b"],
                       inits=[const("r", np.array([[1, 2, 15, 18], [0, 0, 23, 19], [4.5, 3, 9, 7.5]], np.float32)),
                              const("b", np.array([0, 1, 1], np.int64))], opset=16),
    "RoiAlignMaxOutputHalfPixel": single(
        "RoiAlign", {"X": rand(1, 2, 8, 8)}, {"mode": "max", "output_height": 2, "output_width": 2,
                                             "coordinate_transformation_mode": "output_half_pixel"},
        node_inputs=["X", "r", "b"],
        inits=[const("r", np.array([[0.5, 1, 6, 7.5], [2, 2, 3, 3]], np.float32)),
               const("b", np.array([0, 0], np.int64))], opset=16),
    "MaxRoiPool": single("MaxRoiPool", {"X": rand(2, 3, 8, 9)}, {"pooled_shape": [2, 3],
                                                               "spatial_scale": 0.5},
                         node_inputs=["X", "r"],
                         inits=[const("r", np.array([[0, 1, 1, 14, 12], [1, 0, 0, 3, 3],
                                                     [1, 6, 2, 16, 15]], np.float32))]),
    "DeformConv": single("DeformConv", {"X": rand(1, 4, 6, 7), "O": rand(1, 2 * 2 * 3 * 3, 6, 5, low=-1.5, high=1.5)},
                         {"offset_group": 2, "pads": [1, 0, 1, 0], "strides": [1, 1]},
                         node_inputs=["X", "W", "O", "B"],
                         inits=[const("W", rand(6, 4, 3, 3)), const("B", rand(6))], opset=19),
    "DeformConvGroupedMasked": single(
        "DeformConv", {"X": rand(2, 4, 7, 7), "O": rand(2, 2 * 2 * 2, 3, 3),
                       "M": rand(2, 2 * 2, 3, 3, low=0, high=1)},
        {"group": 2, "strides": [2, 2], "dilations": [2, 2]},
        node_inputs=["X", "W", "O", "", "M"], inits=[const("W", rand(4, 2, 2, 2))], opset=19),
    "ResizeNearest": single("Resize", {"X": rand(1, 2, 4, 5)}, {"mode": "nearest"},
                            node_inputs=["X", "", "sc"], inits=[const("sc", np.array([1, 1, 2, 2], np.float32))]),
    "ResizeLinear": single("Resize", {"X": rand(1, 2, 4, 5)}, {"mode": "linear"},
                           node_inputs=["X", "", "", "sz"], inits=[const("sz", np.array([1, 2, 7, 9], np.int64))]),
    "ResizeAlignCorners": single("Resize", {"X": rand(1, 2, 4, 5)},
                                 {"mode": "linear", "coordinate_transformation_mode": "align_corners"},
                                 node_inputs=["X", "", "sc"], inits=[const("sc", np.array([1, 1, 1.5, 2], np.float32))]),
    "ResizeNearestAsymmetricFloor": single(
        "Resize", {"X": rand(1, 1, 3, 3)},
        {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"},
        node_inputs=["X", "", "sc"], inits=[const("sc", np.array([1, 1, 2.5, 3], np.float32))]),
    "Resize10": single("Resize", {"X": rand(1, 1, 3, 3)}, {"mode": "nearest"},
                       node_inputs=["X", "sc"], inits=[const("sc", np.array([1, 1, 2, 2], np.float32))], opset=10),
    "ResizeCubic": single("Resize", {"X": rand(1, 2, 4, 5)}, {"mode": "cubic"},
                          node_inputs=["X", "", "", "sz"], inits=[const("sz", np.array([1, 2, 7, 9], np.int64))]),
    "ResizeCubicAlignCornersExcludeOutside": single(
        "Resize", {"X": rand(1, 1, 5, 6)},
        {"mode": "cubic", "coordinate_transformation_mode": "align_corners",
         "cubic_coeff_a": -0.5, "exclude_outside": 1},
        node_inputs=["X", "", "sc"], inits=[const("sc", np.array([1, 1, 1.5, 0.8], np.float32))]),
    "ResizeCubicAntialias": single("Resize", {"X": rand(1, 2, 9, 8)}, {"mode": "cubic", "antialias": 1},
                                   node_inputs=["X", "", "sc"],
                                   inits=[const("sc", np.array([1, 1, 0.6, 0.5], np.float32))], opset=18),
    "ResizeLinearAntialiasAxes": single(
        "Resize", {"X": rand(1, 2, 9, 10)}, {"mode": "linear", "antialias": 1, "axes": [3, 2]},
        node_inputs=["X", "", "", "sz"], inits=[const("sz", np.array([4, 5], np.int64))], opset=18),
    "ResizeTfCropAndResize": single(
        "Resize", {"X": rand(1, 2, 6, 7)},
        {"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize",
         "extrapolation_value": 2.5},
        node_inputs=["X", "roi", "", "sz"],
        inits=[const("roi", np.array([0, 0, -0.2, 0.3, 1, 1, 0.7, 1.4], np.float32)),
               const("sz", np.array([1, 2, 5, 6], np.int64))]),
    "ResizeTfCropAndResizeNearestAxes": single(
        "Resize", {"X": rand(1, 1, 6, 7)},
        {"mode": "nearest", "coordinate_transformation_mode": "tf_crop_and_resize", "axes": [3]},
        node_inputs=["X", "roi", "", "sz"],
        inits=[const("roi", np.array([0.25, 0.9], np.float32)), const("sz", np.array([4], np.int64))],
        opset=18),
    "ResizeHalfPixelSymmetric": single(
        "Resize", {"X": rand(1, 1, 4, 5)},
        {"mode": "linear", "coordinate_transformation_mode": "half_pixel_symmetric"},
        node_inputs=["X", "", "sc"], inits=[const("sc", np.array([1, 1, 2.3, 0.7], np.float32))], opset=19),
}


# Imported here, in the order the shared generator draws its values.
from pooling_cases import POOLING  # noqa: E402
from recurrent_cases import RECURRENT, is_batch_first, sequence_first  # noqa: E402

CASES.update(POOLING)
CASES.update(RECURRENT)



def integers(dtype, *shape):
    """Values with negatives, repeats and ties: -3 .. 4, reproducible."""
    return (np.arange(int(np.prod(shape))).reshape(shape) * 5 % 8 - 3).astype(dtype)


# Integer and bool reductions run exactly in the elements' own type.
INTEGER_REDUCTIONS = {
    "ReduceSumInt64": single("ReduceSum", {"X": integers(np.int64, 2, 3, 4)},
                             inits=[const("a", np.array([1], np.int64))], out_type=TensorProto.INT64),
    "ReduceSumInt32All": single("ReduceSum", {"X": integers(np.int32, 3, 5)}, {"keepdims": 0},
                                out_type=TensorProto.INT32),
    "ReduceProdInt64": single("ReduceProd", {"X": integers(np.int64, 4, 3)}, {"axes": [0]},
                              out_type=TensorProto.INT64),
    "ReduceMaxInt32": single("ReduceMax", {"X": integers(np.int32, 2, 3, 4)}, {"axes": [-1]},
                             out_type=TensorProto.INT32),
    "ReduceMinInt64": single("ReduceMin", {"X": integers(np.int64, 2, 3, 4)}, {"axes": [0, 2],
                             "keepdims": 0}, out_type=TensorProto.INT64),
    "ReduceMaxBool": single("ReduceMax", {"X": integers(np.int64, 3, 4) > 3},
                            inits=[const("a", np.array([1], np.int64))], opset=20,
                            out_type=TensorProto.BOOL),
    "ReduceMinBool": single("ReduceMin", {"X": integers(np.int64, 3, 4) > -3},
                            inits=[const("a", np.array([0], np.int64))], opset=20,
                            out_type=TensorProto.BOOL),
}
CASES.update(INTEGER_REDUCTIONS)

from training_cases import TRAINING  # noqa: E402
from tfidf_cases import TFIDF  # noqa: E402

CASES.update(TRAINING)
CASES.update(TFIDF)



# Ops ONNX Runtime 1.20 does not implement: ONNX's reference evaluator is
# their oracle.
ORT_LACKS = {"DeformConv"}


@pytest.mark.parametrize("case", sorted(CASES))
def test_op(parity, case, tmp_path):
    model, inputs = CASES[case]
    if model.graph.node[0].op_type in ORT_LACKS:
        check_against_onnx_reference(model, inputs, tmp_path)
        return
    parity(model, inputs, reference=sequence_first(model) if is_batch_first(model) else None)


# Where ONNX Runtime departs from the ONNX specification (or lacks a form of
# the op), ONNX's own reference evaluator is the oracle.
REFERENCE_CASES = {
    # ONNX Runtime samples cubic taps around the unclamped coordinate, as
    # PyTorch does; ONNX clamps the coordinate to the border first.
    "GridSampleCubicBorder": single("GridSample", {"X": rand(2, 3, 5, 6),
                                                   "G": rand(2, 4, 7, 2, low=-1.3, high=1.3)},
                                    {"mode": "cubic", "padding_mode": "border"}, opset=20),
    # ONNX Runtime 1.20 mis-transforms complex STFT frames.
    "STFTComplex": single("STFT", {"X": rand(1, 30, 2)}, {"onesided": 0},
                          node_inputs=["X", "s", "", "l"],
                          inits=[const("s", np.array(5, np.int64)), const("l", np.array(8, np.int64))],
                          opset=17),
}


def check_against_onnx_reference(model, inputs, tmp_path):
    from onnx.reference import ReferenceEvaluator
    expected = ReferenceEvaluator(model).run(None, inputs)
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    actual = quant_run(path, inputs, tmp_path)
    for got, want in zip(actual.values(), expected):
        assert got.shape == want.shape
        assert max_rel_error(got, want) <= 1e-4


@pytest.mark.parametrize("case", sorted(REFERENCE_CASES))
def test_op_against_onnx_reference(case, tmp_path):
    check_against_onnx_reference(*REFERENCE_CASES[case], tmp_path)
