"""The benchmark and helper scripts are run by hand, not by the suite: each
must at least compile, so that a broken one is caught here rather than on
the day someone measures with it."""
import pathlib

import pytest

from conftest import ROOT

SCRIPTS = sorted(p for folder in ("benchmarks", "scripts") for p in (ROOT / folder).glob("*.py"))


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_script_compiles(path):
    compile(path.read_text(), str(path), "exec")


def test_scripts_are_found():
    assert pathlib.Path(ROOT / "benchmarks" / "llm_speed.py") in SCRIPTS
