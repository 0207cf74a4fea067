"""Reading docker-compose.yml the way Docker Compose does: variables, anchors, commands, dependencies.

Only what running the file's services needs is modelled; `compose_local` (beside this module) turns these services into
local processes so that tests run exactly the commands and environments the file declares.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


class MissingVariable(ValueError):
    """A `${NAME:?message}` variable is unset: Compose refuses to start, and so do we."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's interpolation: `${X}`, `$X`, `${X:-default}`, `${X-default}`, `${X:?error}`, `${X?error}`,
    `$$` (not nested defaults)."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("braced") or match.group("bare")
        op, arg, value = match.group("op"), match.group("arg") or "", env.get(name)
        unset = value is None or (op is not None and op.startswith(":") and value == "")
        if op in (":?", "?") and unset:
            raise MissingVariable(f"{name}: {arg or 'required'}")
        if op in (":-", "-") and unset:
            return interpolate(arg, env)
        return value or ""

    return _VARIABLE.sub(substitute, text)


def _interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _interpolate_tree(value, env) for key, value in node.items()}
    return node


def variables_used(path: Path) -> dict[str, str | None]:
    """Every variable the file reads, with its `:?`/`?` message if it is required (else None)."""
    found: dict[str, str | None] = {}
    for match in _VARIABLE.finditer(path.read_text(encoding="utf-8")):
        name = match.group("braced") or match.group("bare")
        if name:
            required = match.group("op") in (":?", "?")
            found[name] = (match.group("arg") or "required") if required else found.get(name)
    return found


@dataclass(frozen=True)
class ComposeService:
    name: str
    definition: dict[str, Any]
    command: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    depends_on: dict[str, str] = field(default_factory=dict)

    @property
    def image(self) -> str:
        return str(self.definition.get("image", ""))

    @property
    def healthcheck(self) -> list[str] | None:
        """The healthcheck's command (`CMD` form), or None when disabled or absent."""
        check = self.definition.get("healthcheck") or {}
        test = check.get("test")
        if check.get("disable") or not test or test == ["NONE"]:
            return None
        if isinstance(test, str):
            return ["sh", "-c", test]
        kind, *args = test
        return ["sh", "-c", args[0]] if kind == "CMD-SHELL" else list(args)

    def volume_at(self, container_path: str) -> str | None:
        """The named volume (or host folder) mounted at `container_path`."""
        for volume in self.definition.get("volumes", []):
            source, _, rest = str(volume).partition(":")
            if rest.split(":")[0] == container_path:
                return source
        return None


@dataclass(frozen=True)
class ComposeFile:
    path: Path
    document: dict[str, Any]
    services: dict[str, ComposeService]

    def completed_before_others(self, name: str) -> bool:
        """Whether another service waits for this one to run to completion (a one-shot job)."""
        return any(s.depends_on.get(name) == "service_completed_successfully" for s in self.services.values())

    def database_names(self) -> set[str]:
        """The databases the services' `*_DATABASE_URL`s name (the URL's path)."""
        return {
            value.rsplit("/", 1)[-1].split("?")[0]
            for service in self.services.values()
            for key, value in service.environment.items()
            if key.endswith("_DATABASE_URL")
        }

    def start_order(self) -> list[list[str]]:
        """The services in waves: each wave depends only on the waves before it."""
        done: set[str] = set()
        waves: list[list[str]] = []
        while len(done) < len(self.services):
            wave = sorted(
                name
                for name, service in self.services.items()
                if name not in done and set(service.depends_on) <= done
            )
            if not wave:
                raise ValueError(f"depends_on has a cycle among {sorted(set(self.services) - done)}")
            waves.append(wave)
            done.update(wave)
        return waves


def generated_secrets(path: Path) -> dict[str, str]:
    """A random value for every variable the file requires (`${X:?…}`): what a test runs it with."""
    import secrets

    return {name: secrets.token_urlsafe(24) for name, message in variables_used(path).items() if message}


def load_compose(path: Path, env: Mapping[str, str], profiles: Collection[str] = ()) -> ComposeFile:
    """The compose file with its variables substituted from `env` (anchors and merges resolved). As in
    Compose, a service with `profiles` is left out unless one of them is among `profiles`."""
    document = _interpolate_tree(yaml.safe_load(path.read_text(encoding="utf-8")), env)
    services = {
        name: _service(name, body)
        for name, body in document["services"].items()
        if not body.get("profiles") or set(body["profiles"]) & set(profiles)
    }
    return ComposeFile(path, document, services)


def _service(name: str, body: dict[str, Any]) -> ComposeService:
    command = body.get("command", [])
    environment = body.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    depends_on = body.get("depends_on", {})
    if isinstance(depends_on, list):
        depends_on = {dependency: "service_started" for dependency in depends_on}
    return ComposeService(
        name=name,
        definition=body,
        command=command.split() if isinstance(command, str) else [str(part) for part in command],
        environment={key: "" if value is None else str(value) for key, value in environment.items()},
        depends_on={
            dependency: (condition or {}).get("condition", "service_started")
            for dependency, condition in depends_on.items()
        },
    )
