"""docker-compose.yml run as local processes: the same commands, the same environments, the same order.

No Docker engine is needed. What only exists inside Docker is swapped for a local equivalent, and
nothing else is touched:

- the compose Redis and PostgreSQL → a Redis and fresh databases given by the caller (by database name);
- container hosts and ports → 127.0.0.1 and a free port per replica (`--port`, `*_METRICS_PORT`, the
  healthchecks' URLs); a URL naming another compose service (`http://judging-api:8000`) → one of its
  local replicas (replica i gets the i-th, round the list); a URL naming a port the gateway publishes
  on the host (`http://localhost:8080`) → the local gateway;
- a volume mounted at a service's `*_DATA_DIR` → a folder per volume, shared by the replicas as in Docker;
- a unique `*_BUS_NAMESPACE` per run, so runs sharing one Redis never meet;
- the gateway (an nginx image) → the local `nginx` binary with the compose file's config, upstreams
  rewritten to the local replicas.

Services start in `depends_on` order: a service others wait on with `service_completed_successfully`
(the migrations) runs to completion first; a `service_healthy` dependency is waited for by running its
own healthcheck command.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from kaleidoscope_cli.embedded_redis import free_port
from kaleidoscope_cli.processes import ProcessGroup, ProcessSpec
from kaleidoscope_cli.readiness import wait_until_answering

from .compose_file import ComposeFile, ComposeService

INFRASTRUCTURE_IMAGES = ("redis", "postgres")
GATEWAY_IMAGES = ("nginx",)


@dataclass(frozen=True)
class LocalTargets:
    """What stands in for the compose file's infrastructure."""

    redis_url: str
    database_urls: dict[str, str]  # compose database name (the URL's path) → a local database URL
    namespace: str
    data_dir: Path
    # compose service → container port → its replicas' local ports (those started so far)
    services: dict[str, dict[int, list[int]]] = field(default_factory=dict)
    # a port published on the host (`ports: ["8080:8080"]`) → the local port standing in for it
    published: dict[int, int] = field(default_factory=dict)


@dataclass
class LocalReplica:
    service: str
    spec: ProcessSpec
    ports: dict[int, int]  # container port → local port
    healthcheck: list[str] | None


def image_kind(service: ComposeService) -> str:
    name = service.image.rsplit("/", 1)[-1].split(":")[0]
    if name in INFRASTRUCTURE_IMAGES:
        return "infrastructure"
    return "gateway" if name in GATEWAY_IMAGES else "service"


def find_nginx() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


def local_replica(service: ComposeService, replica: int, targets: LocalTargets) -> LocalReplica:
    """One replica of a service as a local process: its command and environment, localised."""
    ports: dict[int, int] = {}
    args = _local_command(service.command, ports)
    env = {
        key: _local_value(service, key, value, targets, ports, replica)
        for key, value in service.environment.items()
    }
    for key in [k for k in env if k.endswith("_REDIS_URL")]:
        env[key.removesuffix("_REDIS_URL") + "_BUS_NAMESPACE"] = targets.namespace
    check = [_local_text(part, ports) for part in service.healthcheck or []] or None
    if check and check[0] == "python":
        check[0] = sys.executable
    name = service.name if replica == 0 else f"{service.name}-{replica + 1}"
    return LocalReplica(service.name, ProcessSpec(name, args, env), ports, check)


def _local_command(command: list[str], ports: dict[int, int]) -> list[str]:
    args = [sys.executable if index == 0 and part == "python" else part for index, part in enumerate(command)]
    for index, part in enumerate(args[:-1]):
        if part == "--host":
            args[index + 1] = "127.0.0.1"
        elif part == "--port":
            container_port = int(args[index + 1])
            ports[container_port] = ports.get(container_port) or free_port()
            args[index + 1] = str(ports[container_port])
    return args


def _local_value(
    service: ComposeService, key: str, value: str, targets: LocalTargets, ports: dict[int, int], replica: int
) -> str:
    if key.endswith("_REDIS_URL"):
        return targets.redis_url
    if key.endswith("_DATABASE_URL"):
        database = make_url(value).database or ""
        if database not in targets.database_urls:
            raise KeyError(f"{service.name}: no local database stands in for {database!r} ({key})")
        return targets.database_urls[database]
    if key.endswith("_METRICS_PORT") and value not in ("", "0"):
        ports[int(value)] = ports.get(int(value)) or free_port()
        return str(ports[int(value)])
    if key.endswith("_DATA_DIR"):
        volume = service.volume_at(value) or service.name
        return str(targets.data_dir / volume.strip("./").replace("/", "-"))
    return _local_urls(value, targets, replica)


_URL_HOST = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<host>[A-Za-z0-9_.-]+):(?P<port>\d+)")


