"""The deployment files pass the checks their formats have: the compose specification, hadolint, the
Kubernetes API schemas. Each check is also shown to fail on a broken file, so a pass means something."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .deployment import COMPOSE_FILE, DOCKERFILES, KUBERNETES

BIN = Path(sys.executable).parent


def run(tool: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / tool), *map(str, args)], capture_output=True, text=True, timeout=120)


def check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return run("check-jsonschema", "--builtin-schema", "vendor.compose-spec", path)


def kubernetes_manifests() -> list[Path]:
    return [path for path in sorted(KUBERNETES.glob("*.yaml")) if path.name != "kustomization.yaml"]


def test_the_compose_file_follows_the_compose_specification() -> None:
    result = check_compose(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_check_rejects_a_file_that_breaks_the_specification(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        "services:\n  api:\n    image: x\n    restart: sometimes\n    stop_grace_period: [30]\n"
    )
    assert check_compose(broken).returncode != 0


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda path: path.parent.name)
def test_every_dockerfile_passes_hadolint(dockerfile: Path) -> None:
    result = run("hadolint", dockerfile)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_rejects_an_untagged_root_image(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python\nRUN apt-get install curl\nCMD python -m judging\n")
    assert run("hadolint", dockerfile).returncode != 0


def test_the_kubernetes_manifests_pass_kubernetes_validate_strictly() -> None:
    manifests = kubernetes_manifests()
    assert len(manifests) >= 8
    result = run("kubernetes-validate", "--strict", "--quiet", *manifests)
    assert result.returncode == 0, result.stdout + result.stderr


def test_kubernetes_validate_rejects_a_malformed_deployment(tmp_path: Path) -> None:
    manifest = tmp_path / "broken.yaml"
    manifest.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: judging-api\n"
        "spec:\n  replicas: two\n  selector: {}\n  template: {}\n"
    )
    assert run("kubernetes-validate", "--strict", "--quiet", manifest).returncode != 0
