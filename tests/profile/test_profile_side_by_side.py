"""Tables profiled side by side on sessions sharing one snapshot: the same profile as one by one,
and the small executor that runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from paritygen.parallel import Unit, UnitsFailed, run_units
from paritygen.profile.io import profile_to_dict, read_profile
from paritygen.profile.run import profile_database
from paritygen.run.generate import generate_database

PROFILE = Path(__file__).resolve().parents[2] / "profiles" / "demo-shop.yaml"


def test_tables_profiled_side_by_side_give_the_same_profile(pg_url: str) -> None:
    generate_database(read_profile(PROFILE), pg_url, seed=3, scale=0.1, progress=False)
    found = []
    for jobs in (1, 3):
        data = profile_to_dict(profile_database(pg_url, progress=False, jobs=jobs))
        for volatile in ("captured_at", "duration_seconds"):
            data["source"].pop(volatile, None)
        found.append(data)
    assert found[0] == found[1]
    assert len(found[0]["tables"]) == 14


def test_units_wait_for_their_dependencies_and_report_failures() -> None:
    finished: list[str] = []

    def work(name: str) -> str:
        finished.append(name)
        return name.upper()

    units = [
        Unit("child", lambda: work("child"), after=frozenset({"parent"})),
        Unit("parent", lambda: work("parent")),
        Unit("other", lambda: work("other"), apart_from=frozenset({"parent"})),
    ]
    results = run_units(units, 3)
    assert results == {"child": "CHILD", "parent": "PARENT", "other": "OTHER"}
    assert finished.index("parent") < finished.index("child")

    def fail() -> None:
        raise ValueError("no")

    with pytest.raises(UnitsFailed) as failed:
        run_units([Unit("bad", fail), Unit("after", lambda: 1, after=frozenset({"bad"}))], 2)
    assert isinstance(failed.value.cause, ValueError)
    assert failed.value.running == ["bad"] and failed.value.pending == ["after"]
