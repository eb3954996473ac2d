"""The op cases of ops that training graphs use: NegativeLogLikelihoodLoss
and SoftmaxCrossEntropyLoss (every reduction, class weights, ignore_index
negative and inside the class range, int32 and int64 targets, targets from
the graph and constant ones, extra dimensions, the log-probability output)
and BatchNormalization in training mode. Values come from their own
generator, so the other cases keep theirs."""
import numpy as np

from op_builders import F, const, single

RNG = np.random.default_rng(20)


def scores(*shape):
    return RNG.uniform(-3, 1, size=shape).astype(np.float32)


def targets(classes, *shape, dtype=np.int64, ignored=None):
    t = RNG.integers(0, classes, size=shape).astype(dtype)
    if ignored is not None:
        t.flat[::3] = ignored
    return t


def weights(classes):
    return RNG.uniform(0.2, 2, size=classes).astype(np.float32)


TRAINING = {
    "NLLLossMeanWeightIgnoreNegative": single(
        "NegativeLogLikelihoodLoss",
        {"X": scores(3, 4, 2), "T": targets(4, 3, 2, ignored=-1), "W": weights(4)},
        {"ignore_index": -1}, outputs=("L",), opset=13),
    "NLLLossNoneInt32": single(
        "NegativeLogLikelihoodLoss", {"X": scores(5, 6), "T": targets(6, 5, dtype=np.int32)},
        {"reduction": "none"}, outputs=("L",), opset=12),
    "NLLLossSumIgnoreInRange": single(
        "NegativeLogLikelihoodLoss", {"X": scores(2, 3, 2, 3), "T": targets(3, 2, 2, 3)},
        {"reduction": "sum", "ignore_index": 1}, outputs=("L",), opset=13),
    "NLLLossMeanNoWeightIgnore": single(
        "NegativeLogLikelihoodLoss", {"X": scores(4, 3, 5), "T": targets(3, 4, 5, ignored=7)},
        {"ignore_index": 7}, outputs=("L",), opset=13),
    # Constant labels: float inputs only, so the case is quantized too.
    "SCEMeanWeightIgnoreLogProb": single(
        "SoftmaxCrossEntropyLoss", {"X": scores(3, 5, 4)},
        {"ignore_index": -2}, outputs=("L", "P"), opset=13, node_inputs=["X", "t", "w"],
        inits=[const("t", targets(5, 3, 4, ignored=-2)), const("w", weights(5))]),
    "SCENone": single(
        "SoftmaxCrossEntropyLoss", {"X": scores(4, 7), "T": targets(7, 4)},
        {"reduction": "none"}, outputs=("L",), opset=12),
    "SCESumLogProb": single(
        "SoftmaxCrossEntropyLoss", {"X": scores(2, 3, 2, 2), "T": targets(3, 2, 2, 2)},
        {"reduction": "sum"}, outputs=("L", "P"), opset=13, out_type=(F, F)),
    # The batch's statistics normalize it; the running ones move towards them.
    "BatchNormalizationTraining": single(
        "BatchNormalization", {"X": scores(2, 3, 5, 4)},
        {"training_mode": 1, "momentum": 0.7, "epsilon": 1e-3}, outputs=("Y", "RM", "RV"),
        opset=15, inits=[const("s", weights(3)), const("b", scores(3)),
                         const("m", scores(3)), const("v", weights(3))]),
}
