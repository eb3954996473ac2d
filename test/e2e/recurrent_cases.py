"""The LSTM, GRU and RNN op cases (every direction, activations, states,
peepholes, sequence lengths and layouts), and the layout = 0 form of a
batch-first case that ONNX Runtime checks it against."""
import numpy as np
import onnx
from onnx import helper

from op_builders import const, rand, single


def recurrent(op, gates, hidden=5, seq=4, batch=3, size=6, directions=1, attrs=None,
              bias=True, lens=None, lens_input=False, initial=False, peepholes=False,
              layout=0, opset=14):
    """One LSTM/GRU/RNN node on random weights; every output is checked."""
    attrs = {"hidden_size": hidden, **(attrs or {})}
    if layout:
        attrs["layout"] = layout
    x_shape = (batch, seq, size) if layout else (seq, batch, size)
    state_shape = (batch, directions, hidden) if layout else (directions, batch, hidden)
    inputs = {"X": rand(*x_shape)}
    inits = [const("W", rand(directions, gates * hidden, size, low=-0.7, high=0.7)),
             const("R", rand(directions, gates * hidden, hidden, low=-0.7, high=0.7))]
    names = ["X", "W", "R", "", "", "", "", ""]
    if bias:
        inits.append(const("B", rand(directions, 2 * gates * hidden, low=-0.5, high=0.5)))
        names[3] = "B"
    if lens is not None:
        lens = np.asarray(lens, np.int32)
        if lens_input:
            inputs["L"] = lens
        else:
            inits.append(const("L", lens))
        names[4] = "L"
    if initial:
        inputs["H0"] = rand(*state_shape)
        names[5] = "H0"
        if op == "LSTM":
            inputs["C0"] = rand(*state_shape)
            names[6] = "C0"
    if peepholes:
        inits.append(const("P", rand(directions, 3 * hidden)))
        names[7] = "P"
    while names[-1] == "":
        names.pop()
    outputs = ("Y", "Y_h", "Y_c") if op == "LSTM" else ("Y", "Y_h")
    return single(op, inputs, attrs, inits, opset, outputs, node_inputs=names)


RECURRENT = {
    "LSTM": recurrent("LSTM", 4),
    "LSTMReverseNoBias": recurrent("LSTM", 4, attrs={"direction": "reverse"}, bias=False),
    "LSTMBidirectionalStates": recurrent("LSTM", 4, directions=2, initial=True,
                                         attrs={"direction": "bidirectional"}),
    "LSTMPeepholesClip": recurrent("LSTM", 4, peepholes=True, initial=True, attrs={"clip": 0.8}),
    "LSTMInputForget": recurrent("LSTM", 4, attrs={"input_forget": 1}),
    "LSTMSequenceLens": recurrent("LSTM", 4, directions=2, lens=[4, 2, 1],
                                  attrs={"direction": "bidirectional"}),
    "LSTMSequenceLensInput": recurrent("LSTM", 4, lens=[3, 4, 1], lens_input=True,
                                       attrs={"direction": "reverse"}),
    "LSTMBatchFirst": recurrent("LSTM", 4, layout=1, initial=True, directions=2,
                                attrs={"direction": "bidirectional"}),
    "LSTMActivations": recurrent("LSTM", 4, attrs={
        "activations": ["HardSigmoid", "LeakyRelu", "ScaledTanh"],
        "activation_alpha": [0.3, 0.1, 0.8], "activation_beta": [0.4, 1.2]}),
    "GRU": recurrent("GRU", 3, initial=True),
    "GRULinearBeforeReset": recurrent("GRU", 3, directions=2,
                                      attrs={"linear_before_reset": 1, "direction": "bidirectional"}),
    "GRUSequenceLens": recurrent("GRU", 3, lens=[1, 4, 3], attrs={"direction": "reverse"}),
    "GRUActivations": recurrent("GRU", 3, attrs={"activations": ["Sigmoid", "Softsign"]}),
    "RNN": recurrent("RNN", 1, initial=True),
    "RNNBidirectionalRelu": recurrent("RNN", 1, directions=2, attrs={
        "direction": "bidirectional", "activations": ["Relu", "Sigmoid"]}),
    "GRUAffine": recurrent("GRU", 3, attrs={"activations": ["Sigmoid", "Affine"],
                                            "activation_alpha": [0.5], "activation_beta": [0.1]}),
    "RNNBatchFirstLens": recurrent("RNN", 1, layout=1, lens=[2, 4, 3]),
}


def sequence_first(model):
    """The layout = 0 form of a batch-first recurrent node, with transposes
    around it (ONNX Runtime implements layout = 1 for none of them)."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    node = graph.node[0]
    for attr in node.attribute:
        if attr.name == "layout":
            attr.i = 0
    nodes = []
    for slot, perm in ((0, [1, 0, 2]), (5, [1, 0, 2]), (6, [1, 0, 2])):
        if slot < len(node.input) and node.input[slot]:
            name = node.input[slot]
            nodes.append(helper.make_node("Transpose", [name], [name + "_t"], perm=perm))
            node.input[slot] = name + "_t"
    nodes.append(node)
    for slot, perm in enumerate(([2, 0, 1, 3], [1, 0, 2], [1, 0, 2])):
        if slot < len(node.output):
            name = node.output[slot]
            node.output[slot] = name + "_t"
            nodes.append(helper.make_node("Transpose", [name + "_t"], [name], perm=perm))
    del graph.node[:]
    graph.node.extend(nodes)
    return model


def is_batch_first(model):
    return any(a.name == "layout" and a.i == 1 for a in model.graph.node[0].attribute)
