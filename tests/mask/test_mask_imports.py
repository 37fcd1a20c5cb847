"""A mask run without a rules file never imports the YAML parser: the start-up, before the first
row is read, is the run's one stretch on a single core, and its imports are most of it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _yaml_loaded(code: str) -> bool:
    out = subprocess.run(
        [sys.executable, "-c", f"import sys; {code}; print('yaml' in sys.modules)"],
        capture_output=True, text=True, cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}, check=True,
    )  # fmt: skip
    return out.stdout.strip() == "True"


def test_mask_modules_import_no_yaml_until_a_rules_file_is_read(tmp_path: Path) -> None:
    modules = "import paritygen.cli, paritygen.mask.run, paritygen.profile.run"
    assert not _yaml_loaded(modules)
    rules = tmp_path / "rules.yaml"
    rules.write_text("tables:\n  customers: {mode: mask}\n")
    read = f"{modules}; from paritygen.mask.rules import read_rules; read_rules({str(rules)!r})"
    assert _yaml_loaded(read)
