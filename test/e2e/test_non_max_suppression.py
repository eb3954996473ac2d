"""NonMaxSuppression's static output: ONNX Runtime's selected triples,
then rows of -1; the compiled library gives the evaluator's rows."""
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto

from conftest import BIN, ort_run, quant_run
from op_builders import const, single


def nms_model(center_point_box=0, score_threshold=True, max_per_class=3, iou=0.4):
    """Boxes of random sizes around a few centres, so that some overlap."""
    rng = np.random.default_rng(5)
    centres = rng.uniform(0, 10, (2, 12, 2))
    sizes = rng.uniform(1, 4, (2, 12, 2))
    if center_point_box:
        boxes = np.concatenate([centres, sizes], -1)
    else:  # [y1, x1, y2, x2], some corners given the other way round
        boxes = np.concatenate([centres[..., ::-1] - sizes / 2, centres[..., ::-1] + sizes / 2], -1)
        boxes[0, ::3] = boxes[0, ::3][:, [2, 3, 0, 1]]
    scores = rng.permutation(2 * 3 * 12).reshape(2, 3, 12).astype(np.float32) / 72
    inits = [const("m", np.array([max_per_class], np.int64)), const("i", np.array([iou], np.float32))]
    names = ["B", "S", "m", "i"]
    if score_threshold:
        inits.append(const("t", np.array([0.3], np.float32)))
        names.append("t")
    return single("NonMaxSuppression", {"B": boxes.astype(np.float32), "S": scores},
                  {"center_point_box": center_point_box}, inits, node_inputs=names,
                  outputs=("Y",), out_type=TensorProto.INT64)


NMS_CASES = {"corners": nms_model(), "centres": nms_model(1, False, 5, 0.2),
             "one per class": nms_model(0, True, 1, 0.5)}


@pytest.mark.parametrize("case", sorted(NMS_CASES))
def test_non_max_suppression(case, tmp_path):
    model, inputs = NMS_CASES[case]
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    expected = ort_run(path, inputs)["Y"]
    ours = quant_run(path, inputs, tmp_path)["Y"]
    assert ours.shape[0] >= expected.shape[0]
    np.testing.assert_array_equal(ours[:len(expected)], expected)
    assert (ours[len(expected):] == -1).all()
    library = tmp_path / "model.so"
    subprocess.run([str(BIN / "quantc"), str(path), "-o", str(library)], check=True)
    np.testing.assert_array_equal(quant_run(library, inputs, tmp_path)["Y"], ours)
