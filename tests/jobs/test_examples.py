"""examples/: every file parses, and each runs the documented command on the example job."""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import pytest
import yaml

from paritygen.cli import cli
from paritygen.jobs.config import load_job

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DOCUMENTED = ["paritygen", "run", "jobs/shop.yaml", "--log-format", "json"]


def _documented_in_readme() -> list[str]:
    text = (EXAMPLES / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.DOTALL).group(1).replace("\\\n", " ")
    words = shlex.split(block)
    return words[words.index("paritygen") :]


def _valid(argv: list[str]) -> list[str]:
    """argv as the scheduler runs it, checked against the run command's own parser."""
    assert Path(argv[0]).name == "paritygen", argv
    words = ["paritygen", *argv[1:]]
    command = cli.get_command(None, "run")  # type: ignore[arg-type]
    command.make_context("run", list(words[2:]))  # raises on an unknown option or a bad value
    return words


def test_the_readme_documents_the_command() -> None:
    assert _documented_in_readme() == DOCUMENTED


def test_the_example_job_is_valid() -> None:
    job = load_job(EXAMPLES / "jobs" / "shop.yaml")
    assert job.environment == "staging" and job.source == "env:PROD_URL"
    assert job.target == "env:STAGING_URL" and job.history


def test_cron_line() -> None:
    lines = [line for line in (EXAMPLES / "cron/paritygen.crontab").read_text().splitlines()
             if line.strip() and not line.startswith("#")]  # fmt: skip
    assert len(lines) == 1
    fields = lines[0].split(None, 5)
    assert all(re.fullmatch(r"[\d*/,-]+", f) for f in fields[:5]), fields[:5]
    steps = [shlex.split(part) for part in fields[5].split("&&")]
    assert steps[0] == ["cd", "/srv/paritygen"]
    run = steps[-1][: steps[-1].index(">>")]
    assert _valid(run) == DOCUMENTED


def test_systemd_service_and_timer() -> None:
    service = configparser.ConfigParser(interpolation=None, strict=True)
    service.read(EXAMPLES / "systemd/paritygen-shop.service")
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["WorkingDirectory"] == "/srv/paritygen"
    assert _valid(shlex.split(service["Service"]["ExecStart"])) == DOCUMENTED
    timer = configparser.ConfigParser(interpolation=None, strict=True)
    timer.read(EXAMPLES / "systemd/paritygen-shop.timer")
    assert timer["Timer"]["Unit"] == "paritygen-shop.service"
    assert timer["Timer"]["Persistent"] == "true" and timer["Install"]["WantedBy"]


def test_kubernetes_cronjob_reads_urls_from_a_secret() -> None:
    documents = list(yaml.safe_load_all((EXAMPLES / "kubernetes/cronjob.yaml").read_text()))
    cronjob = next(d for d in documents if d["kind"] == "CronJob")
    assert cronjob["apiVersion"] == "batch/v1" and cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["workingDir"] == "/srv/paritygen"
    assert _valid(container["command"] + container.get("args", [])) == DOCUMENTED
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    assert set(env) == {"PROD_URL", "STAGING_URL"}
    assert all(ref["name"] == "paritygen-shop-urls" for ref in env.values())


def test_github_actions_workflow() -> None:
    workflow = yaml.safe_load((EXAMPLES / "ci/github-actions.yml").read_text())
    assert workflow[True]["schedule"][0]["cron"] == "15 2 * * *"  # YAML 1.1 reads "on" as true
    steps = workflow["jobs"]["refresh"]["steps"]
    step = next(s for s in steps if "paritygen run" in s.get("run", ""))
    assert _valid(shlex.split(step["run"])) == DOCUMENTED
    assert step["env"] == {"PROD_URL": "${{ secrets.PROD_URL }}",
                           "STAGING_URL": "${{ secrets.STAGING_URL }}"}  # fmt: skip


def test_gitlab_ci_job() -> None:
    pipeline = yaml.safe_load((EXAMPLES / "ci/gitlab-ci.yml").read_text())
    job = pipeline["refresh-staging"]
    runs = [shlex.split(line) for line in job["script"] if "paritygen run" in line]
    assert len(runs) == 1 and _valid(runs[0]) == DOCUMENTED
    assert any("schedule" in rule["if"] for rule in job["rules"])


@pytest.mark.parametrize("bad", [["--log-format", "xml"], ["--dry-runn"]])
def test_the_command_check_can_fail(bad: list[str]) -> None:
    with pytest.raises(Exception):  # noqa: B017,PT011 (click's usage errors)
        _valid(["paritygen", "run", "jobs/shop.yaml", *bad])
