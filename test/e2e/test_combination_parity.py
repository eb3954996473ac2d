"""Combinations of importer ops (splits, shape chains, a small CNN,
attention, control flow, sequences) through the reference evaluator and ONNX
Runtime on the same inputs: max relative error <= 1e-4."""
import numpy as np
import pytest
from onnx import helper, TensorProto

from conftest import make_model
from control_flow_cases import CONTROL_FLOW
from op_builders import F, const, rand, vi
from sequence_cases import SEQUENCES


def split_model(opset):
    x = vi("X", [2, 6])
    outs = [vi(n, None) for n in ("Y0", "Y1")]
    if opset >= 13:
        node = helper.make_node("Split", ["X", "s"], ["Y0", "Y1"], axis=1)
        inits = [const("s", np.array([2, 4], np.int64))]
    else:
        node = helper.make_node("Split", ["X"], ["Y0", "Y1"], axis=1, split=[2, 4])
        inits = []
    return make_model([node], [x], outs, inits, opset), {"X": rand(2, 6)}


def split18_model():
    node = helper.make_node("Split", ["X"], ["Y0", "Y1", "Y2"], axis=0, num_outputs=3)
    return make_model([node], [vi("X", [7, 2])], [vi(n, None) for n in ("Y0", "Y1", "Y2")],
                      [], 18), {"X": rand(7, 2)}


