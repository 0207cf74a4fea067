"""Each Dockerfile's build stage, replayed without Docker (dockerfile_replay): the files it copies are
enough for its `uv sync` steps, and the environment they build runs the service — its migrations
included — and holds no other service."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .deployment import ROOT, SERVICES
from .dockerfile_replay import DockerIgnore, build_stage, replay

pytestmark = pytest.mark.slow

UV = ROOT / ".tools" / "bin" / "uv"
MODULES = [*SERVICES, "kaleidoscope_shared", "alembic", "uvicorn", "pytest"]


@pytest.mark.parametrize("service", SERVICES)
def test_the_build_stage_gives_an_environment_that_runs_the_service_and_its_migrations(
    service: str, tmp_path: Path
) -> None:
    assert UV.exists(), "make install bootstraps uv into .tools/"
    path = f"{UV.parent}{os.pathsep}{os.environ['PATH']}"
    # The build reuses the local uv cache, as the Dockerfile's cache mount would; hard links and no
    # bytecode change how the files land (and how fast), not which files: what the image holds.
    env = replay(
        ROOT / "services" / service / "Dockerfile",
        ROOT,
        tmp_path,
        stage="build",
        path=path,
        overrides={"UV_LINK_MODE": "hardlink", "UV_COMPILE_BYTECODE": "0"},
    )
    python = Path(env["UV_PROJECT_ENVIRONMENT"]) / "bin" / "python"

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(python), *args],
            env={"PATH": path, **extra},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    database = f"sqlite+aiosqlite:///{tmp_path}/m.db"
    migrated = run("-m", service, "migrate", **{f"{service.upper()}_DATABASE_URL": database})
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    found = run("-c", f"import importlib.util as u; print([bool(u.find_spec(m)) for m in {MODULES}])")
    others = [other for other in SERVICES if other != service]
    expected = [module not in (*others, "pytest") for module in MODULES]
    assert found.stdout.strip() == str(expected), "an image holds its own service, no other, no dev tools"


def test_the_build_stage_is_the_one_the_runtime_stage_copies_from() -> None:
    for service in SERVICES:
        dockerfile = (ROOT / "services" / service / "Dockerfile").read_text()
        assert "COPY --from=build /app/.venv /app/.venv" in dockerfile
        assert build_stage(ROOT / "services" / service / "Dockerfile", "build")


def test_dockerignore_keeps_caches_and_secrets_out_of_the_context() -> None:
    ignore = DockerIgnore.read(ROOT / ".dockerignore")
    assert not ignore.ignores("shared/kaleidoscope_shared/db.py")
    assert not ignore.ignores("services/judging/judging/migrations/env.py")
    for path in (
        ".env",
        ".venv/bin/python",
        "shared/kaleidoscope_shared/__pycache__/db.cpython-311.pyc",
        "data/x.db",
    ):
        assert ignore.ignores(path), path
