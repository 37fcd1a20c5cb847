"""The job file: the minimal job as the issue writes it, path-precise errors, placeholders."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from paritygen.errors import ConfigError
from paritygen.jobs.config import job_from_dict, load_job, render_path

MINIMAL = """\
source: env:PROD_URL
target: env:STAGING_URL
environment: staging
profile: profiles/shop.yaml
mode: generate          # or: mask
seed: 7
"""


def test_the_minimal_job_loads_as_written(tmp_path: Path) -> None:
    path = tmp_path / "jobs" / "shop.yaml"
    path.parent.mkdir()
    path.write_text(MINIMAL)
    job = load_job(path)
    assert (job.source, job.target, job.environment) == (
        "env:PROD_URL",
        "env:STAGING_URL",
        "staging",
    )
    assert (job.mode, job.seed, job.scale, job.reprofile) == ("generate", 7, 1.0, False)
    assert job.name == "shop"  # named after the file
    # relative paths resolve against the job file's folder, not the working directory
    assert job.profile_path == tmp_path / "jobs" / "profiles" / "shop.yaml"
    assert job.previous_profile_path == tmp_path / "jobs" / "profiles" / "shop.prev.yaml"
    # growth on record by default, beside the job file
    assert job.verify.enabled and job.history_path == tmp_path / "jobs" / "history" / "shop.jsonl"


def test_every_documented_key(tmp_path: Path) -> None:
    job = job_from_dict(
        {
            "name": "nightly", "source": "postgresql://prod/shop", "target": "env:STAGING_URL",
            "environment": "staging", "profile": "/abs/shop.yaml", "reprofile": True,
            "profiling": {"schema": "public", "tables": "orders, customers", "sample_rows": 500},
            "mode": "generate", "tables": {"orders": "mask", "audit": {"mode": "skip"},
                                           "flags": "keep"},
            "scale": 1.0, "seed": 3, "rules": {"tables": {"orders": {"fixed": True}}},
            "verify": {"tolerances": "tolerances.yaml", "pii_check": False},
            "reports": ["reports/{date}/parity.html",
                        {"path": "out/{job}-{datetime}.txt", "format": "md"},
                        {"path": "growth.csv", "kind": "growth"}],
            "history": "history.jsonl",
            "notify": {"webhook": "env:HOOK", "command": "mail -s done ops", "when": "failure"},
        },
        "job.yaml",
        tmp_path,
    )  # fmt: skip
    assert job.profiling.tables == ("orders", "customers")
    assert {n: t.mode for n, t in job.tables.items()} == {
        "orders": "mask", "audit": "skip", "flags": "keep"}  # fmt: skip
    assert [r.resolved_format for r in job.reports] == ["html", "md", "csv"]
    assert job.profile_path == Path("/abs/shop.yaml")
    started = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    assert (
        render_path(job, job.reports[0].path, started)
        == tmp_path / "reports/2026-03-04/parity.html"
    )
    assert render_path(job, job.reports[1].path, started).name == "nightly-20260304T050607Z.txt"
    assert (
        job_from_dict(
            {"source": "a", "target": "b", "profile": "p", "verify": False}
        ).verify.enabled
        is False
    )


BASE = {"source": "env:A", "target": "env:B", "profile": "p.yaml"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tables": {"orders": {"mode": "copy"}}},
         "job.yaml: tables.orders.mode: must be one of generate, mask, skip, keep (found 'copy')"),
        ({"tables": {"orders": "copy"}}, "job.yaml: tables.orders.mode: must be one of"),
        ({"mode": "skip"}, "job.yaml: mode: must be one of generate, mask (found 'skip')"),
        ({"sed": 7}, "job.yaml: sed: unknown key (known: source, target, profile,"),
        ({"verify": {"tolerancs": "x"}}, "job.yaml: verify.tolerancs: unknown key (known: enabled"),
        ({"verify": "yes"}, "job.yaml: verify: expected true, false or a mapping"),
        ({"scale": 0}, "job.yaml: scale: must be > 0"),
        ({"seed": "seven"}, "job.yaml: seed: expected a whole number"),
        ({"rules": 5}, "job.yaml: rules: expected a string or a mapping"),
        ({"reports": ["out/report.pdf"]}, "job.yaml: reports.0.format: cannot tell the format"),
        ({"reports": [{"path": "r.html", "format": "pdf"}]},
         "job.yaml: reports.0.format: must be one of html, md, json, csv"),
        ({"reports": ["r/{dat}/p.html"]}, "job.yaml: reports.0.path: unknown placeholder {dat}"),
        ({"reports": [{"path": "g.html", "kind": "growth"}], "history": False},
         "job.yaml: reports.0.kind: a growth report needs a history (history: false)"),
        ({"history": "h/{date}.jsonl"}, "job.yaml: history: placeholders are for report paths"),
        ({"notify": {}}, "job.yaml: notify: give webhook, command or both"),
        ({"notify": {"command": 5}}, "job.yaml: notify.command: expected a string or a list"),
        ({"source": ""}, "job.yaml: source: must not be empty"),
        ({"mask_key": "s3cret"}, "job.yaml: mask_key: must be env:VARIABLE (found 's3cret')"),
        ({"mode": "mask", "scale": 2}, "job.yaml: scale: masked tables copy production's rows"),
    ],
)  # fmt: skip
def test_errors_name_the_path_in_the_file(change: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        job_from_dict({**BASE, **change}, "job.yaml")
    assert str(err.value).startswith(message), str(err.value)
    assert "\n" not in str(err.value)


def test_missing_key_and_bad_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^job.yaml: target: required"):
        job_from_dict({"source": "env:A", "profile": "p.yaml"}, "job.yaml")
    with pytest.raises(ConfigError, match="no such job file"):
        load_job(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("source: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: not valid YAML at line"):
        load_job(bad)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="not a job file"):
        load_job(listing)
