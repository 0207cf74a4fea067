"""A Dockerfile's build stage replayed in a folder, without Docker: its COPY (through .dockerignore),
ENV, WORKDIR and RUN steps, with the container's absolute paths moved under that folder.

It proves what a Docker build can't be run here to prove: the files the Dockerfile copies are enough
(and not ignored) for its `uv sync` steps, and the environment they build runs the service.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Step:
    instruction: str
    arguments: str


def instructions(dockerfile: Path) -> list[Step]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    steps: list[Step] = []
    pending = ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not stripped or (stripped.startswith("#") and not pending):
            continue
        if stripped.startswith("#"):
            continue
        pending += (
            " " + stripped.removesuffix("\\").strip() if pending else stripped.removesuffix("\\").strip()
        )
        if not stripped.endswith("\\"):
            instruction, _, arguments = pending.partition(" ")
            steps.append(Step(instruction.upper(), arguments.strip()))
            pending = ""
    return steps


def build_stage(dockerfile: Path, stage: str) -> list[Step]:
    """The instructions of the stage `FROM … AS <stage>`."""
    steps, inside = [], False
    for step in instructions(dockerfile):
        if step.instruction == "FROM":
            inside = bool(re.search(rf"\bAS {re.escape(stage)}$", step.arguments, re.IGNORECASE))
            continue
        if inside:
            steps.append(step)
    if not steps:
        raise ValueError(f"{dockerfile} has no stage named {stage!r}")
    return steps


@dataclass
class DockerIgnore:
    """`.dockerignore`: the last matching pattern wins; `!` re-includes."""

    patterns: list[tuple[bool, str]] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> DockerIgnore:
        patterns = []
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                negated = line.startswith("!")
                patterns.append((negated, line.removeprefix("!").rstrip("/")))
        return cls(patterns)

    def ignores(self, relative: str) -> bool:
        ignored = False
        for negated, pattern in self.patterns:
            if _matches(pattern, relative):
                ignored = not negated
        return ignored


def _matches(pattern: str, relative: str) -> bool:
    if pattern == "**":
        return True
    regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
    # A pattern matching a folder matches everything in it.
    return re.fullmatch(regex + "(?:/.*)?", relative) is not None or fnmatch.fnmatch(relative, pattern)


def replay(
    dockerfile: Path,
    context: Path,
    root: Path,
    stage: str = "build",
    path: str | None = None,
    overrides: dict[str, str] | None = None,
) -> dict[str, str]:
    """Run the stage in `root` (the container's `/` becomes `root`), with `path` as PATH (where `uv`
    is) and `overrides` winning over the stage's ENV; returns the stage's environment."""
    ignore = DockerIgnore.read(context / ".dockerignore")
    env: dict[str, str] = {"PATH": path or os.environ["PATH"]}
    workdir = root
    for step in build_stage(dockerfile, stage):
        if step.instruction == "WORKDIR":
            workdir = _inside(root, step.arguments)
            workdir.mkdir(parents=True, exist_ok=True)
        elif step.instruction == "ENV":
            for key, value in re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", step.arguments):
                env[key] = str(_inside(root, value.strip('"'))) if value.startswith("/") else value.strip('"')
        elif step.instruction == "COPY" and "--from=" not in step.arguments:
            *sources, destination = shlex.split(step.arguments)
            for source in sources:
                _copy(context, source, workdir, destination, ignore)
        elif step.instruction == "RUN":
            command = re.sub(r"--mount=\S+\s*", "", step.arguments)
            subprocess.run(
                ["sh", "-c", command],
                cwd=workdir,
                env={**os.environ, **env, **(overrides or {})},
                check=True,
                timeout=600,
            )
    return env


def _inside(root: Path, container_path: str) -> Path:
    return root / container_path.lstrip("/")


def _copy(context: Path, source: str, workdir: Path, destination: str, ignore: DockerIgnore) -> None:
    """COPY as Docker does it: a file into a folder (`dest/`, `./`) keeps its name."""
    origin, target_folder = context / source, workdir / destination
    if not origin.exists() or ignore.ignores(source.rstrip("/")):
        raise FileNotFoundError(f"COPY {source}: missing from the build context or excluded by .dockerignore")
    if origin.is_file():
        into_folder = destination.endswith("/") or destination in (".", "./")
        target = target_folder / origin.name if into_folder else target_folder
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, target)
        return
    destination_root = target_folder
    for path in origin.rglob("*"):
        inner = path.relative_to(context).as_posix()
        if path.is_file() and not ignore.ignores(inner):
            target = destination_root / path.relative_to(origin)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
