"""docker-compose.yml keeps the promises the README makes: replicable services, migrations first, a
grace period longer than the services' own shutdown, secrets only from the environment, and variables
that the services' settings actually read."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from sqlalchemy.engine import make_url

from kaleidoscope_cli.compose import MissingVariable, generated_secrets, load_compose

from .deployment import (
    COMPOSE_FILE,
    GATEWAY_CONFIG,
    ROOT,
    SERVICES,
    compose,
    python_service,
    raw_compose,
    role,
    seconds,
    settings_from,
    unknown_settings,
)

SECRET_NAME = re.compile(r"TOKEN|PASSWORD|SECRET|_KEY$")
REQUIRED_VARIABLE = re.compile(r"\$\{[A-Z][A-Z0-9_]*:\?[^}]+\}")


def kaleidoscope_services() -> dict[str, str]:
    """compose service name → the Kaleidoscope service it runs."""
    return {name: svc for name, service in compose().services.items() if (svc := python_service(service))}


def test_every_service_runs_its_api_worker_and_migration_from_the_compose_file() -> None:
    roles = Counter(
        (svc, role(compose().services[name].command)) for name, svc in kaleidoscope_services().items()
    )
    assert roles == Counter({(svc, r): 1 for svc in SERVICES for r in ("api", "worker", "migrate")})


def test_no_api_or_worker_has_a_fixed_container_name_or_host_port() -> None:
    for name in kaleidoscope_services():
        definition = compose().services[name].definition
        assert "container_name" not in definition, f"{name}: a container_name stops --scale"
        assert "ports" not in definition, f"{name}: a fixed host port stops --scale (use expose)"
    for name, service in compose().services.items():
        assert "container_name" not in service.definition, name


def test_apis_and_workers_wait_for_their_own_migration_redis_and_postgres() -> None:
    services = compose().services
    for name, svc in kaleidoscope_services().items():
        if role(services[name].command) == "migrate":
            assert services[name].definition.get("restart") == "no"
            continue
        assert services[name].depends_on == {
            f"{svc}-migrate": "service_completed_successfully",
            "redis": "service_healthy",
            "postgres": "service_healthy",
        }, name


def test_long_running_services_have_a_healthcheck_a_restart_policy_and_a_long_enough_grace_period() -> None:
    services = compose().services
    for name, service in services.items():
        svc = python_service(service)
        if svc and role(service.command) == "migrate":
            continue
        assert service.healthcheck, f"{name} has no healthcheck"
        assert service.definition.get("restart") in ("unless-stopped", "always"), name
        grace = seconds(service.definition.get("stop_grace_period", "10s"))
        if svc:
            shutdown = settings_from(svc, service.environment).shutdown_timeout_s
            assert grace > shutdown + 5, f"{name}: stop_grace_period {grace}s <= shutdown {shutdown}s + 5s"


def test_api_and_worker_healthchecks_reach_the_ports_their_commands_open() -> None:
    for name, svc in kaleidoscope_services().items():
        service = compose().services[name]
        if role(service.command) == "api":
            port = service.command[service.command.index("--port") + 1]
        elif role(service.command) == "worker":
            port = service.environment[f"{svc.upper()}_METRICS_PORT"]
        else:
            continue
        assert f"127.0.0.1:{port}/" in " ".join(service.healthcheck or []), name


def test_every_service_environment_is_a_valid_production_configuration_of_that_service() -> None:
    for name, svc in kaleidoscope_services().items():
        environment = compose().services[name].environment
        assert unknown_settings(svc, environment) == [], f"{name}: variables no setting reads"
        settings = settings_from(svc, environment)  # raises if production refuses it
        assert settings.environment == "production", name
        assert settings.create_tables is False, f"{name}: containers migrate, they do not create tables"
        assert make_url(settings.database_url).get_backend_name() == "postgresql", name
        assert make_url(settings.database_url).database == svc, f"{name}: a database per service"
        assert make_url(settings.redis_url).host == "redis", name


def test_secrets_come_only_from_required_environment_variables() -> None:
    for name, service in raw_compose()["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key):
                assert REQUIRED_VARIABLE.fullmatch(str(value)), f"{name}: {key} must be ${{VAR:?message}}"
            if key.endswith("_DATABASE_URL"):
                password = make_url(str(value)).password
                assert password and REQUIRED_VARIABLE.fullmatch(password), f"{name}: {key}'s password"


def test_compose_refuses_to_start_while_any_secret_is_unset() -> None:
    secrets = generated_secrets(COMPOSE_FILE)
    assert {"KALEIDOSCOPE_ORGANISER_TOKEN", "POSTGRES_PASSWORD"} <= set(secrets)
    for name in secrets:
        with pytest.raises(MissingVariable, match=rf"^{name}: "):
            load_compose(COMPOSE_FILE, {key: value for key, value in secrets.items() if key != name})


def test_redis_keeps_an_append_only_file_fsynced_every_second_on_a_volume() -> None:
    redis = compose().services["redis"]
    command = " ".join(redis.command)
    assert "--appendonly yes" in command and "--appendfsync everysec" in command
    assert redis.volume_at("/data"), "the AOF must live on a volume"


def test_postgres_creates_every_database_the_services_use() -> None:
    postgres = compose().services["postgres"]
    assert set(postgres.environment["KALEIDOSCOPE_DATABASES"].split()) == compose().database_names()
    assert (
        postgres.volume_at("/docker-entrypoint-initdb.d/init-databases.sh")
        == "./deploy/postgres/init-databases.sh"
    )


def test_the_gateway_routes_a_prefix_to_every_api_and_publishes_the_only_host_port() -> None:
    config = GATEWAY_CONFIG.read_text()
    for name, svc in kaleidoscope_services().items():
        if role(compose().services[name].command) == "api":
            assert re.search(rf"server {name}:8000\b", config), f"the gateway has no upstream for {name}"
            assert re.search(rf"location /{svc}/ \{{\s*proxy_pass http://{svc}_api/;", config), svc
    published = [name for name, service in compose().services.items() if "ports" in service.definition]
    assert published == ["gateway"]


def test_each_image_is_built_from_the_dockerfile_of_the_service_it_runs() -> None:
    for name, svc in kaleidoscope_services().items():
        build = compose().services[name].definition["build"]
        assert (build["context"], build["dockerfile"]) == (".", f"services/{svc}/Dockerfile"), name


def test_each_dockerfile_runs_the_api_as_compose_does_and_pins_the_makefile_uv() -> None:
    makefile_uv = re.search(r"^UV_VERSION := (\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert makefile_uv
    for name, svc in kaleidoscope_services().items():
        service = compose().services[name]
        dockerfile = (ROOT / "services" / svc / "Dockerfile").read_text()
        assert f"ARG UV_VERSION={makefile_uv.group(1)}" in dockerfile, svc
        assert re.search(r"^USER 10001:10001$", dockerfile, re.M), f"{svc}: non-root user"
        assert "HEALTHCHECK" in dockerfile
        if role(service.command) == "api":
            cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M)
            assert cmd and json.loads(cmd.group(1)) == service.command
