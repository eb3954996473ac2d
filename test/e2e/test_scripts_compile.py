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


def test_engines_take_turns():
    """timing.time_interleaved: every runner warms up, then runs in turns of
    one untimed and per_turn - 1 timed runs, the order rotating."""
    import sys
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from timing import time_interleaved

    calls = []
    runners = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    medians = time_interleaved(runners, runs=8, warmup=2, per_turn=5, pause=0)
    assert set(medians) == set("abc")
    assert calls[:6] == list("aabbcc")
    turns = calls[6:]
    assert [turns[i] for i in range(0, len(turns), 5)] == list("abc" "bca")
    assert all(turns[i:i + 5] == [turns[i]] * 5 for i in range(0, len(turns), 5))
