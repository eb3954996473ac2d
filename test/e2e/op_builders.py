"""Builders of one-node ONNX models on random inputs, shared by the op
parity cases; one generator, so that the cases' values are reproducible."""
import numpy as np
from onnx import helper, numpy_helper, TensorProto

from conftest import make_model

RNG = np.random.default_rng(1234)
F = TensorProto.FLOAT


def rand(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, size=shape).astype(np.float32)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def vi(name, shape, dtype=F):
    return helper.make_tensor_value_info(name, dtype, shape)


def single(op, inputs, attrs=None, inits=(), opset=17, outputs=("Y",),
           out_type=F, **kw):
    """A one-node model: `inputs` maps graph input names to arrays."""
    node_inputs = kw.pop("node_inputs", list(inputs) + [i.name for i in inits])
    node = helper.make_node(op, node_inputs, list(outputs), name=op.lower(),
                            **(attrs or {}))
    graph_inputs = [vi(n, a.shape, helper.np_dtype_to_tensor_dtype(a.dtype))
                    for n, a in inputs.items()]
    out_types = out_type if isinstance(out_type, tuple) else (out_type,) * len(outputs)
    model = make_model([node], graph_inputs, [vi(o, None, t) for o, t in zip(outputs, out_types)],
                       inits, opset)
    return model, inputs
