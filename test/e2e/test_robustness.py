"""Bad models must give diagnostics, never crashes: every op the importer
knows, on operands of every dtype and of edge-case shapes, as constants
(import-time folding runs the evaluator's kernels on them) and as graph
inputs (then the evaluator runs the imported model)."""
import concurrent.futures
import subprocess

import numpy as np
import onnx

from conftest import BIN
from edge_models import edge_models


def outcome(path, tool_args):
    proc = subprocess.run([str(BIN / tool_args[0]), str(path), *tool_args[1:]],
                          capture_output=True, text=True, timeout=120)
    crashed = proc.returncode not in (0, 1) or "Stack dump" in proc.stderr
    return proc.returncode, crashed, proc.stderr[-400:]


def test_edge_case_operands_never_crash(tmp_path):
    paths = []
    for name, model in edge_models(dtypes=[np.float32, np.int64, np.bool_],
                                   shapes=[(), (1,), (0,), (2, 3)]):
        path = tmp_path / f"{name}.onnx"
        onnx.save(model, path)
        paths.append(path)

    def check(path):
        crashes = []
        rc, crashed, err = outcome(path, ["quant-opt", "-o", "/dev/null"])
        if crashed:
            crashes.append(f"quant-opt {path.name}: {err}")
        elif rc == 0 and path.name.endswith("_input.onnx"):
            _, crashed, err = outcome(path, ["quant-run", "--random-inputs", "1"])
            if crashed:
                crashes.append(f"quant-run {path.name}: {err}")
        return crashes

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        crashes = [c for found in pool.map(check, paths) for c in found]
    assert not crashes, f"{len(crashes)} of {len(paths)} models crash:\n" + "\n".join(crashes[:5])
