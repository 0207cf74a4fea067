"""A container engine and the compose stack on it, as the container test drives them.

Two kinds of engine are used, whichever this machine has:

- Docker with compose v2 (`docker compose`);
- podman with Debian's docker-compose 1.29 against podman's Docker-compatible socket (a private
  `podman system service`), with the helpers of the stand-in recipe (KALEIDOSCOPE_CONTAINER_TOOLS,
  default ../shared/containers beside the repository): `compose-v1-podman43.py` (the compose file as
  that tool pair can run it: two tool defects worked around) and `podman-healthchecks.py` (podman runs
  healthchecks from systemd timers; without systemd nothing would).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = Path(os.environ.get("KALEIDOSCOPE_CONTAINER_TOOLS", ROOT.parent / "shared" / "containers"))


def _answers(*args: str) -> bool:
    try:
        return subprocess.run(args, capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def find_engine() -> tuple[str | None, str]:
    """("docker" | "podman" | None, why): the engine this machine can run the stack on."""
    if shutil.which("docker") and _answers("docker", "info") and _answers("docker", "compose", "version"):
        return "docker", "Docker with compose v2"
    if shutil.which("podman") and _answers("podman", "info"):
        if not shutil.which("docker-compose"):
            return None, "podman is here but no docker-compose (apt-get install docker-compose)"
        if not (TOOLS / "compose-v1-podman43.py").exists():
            return None, f"podman is here but not the container recipe's helpers ({TOOLS})"
        return "podman", "podman with docker-compose on its Docker API socket"
    return None, "no container engine (neither Docker with compose v2 nor podman answers)"


@dataclass
class Stack:
    """docker-compose.yml up under project `project`, on `engine`."""

    engine: str
    project: str
    run_dir: Path
    env: dict[str, str]
    overrides: list[Path] = field(default_factory=list)
    # The build context and compose project directory: the checkout, or a snapshot of a commit.
    source: Path = ROOT
    _background: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _compose_files: list[Path] = field(default_factory=list)

    def start_engine(self) -> None:
        """For podman: its Docker API on a private socket, and the healthcheck runner."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.engine == "docker":
            self._compose_files = [self.source / "docker-compose.yml", *self.overrides]
            return
        socket = self.run_dir / "podman.sock"
        self.env["DOCKER_HOST"] = f"unix://{socket}"
        log = (self.run_dir / "podman-service.log").open("wb")
        self._background.append(
            subprocess.Popen(
                ["podman", "system", "service", "--time=0", self.env["DOCKER_HOST"]], stdout=log, stderr=log
            )
        )
        self._background.append(
            subprocess.Popen(
                [
                    "python3",
                    str(TOOLS / "podman-healthchecks.py"),
                    "--label",
                    f"com.docker.compose.project={self.project}",
                    "--log",
                    str(self.run_dir / "health.log"),
                ]
            )
        )
        subprocess.run(
            [
                "python3",
                str(TOOLS / "compose-v1-podman43.py"),
                str(self.source / "docker-compose.yml"),
                str(self.run_dir),
            ],
            check=True,
            capture_output=True,
        )
        self._compose_files = [
            self.run_dir / "compose.yml",
            self.run_dir / "podman43.override.yml",
            *self.overrides,
        ]
        deadline = time.monotonic() + 30
        while not socket.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("podman system service did not open its socket")
            time.sleep(0.2)

    def stop_engine(self) -> None:
        for process in self._background:
            process.terminate()
        for process in self._background:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    def compose_command(self) -> list[str]:
        base = ["docker", "compose"] if self.engine == "docker" else ["docker-compose"]
        files = [arg for path in self._compose_files for arg in ("-f", str(path))]
        return [*base, "-p", self.project, "--project-directory", str(self.source), *files]

    def compose(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        return self.run([*self.compose_command(), *args], timeout=timeout)

    def run(
        self, args: list[str], timeout: float = 900, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            args,
            cwd=self.source,
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args[:6])}… exited {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
            )
        return done

    def cli(self, *args: str, check: bool = True) -> str:
        """The engine's own CLI (`docker …` / `podman …`); its stdout."""
        return self.run([self.engine, *args], check=check).stdout

    def containers(self, service: str | None = None, every: bool = False) -> list[dict[str, str]]:
        """The project's containers (running ones unless `every`): name, id, status, service."""
        args = ["ps", "--no-trunc", "--filter", f"label=com.docker.compose.project={self.project}"]
        if service:
            args += ["--filter", f"label=com.docker.compose.service={service}"]
        if every:
            args.append("-a")
        label = (
            '.Label "com.docker.compose.service"'
            if self.engine == "docker"
            else 'index .Labels "com.docker.compose.service"'
        )
        fmt = "{{.Names}}\t{{.ID}}\t{{.Status}}\t{{" + label + "}}"
        rows = [line.split("\t") for line in self.cli(*args, "--format", fmt).splitlines() if line.strip()]
        return sorted(
            ({"name": r[0], "id": r[1], "status": r[2], "service": r[3]} for r in rows),
            key=lambda c: c["name"],
        )

    def inspect(self, container: str) -> dict:
        return json.loads(self.cli("inspect", container))[0]

    def exec(self, container: str, *args: str, user: str | None = None) -> str:
        return self.cli("exec", *(["-u", user] if user else []), container, *args)

    def unhealthy(self) -> list[str]:
        """Running containers whose healthcheck has not passed yet (or failed)."""
        return [
            f"{c['name']} {c['status']}"
            for c in self.containers()
            if "(starting)" in c["status"] or "unhealthy" in c["status"] or "health: starting" in c["status"]
        ]

    def wait_healthy(self, timeout: float) -> float:
        started = time.monotonic()
        while waiting := self.unhealthy():
            if time.monotonic() - started > timeout:
                raise AssertionError(f"not healthy after {timeout:.0f}s: {waiting}")
            time.sleep(2)
        return time.monotonic() - started

    def up(self, *args: str, log: str) -> None:
        """`up -d ARGS`; once more if a dependency's healthcheck flapped under this machine's load."""
        args = tuple(a for a in args if a not in ("-d", "--detach"))
        done = self.run([*self.compose_command(), "up", "-d", *args], check=False)
        (self.run_dir / log).write_text(done.stdout + done.stderr)
        if done.returncode != 0 and "is unhealthy" in done.stdout + done.stderr:
            self.wait_healthy(180)
            done = self.run([*self.compose_command(), "up", "-d", *args], check=False)
        if done.returncode != 0:
            raise RuntimeError(f"compose up {' '.join(args)} failed:\n{done.stderr[-3000:]}")

    def save_logs(self) -> None:
        for container in self.containers(every=True):
            done = self.run([self.engine, "logs", "--tail", "200", container["name"]], check=False)
            (self.run_dir / f"logs-{container['name']}.txt").write_text(done.stdout + done.stderr)
