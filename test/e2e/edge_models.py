"""Single-node ONNX models of every op the importer knows, with operands of
every dtype and of edge-case shapes (scalars, one element, empty, 2-d,
4-d), as constants (import-time folding evaluates them) or as graph inputs:
what fuzzing finds first. Used by test_robustness.py and as seeds of the
importer fuzzers (scripts/fuzz_seeds.py)."""
import itertools

import numpy as np
import onnx
from onnx import helper, numpy_helper

# (op type, operand count): the importer's ops, with their required inputs
# and, for some, optional ones too.
OPS = [
    ("Relu", 1), ("Sigmoid", 1), ("Tanh", 1), ("Sqrt", 1), ("Exp", 1), ("Log", 1),
    ("Neg", 1), ("Abs", 1), ("Reciprocal", 1), ("Round", 1), ("Erf", 1),
    ("HardSwish", 1), ("Softplus", 1), ("Cos", 1), ("Sin", 1), ("Not", 1),
    ("Identity", 1), ("Dropout", 1), ("LeakyRelu", 1), ("HardSigmoid", 1), ("Gelu", 1),
    ("Clip", 1), ("Clip", 3), ("Add", 2), ("Sub", 2), ("Mul", 2), ("Div", 2), ("Pow", 2),
    ("PRelu", 2), ("Equal", 2), ("Less", 2), ("Greater", 2), ("LessOrEqual", 2),
    ("GreaterOrEqual", 2), ("And", 2), ("Or", 2), ("Xor", 2), ("Min", 1), ("Min", 2),
    ("Max", 1), ("Max", 2), ("Sum", 1), ("Sum", 2), ("Where", 3), ("Cast", 1),
    ("Softmax", 1), ("LogSoftmax", 1), ("Conv", 2), ("ConvTranspose", 2), ("MatMul", 2),
    ("Gemm", 2), ("MaxPool", 1), ("AveragePool", 1), ("GlobalAveragePool", 1),
    ("GlobalMaxPool", 1), ("BatchNormalization", 5), ("InstanceNormalization", 3),
    ("LayerNormalization", 2), ("Einsum", 1), ("Resize", 1), ("Resize", 3),
    ("QuantizeLinear", 2), ("DequantizeLinear", 2), ("QLinearConv", 8),
    ("QLinearMatMul", 8), ("MatMulInteger", 2), ("ConvInteger", 2),
    ("DynamicQuantizeLinear", 1), ("GatherElements", 2), ("ScatterND", 3), ("Trilu", 1),
    ("CumSum", 2), ("Reshape", 2), ("Flatten", 1), ("Squeeze", 1), ("Squeeze", 2),
    ("Unsqueeze", 1), ("Unsqueeze", 2), ("Transpose", 1), ("Concat", 1), ("Concat", 2),
    ("Split", 1), ("Split", 2), ("Slice", 1), ("Slice", 3), ("Gather", 2), ("Shape", 1),
    ("ConstantOfShape", 1), ("Expand", 2), ("Tile", 2), ("Range", 3), ("Pad", 1),
    ("Pad", 2), ("ReduceSum", 1), ("ReduceSum", 2), ("ReduceMean", 1), ("ReduceMax", 1),
    ("ReduceMin", 1), ("com.microsoft.SimplifiedLayerNormalization", 2),
    ("SimplifiedLayerNormalization", 2), ("com.microsoft.SkipSimplifiedLayerNormalization", 3),
    ("com.microsoft.RotaryEmbedding", 4), ("com.microsoft.GroupQueryAttention", 1),
    ("com.microsoft.MultiHeadAttention", 1), ("com.microsoft.MatMulNBits", 3),
    ("Tan", 1), ("Acos", 1), ("Asin", 1), ("Atan", 1), ("Cosh", 1), ("Sinh", 1), ("Acosh", 1),
    ("Asinh", 1), ("Atanh", 1), ("Ceil", 1), ("Floor", 1), ("Sign", 1), ("Softsign", 1),
    ("Mish", 1), ("Elu", 1), ("Celu", 1), ("Selu", 1), ("ThresholdedRelu", 1), ("Shrink", 1),
    ("IsNaN", 1), ("IsInf", 1), ("Mod", 2), ("BitShift", 2), ("BitwiseAnd", 2),
    ("BitwiseOr", 2), ("BitwiseXor", 2), ("BitwiseNot", 1), ("Mean", 2), ("CastLike", 2),
    ("Size", 1), ("EyeLike", 1), ("ReduceProd", 1), ("ReduceL1", 1), ("ReduceL2", 1),
    ("ReduceSumSquare", 1), ("ReduceLogSum", 1), ("ReduceLogSumExp", 1), ("ArgMax", 1),
    ("ArgMin", 1), ("TopK", 2), ("Hardmax", 1), ("GroupNormalization", 3),
    ("MeanVarianceNormalization", 1), ("LpNormalization", 1), ("GlobalLpPool", 1),
    ("LpPool", 1), ("LRN", 1), ("DepthToSpace", 1), ("SpaceToDepth", 1), ("OneHot", 3),
    ("GatherND", 2), ("ScatterElements", 3), ("Scatter", 3), ("ReverseSequence", 2),
    ("Upsample", 2), ("CenterCropPad", 2), ("Compress", 2), ("NonZero", 1), ("LSTM", 3),
    ("GRU", 3), ("RNN", 3), ("If", 1), ("Loop", 3), ("Scan", 2), ("GridSample", 2),
    ("RoiAlign", 3), ("MaxRoiPool", 2), ("Det", 1), ("Col2Im", 3), ("MaxUnpool", 2),
    ("AffineGrid", 2), ("DFT", 1), ("STFT", 2), ("HannWindow", 1), ("MelWeightMatrix", 5),
    ("DeformConv", 3), ("NonMaxSuppression", 2), ("NonMaxSuppression", 5),
]
DTYPES = [np.float32, np.int64, np.bool_, np.int8, np.uint8, np.int32]
SHAPES = [(), (1,), (0,), (2, 3), (1, 1, 2, 2)]


def edge_model(op, count, dtype, shape, as_constants):
    """One node of `op` on `count` operands of `dtype` and `shape`."""
    domain = ""
    if op.startswith("com.microsoft."):
        domain, op = "com.microsoft", op.split(".")[-1]
    values = (np.arange(int(np.prod(shape))).reshape(shape) % 3).astype(dtype)
    names = [f"in{i}" for i in range(count)]
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    constants = [numpy_helper.from_array(values, n) for n in names] if as_constants else []
    inputs = [] if as_constants else [
        helper.make_tensor_value_info(n, elem, list(shape)) for n in names]
    node = helper.make_node(op, names, ["Y"], domain=domain)
    graph = helper.make_graph([node], op, inputs,
                              [helper.make_value_info("Y", onnx.TypeProto())], constants)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                   helper.make_opsetid("com.microsoft", 1)])


def edge_models(dtypes=DTYPES, shapes=SHAPES, modes=(True, False)):
    """(name, model) for every op, dtype, shape and mode."""
    for (op, count), dtype, shape, constants in itertools.product(OPS, dtypes, shapes, modes):
        name = (f"{op}_{count}_{np.dtype(dtype).name}_"
                f"{'x'.join(map(str, shape)) or 'scalar'}_{'const' if constants else 'input'}")
        yield name, edge_model(op, count, dtype, shape, constants)
