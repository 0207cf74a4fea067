"""Each Dockerfile's build stage, replayed without Docker (dockerfile_replay): the files it copies are
enough for its `uv sync` steps, and the environment they build runs the service — its migrations
included — and holds no other service."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .deployment import ROOT, SERVICES, WEB
from .dockerfile_replay import DockerIgnore, build_stage, replay

pytestmark = pytest.mark.slow

UV = ROOT / ".tools" / "bin" / "uv"
MODULES = [*SERVICES, WEB, "kaleidoscope_shared", "alembic", "uvicorn", "pytest"]


def replay_build(dockerfile: Path, root: Path) -> tuple[Path, str]:
    """The Dockerfile's build stage replayed in `root`: the environment's python, and the PATH it ran with."""
    assert UV.exists(), "make install bootstraps uv into .tools/"
    path = f"{UV.parent}{os.pathsep}{os.environ['PATH']}"
    # The build reuses the local uv cache, as the Dockerfile's cache mount would; hard links and no
    # bytecode change how the files land (and how fast), not which files: what the image holds.
    env = replay(
        dockerfile,
        ROOT,
        root,
        stage="build",
        path=path,
        overrides={"UV_LINK_MODE": "hardlink", "UV_COMPILE_BYTECODE": "0"},
    )
    return Path(env["UV_PROJECT_ENVIRONMENT"]) / "bin" / "python", path


@pytest.mark.parametrize("service", SERVICES)
def test_the_build_stage_gives_an_environment_that_runs_the_service_and_its_migrations(
    service: str, tmp_path: Path
) -> None:
    python, path = replay_build(ROOT / "services" / service / "Dockerfile", tmp_path)

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
    others = [other for other in (*SERVICES, WEB) if other != service]
    expected = [module not in (*others, "pytest") for module in MODULES]
    assert found.stdout.strip() == str(expected), "an image holds its own service, no other, no dev tools"


def test_the_web_build_stage_gives_an_environment_that_serves_the_web_front_and_nothing_else(
    tmp_path: Path,
) -> None:
    python, path = replay_build(ROOT / "services" / WEB / "Dockerfile", tmp_path)
    app = subprocess.run(
        [str(python), "-c", "from web.main import create_app; create_app(); print('ok')"],
        env={"PATH": path},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert app.returncode == 0 and app.stdout.strip().endswith("ok"), app.stdout + app.stderr
    found = subprocess.run(
        [str(python), "-c", f"import importlib.util as u; print([bool(u.find_spec(m)) for m in {MODULES}])"],
        env={"PATH": path},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    expected = [module in (WEB, "kaleidoscope_shared", "alembic", "uvicorn") for module in MODULES]
    assert found.stdout.strip() == str(expected), "the web image holds the web front and no service"


def test_the_build_stage_is_the_one_the_runtime_stage_copies_from() -> None:
    for service in (*SERVICES, WEB):
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
