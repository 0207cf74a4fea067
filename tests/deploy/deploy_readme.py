"""deploy/README.md's "Running with Docker Compose" block, read as a person would follow it: its export
lines, run by the shell, and its other commands. `make test` checks the exports against what
docker-compose.yml requires (test_compose_structure.py); `make containers-test` runs the block for real."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_block(root: Path = ROOT) -> tuple[list[str], list[str]]:
    """deploy/README.md's first shell block under "Running with Docker Compose": its export lines and
    its other commands."""
    text = (root / "deploy" / "README.md").read_text()
    section = text.split("## Running with Docker Compose", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "deploy/README.md has no shell block under 'Running with Docker Compose'"
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    return [x for x in lines if x.startswith("export ")], [x for x in lines if not x.startswith("export ")]


def exported(exports: list[str]) -> dict[str, str]:
    """The variables the export lines set, run by the shell as a person would."""
    script = "set -eu\n" + "\n".join(exports) + "\nenv -0\n"
    done = subprocess.run(
        ["bash", "-c", script], capture_output=True, text=True, env={"PATH": os.environ["PATH"]}
    )
    assert done.returncode == 0, done.stderr
    env = dict(item.split("=", 1) for item in done.stdout.split("\0") if "=" in item)
    names = [re.match(r"export (\w+)=", line).group(1) for line in exports]  # type: ignore[union-attr]
    return {name: env[name] for name in names}
