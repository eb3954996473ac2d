"""The pooling op cases (max with indices and integer inputs, average with
every padding and ceil-mode rule, Lp, global; 1-d to 3-d)."""
import numpy as np
from onnx import TensorProto

from op_builders import F, RNG, rand, single

X4 = {"X": rand(2, 3, 9, 9)}

POOLING = {
    "MaxPool": single("MaxPool", X4, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    "MaxPoolCeilDilated": single("MaxPool", X4, {"kernel_shape": [2, 2], "strides": [2, 2],
                                                 "ceil_mode": 1, "dilations": [2, 2]}),
    "MaxPoolUint8": single("MaxPool", {"X": RNG.integers(0, 256, (1, 2, 7, 6)).astype(np.uint8)},
                           {"kernel_shape": [3, 2], "strides": [2, 2], "pads": [1, 0, 1, 1]},
                           out_type=TensorProto.UINT8, opset=12),
    "MaxPoolInt8": single("MaxPool", {"X": RNG.integers(-128, 128, (1, 2, 5, 5)).astype(np.int8)},
                          {"kernel_shape": [2, 2], "ceil_mode": 1, "strides": [2, 2]},
                          out_type=TensorProto.INT8, opset=12),
    "MaxPoolIndices": single("MaxPool", X4, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
                             outputs=("Y", "I"), out_type=(F, TensorProto.INT64), opset=12),
    "MaxPoolIndicesColumnMajor": single("MaxPool", {"X": rand(1, 2, 7, 6)},
                                        {"kernel_shape": [2, 3], "strides": [2, 1], "dilations": [2, 1],
                                         "ceil_mode": 1, "storage_order": 1},
                                        outputs=("Y", "I"), out_type=(F, TensorProto.INT64), opset=12),
    "MaxPoolIndices1DInt8": single("MaxPool", {"X": RNG.integers(-128, 128, (2, 3, 11)).astype(np.int8)},
                                   {"kernel_shape": [3], "strides": [2], "pads": [1, 0]},
                                   outputs=("Y", "I"), out_type=(TensorProto.INT8, TensorProto.INT64),
                                   opset=12),
    "MaxPoolSame": single("MaxPool", X4, {"kernel_shape": [3, 3], "auto_pad": "SAME_UPPER"}),
    "AveragePool": single("AveragePool", X4, {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    "AveragePoolIncludePad": single("AveragePool", X4, {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1],
                                                        "count_include_pad": 1}),
    "AveragePoolCeil": single("AveragePool", X4, {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}),
    "AveragePoolDilated": single("AveragePool", X4, {"kernel_shape": [2, 3], "dilations": [2, 1],
                                                     "pads": [1, 1, 0, 1]}, opset=19),
    # The last row of windows reaches past the padding: every tap still counts.
    "AveragePoolCeilIncludePad": single("AveragePool", X4, {"kernel_shape": [3, 2], "strides": [3, 3],
                                                            "dilations": [2, 1], "pads": [0, 1, 0, 1],
                                                            "ceil_mode": 1, "count_include_pad": 1},
                                        opset=19),
    "MaxPool3D": single("MaxPool", {"X": rand(1, 2, 5, 6, 4)},
                        {"kernel_shape": [2, 3, 2], "strides": [1, 2, 1], "pads": [0, 1, 1, 1, 1, 0],
                         "dilations": [2, 1, 1]}),
    "AveragePool3DIncludePad": single(
        "AveragePool", {"X": rand(1, 2, 5, 6, 4)},
        {"kernel_shape": [3, 2, 2], "strides": [2, 1, 1], "pads": [1, 0, 1, 1, 1, 0],
         "count_include_pad": 1}),
    "LpPool3D": single("LpPool", {"X": rand(1, 1, 4, 5, 3)}, {"kernel_shape": [2, 2, 2], "p": 2},
                       opset=18),
    "GlobalAveragePool": single("GlobalAveragePool", X4),
    "GlobalMaxPool": single("GlobalMaxPool", X4),
}