def shape_chain_model():
    """Shape -> Gather -> Concat -> Reshape: resolved to a static shape."""
    nodes = [
        helper.make_node("Shape", ["X"], ["shape"]),
        helper.make_node("Gather", ["shape", "zero"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch", "zero1"], ["batch1"]),
        helper.make_node("Concat", ["batch1", "minus1"], ["target"], axis=0),
        helper.make_node("Reshape", ["X", "target"], ["flat"]),
        helper.make_node("ConstantOfShape", ["target2"], ["ones"],
                         value=helper.make_tensor("v", F, [1], [1.0])),
        helper.make_node("Range", ["r0", "r1", "r2"], ["rng"]),
        helper.make_node("Add", ["flat", "rng"], ["sum"]),
        helper.make_node("Mul", ["sum", "ones"], ["Y"]),
        helper.make_node("Constant", [], ["target2"], value_ints=[1, 12]),
    ]
    # Constant must come before its use.
    nodes.insert(0, nodes.pop())
    inits = [const("zero", np.array(0, np.int64)), const("zero1", np.array([0], np.int64)),
             const("minus1", np.array([-1], np.int64)), const("r0", np.float32(0)),
             const("r1", np.float32(6)), const("r2", np.float32(0.5))]
    return make_model(nodes, [vi("X", [2, 3, 4])], [vi("Y", None)], inits), {"X": rand(2, 3, 4)}


def small_cnn_model():
    """Conv -> BatchNorm -> Relu -> MaxPool -> Conv -> GAP -> Flatten -> Gemm -> Softmax."""
    nodes = [
        helper.make_node("Conv", ["X", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "g", "be", "m", "v"], ["bn"]),
        helper.make_node("Relu", ["bn"], ["r1"]),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2"], ["c2"], pads=[1, 1, 1, 1]),
        helper.make_node("HardSwish", ["c2"], ["h2"]),
        helper.make_node("GlobalAveragePool", ["h2"], ["gap"]),
        helper.make_node("Flatten", ["gap"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fw", "fb"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["Y"]),
    ]
    inits = [const("w1", rand(8, 3, 3, 3)), const("b1", rand(8)), const("g", rand(8)),
             const("be", rand(8)), const("m", rand(8)), const("v", rand(8, low=0.5)),
             const("w2", rand(16, 8, 3, 3)), const("fw", rand(10, 16)), const("fb", rand(10))]
    return make_model(nodes, [vi("X", [2, 3, 16, 16])], [vi("Y", None)], inits), {"X": rand(2, 3, 16, 16)}


def attention_model():
    """LayerNorm -> MatMul(QKV) -> Split -> Transpose -> MatMul -> Softmax -> MatMul -> Gelu."""
    nodes = [
        helper.make_node("LayerNormalization", ["X", "ls", "lb"], ["ln"]),
        helper.make_node("MatMul", ["ln", "wq"], ["q"]),
        helper.make_node("MatMul", ["ln", "wk"], ["k"]),
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "kt"], ["s"]),
        helper.make_node("Div", ["s", "scale"], ["ss"]),
        helper.make_node("Softmax", ["ss"], ["a"], axis=-1),
        helper.make_node("MatMul", ["a", "ln"], ["o"]),
        helper.make_node("Add", ["o", "X"], ["res"]),
        helper.make_node("Gelu", ["res"], ["Y"]),
    ]
    inits = [const("ls", rand(16)), const("lb", rand(16)), const("wq", rand(16, 16)),
             const("wk", rand(16, 16)), const("scale", np.float32(4.0))]
    return make_model(nodes, [vi("X", [2, 5, 16])], [vi("Y", None)], inits, 20), {"X": rand(2, 5, 16)}


def causal_mask_model():
    """The decoder exports' mask: key j is visible to query t when
    j <= past + t and attention_mask[b, j] is set; positions from CumSum."""
    i64 = np.int64
    nodes = [
        helper.make_node("Shape", ["attention_mask"], ["shape"]),
        helper.make_node("Gather", ["shape", "one"], ["total"], axis=0),
        helper.make_node("Range", ["zero", "total", "one"], ["keys"]),
        helper.make_node("Range", ["past", "total", "one"], ["queries"]),
        helper.make_node("Unsqueeze", ["keys", "axis0"], ["k2"]),
        helper.make_node("Unsqueeze", ["queries", "axis1"], ["q2"]),
        helper.make_node("LessOrEqual", ["k2", "q2"], ["causal"]),
        helper.make_node("Cast", ["attention_mask"], ["pad"], to=TensorProto.BOOL),
        helper.make_node("Unsqueeze", ["pad", "axes12"], ["pad4"]),
        helper.make_node("And", ["causal", "pad4"], ["keep"]),
        helper.make_node("Where", ["keep", "scores", "neg"], ["Y"]),
        helper.make_node("CumSum", ["attention_mask", "one"], ["count"]),
        helper.make_node("Sub", ["count", "one"], ["P"]),
    ]
    inits = [const("one", np.array(1, i64)), const("zero", np.array(0, i64)),
             const("past", np.array(3, i64)), const("axis0", np.array([0], i64)),
             const("axis1", np.array([1], i64)), const("axes12", np.array([1, 2], i64)),
             const("neg", np.float32(np.finfo(np.float32).min))]
    mask = np.array([[0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]], i64)
    inputs = {"attention_mask": mask, "scores": rand(2, 2, 3, 6)}
    outs = [vi("Y", None), vi("P", None, TensorProto.INT64)]
    return make_model(nodes, [vi("attention_mask", [2, 6], TensorProto.INT64),
                              vi("scores", [2, 2, 3, 6])], outs, inits), inputs


COMBOS = {
    "CausalMask": causal_mask_model(),
    "Split11": split_model(11),
    "Split13": split_model(13),
    "Split18": split18_model(),
    "ShapeChain": shape_chain_model(),
    "SmallCNN": small_cnn_model(),
    "Attention": attention_model(),
}
COMBOS.update(CONTROL_FLOW)
COMBOS.update(SEQUENCES)


@pytest.mark.parametrize("case", sorted(COMBOS))
def test_combination(parity, case):
    model, inputs = COMBOS[case]
    parity(model, inputs)


@pytest.mark.parametrize("case", ["SmallCNN", "ShapeChain"])
def test_combination_without_simplify(parity, case):
    model, inputs = COMBOS[case]
    parity(model, inputs, extra=["--simplify=false"])