def _local_urls(value: str, targets: LocalTargets, replica: int) -> str:
    """URLs to another compose service or to a port published on the host, pointed at their stand-ins."""

    def local(match: re.Match[str]) -> str:
        host, port = match.group("host"), int(match.group("port"))
        if (replicas := targets.services.get(host, {}).get(port)) is not None:
            if not replicas:
                raise KeyError(f"{host}:{port} is named before any replica of it listens")
            return f"{match.group('scheme')}127.0.0.1:{replicas[replica % len(replicas)]}"
        if host in ("localhost", "127.0.0.1") and port in targets.published:
            return f"{match.group('scheme')}127.0.0.1:{targets.published[port]}"
        return match.group(0)

    return _URL_HOST.sub(local, value)


def _local_text(text: str, ports: dict[int, int]) -> str:
    """A healthcheck's URLs pointed at the local ports of the same replica."""

    def port(match: re.Match[str]) -> str:
        return f"{match.group(1)}:{ports.get(int(match.group(2)), int(match.group(2)))}"

    return re.sub(r"(127\.0\.0\.1|localhost):(\d+)", port, text)


def render_gateway_config(
    text: str, upstreams: dict[str, dict[int, list[int]]], listen_port: int, run_dir: Path
) -> str:
    """The compose gateway's nginx.conf, for a local unprivileged nginx in front of local replicas.

    `upstreams` maps a compose host (e.g. `judging-api`) and a container port to its replicas' local
    ports; each `server host:port ...;` line of an upstream becomes one line per replica.
    """

    def servers(match: re.Match[str]) -> str:
        indent, host, port = match.group(1), match.group(2), int(match.group(3))
        local_ports = upstreams.get(host, {}).get(port)
        if not local_ports:
            raise KeyError(f"the gateway proxies to {host}:{port}, where no replica listens")
        return "\n".join(f"{indent}server 127.0.0.1:{local};" for local in local_ports)

    text = re.sub(r"(?m)^(\s*)server\s+([A-Za-z0-9_.-]+):(\d+)[^;]*;", servers, text)
    # Files the image's entrypoint writes beside nginx.conf (resolver.conf) are written to run_dir.
    text = re.sub(r"(?m)^(\s*)include\s+/etc/nginx/", rf"\1include {run_dir}/", text)
    text = re.sub(r"(?m)^(\s*)listen\s+\d+[^;]*;", rf"\1listen 127.0.0.1:{listen_port};", text)
    text = re.sub(r"(?m)^pid\s[^;]*;", f"pid {run_dir}/nginx.pid;", text)
    text = re.sub(r"(?m)^error_log\s[^;]*;", f"error_log {run_dir}/error.log warn;", text)
    text = re.sub(r"(?m)^(\s*)access_log\s+\S+", rf"\1access_log {run_dir}/access.log", text)
    temp_paths = "".join(
        f"    {kind}_temp_path {run_dir}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return re.sub(r"(?m)^http\s*\{\n", lambda m: m.group(0) + temp_paths, text, count=1)


@dataclass
class LocalCompose:
    """The compose file's services, up as local processes (see the module's docstring)."""

    compose: ComposeFile
    targets: LocalTargets
    run_dir: Path
    replicas: dict[str, int] = field(default_factory=dict)
    nginx: str | None = None
    timeout: float = 90.0
    running: dict[str, list[LocalReplica]] = field(default_factory=lambda: defaultdict(list))
    gateway_ports: dict[str, dict[int, int]] = field(default_factory=dict)
    group: ProcessGroup | None = None

    def up(self) -> LocalCompose:
        self.group = ProcessGroup(self.run_dir / "logs")
        # Published ports are chosen first: the services' environments may name them (public URLs).
        for name, service in self.compose.services.items():
            if image_kind(service) == "gateway":
                self.gateway_ports[name] = {
                    container: free_port() for _, container in _published(service.definition["ports"])
                }
                for host, container in _published(service.definition["ports"]):
                    self.targets.published[host] = self.gateway_ports[name][container]
        for wave in self.compose.start_order():
            for name in wave:
                self._start(self.compose.services[name])
            for name in wave:
                self._wait_healthy(name)
        return self

    def down(self) -> None:
        if self.group:
            self.group.stop()

    def gateway_url(self, name: str = "gateway", container_port: int | None = None) -> str:
        ports = self.gateway_ports[name]
        return f"http://127.0.0.1:{ports[container_port or next(iter(ports))]}"

    def local_ports(self, service: str, container_port: int) -> list[int]:
        return [replica.ports[container_port] for replica in self.running[service]]

    def _start(self, service: ComposeService) -> None:
        kind = image_kind(service)
        if kind == "infrastructure":
            return
        if kind == "gateway":
            self._start_gateway(service)
            return
        if self.compose.completed_before_others(service.name):
            self._run_to_completion(local_replica(service, 0, self.targets))
            return
        assert self.group is not None
        for index in range(self.replicas.get(service.name, 1)):
            replica = local_replica(service, index, self.targets)
            self.group.start(replica.spec)
            self.running[service.name].append(replica)
            for container_port, local_port in replica.ports.items():
                self.targets.services.setdefault(service.name, {}).setdefault(container_port, [])
                self.targets.services[service.name][container_port].append(local_port)

    def _run_to_completion(self, replica: LocalReplica) -> None:
        log = self.run_dir / "logs" / f"{replica.spec.name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("wb") as output:
            result = subprocess.run(
                replica.spec.args,
                env={**os.environ, **replica.spec.env},
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=self.timeout,
            )
        if result.returncode != 0:
            raise RuntimeError(
                f"{replica.spec.name} exited with {result.returncode}: {log.read_text()[-2000:]}"
            )

    def _start_gateway(self, service: ComposeService) -> None:
        if not self.nginx:
            raise RuntimeError(f"{service.name} needs nginx on this machine (apt-get install nginx-light)")
        config_source = self._mounted_config(service)
        ports = self.gateway_ports[service.name]
        run_dir = self.run_dir / service.name
        run_dir.mkdir(parents=True, exist_ok=True)
        upstreams: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        for name, replicas in self.running.items():
            for replica in replicas:
                for container_port, local_port in replica.ports.items():
                    upstreams[name][container_port].append(local_port)
        config = render_gateway_config(
            config_source.read_text(), upstreams, next(iter(ports.values())), run_dir
        )
        (run_dir / "nginx.conf").write_text(config)
        self._run_entrypoint_scripts(service, run_dir)
        args = [
            self.nginx,
            "-p",
            str(run_dir),
            "-e",
            str(run_dir / "error.log"),
            "-c",
            str(run_dir / "nginx.conf"),
        ]
        check = subprocess.run([*args, "-t"], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx refuses the rendered gateway config: {check.stderr}")
        assert self.group is not None
        self.group.start(ProcessSpec(service.name, [*args, "-g", "daemon off;"]))

    def _run_entrypoint_scripts(self, service: ComposeService, run_dir: Path) -> None:
        """The scripts the gateway mounts into /docker-entrypoint.d, run as the nginx image's entrypoint
        runs them before nginx, with NGINX_CONF_DIR=run_dir where they write what nginx.conf includes."""
        for volume in service.definition.get("volumes", []):
            source, _, target = str(volume).partition(":")
            if target.startswith("/docker-entrypoint.d/") and target.split(":")[0].endswith(".sh"):
                script = (self.compose.path.parent / source).resolve()
                done = subprocess.run(
                    ["sh", str(script)],
                    env={**os.environ, "NGINX_CONF_DIR": str(run_dir)},
                    capture_output=True,
                    text=True,
                )
                if done.returncode != 0:
                    raise RuntimeError(f"{service.name}: {source} failed: {done.stderr}")

    def _mounted_config(self, service: ComposeService) -> Path:
        for volume in service.definition.get("volumes", []):
            source, _, target = str(volume).partition(":")
            if target.split(":")[0] == "/etc/nginx/nginx.conf":
                return (self.compose.path.parent / source).resolve()
        raise RuntimeError(f"{service.name} mounts no /etc/nginx/nginx.conf")

    def _wait_healthy(self, name: str) -> None:
        deadline = time.monotonic() + self.timeout
        pending = list(self.running.get(name, []))
        while pending:
            assert self.group is not None
            if crashed := self.group.exited():
                raise RuntimeError(f"exited while starting: {crashed} (logs in {self.run_dir / 'logs'})")
            pending = [replica for replica in pending if not _healthy(replica)]
            if time.monotonic() > deadline:
                raise RuntimeError(f"not healthy after {self.timeout}s: {[r.spec.name for r in pending]}")
            time.sleep(0.3)
        if name in self.gateway_ports:
            wait_until_answering([f"{self.gateway_url(name)}/health"], max(0.0, deadline - time.monotonic()))


def _published(ports: list[object]) -> list[tuple[int, int]]:
    """(host port, container port) of a service's `ports:` (`"8080:8080"`, `"127.0.0.1:80:8080/tcp"`)."""
    found = []
    for entry in ports:
        *host, container = str(entry).split("/")[0].split(":")
        found.append((int(host[-1]) if host else int(container), int(container)))
    return found


def _healthy(replica: LocalReplica) -> bool:
    if replica.healthcheck is None:
        return True
    result = subprocess.run(replica.healthcheck, capture_output=True, timeout=10, check=False)
    return result.returncode == 0
