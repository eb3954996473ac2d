"""docs/onnx-coverage.md is generated (scripts/onnx_coverage.py) from the
importer's table, ONNX's backend node tests run here and the project's op
cases: it must match what the code does now."""
import os
import subprocess
import sys

from conftest import BIN, ROOT


def test_onnx_coverage_doc_is_current():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "onnx_coverage.py"),
                           "--bin", str(BIN), "--check"],
                          capture_output=True, text=True, env={**os.environ})
    assert proc.returncode == 0, proc.stderr


def test_every_failing_node_test_has_a_reason():
    """A node test of an imported operator that fails is listed with why
    (quantc following ONNX Runtime, or a random training mask); a new
    failure without one is a regression to look at."""
    text = (ROOT / "docs" / "onnx-coverage.md").read_text()
    failures = text.split("## Node tests of imported operators that fail", 1)[1]
    assert "| `test_" in failures and "not explained yet" not in failures
