"""docker-compose.yml keeps the promises the README makes: replicable services, migrations first, a
grace period longer than the services' own shutdown, secrets only from the environment, variables
that the services' settings actually read, and the web front behind the gateway at `/`, calling the
APIs, with every link the services hand out starting at the gateway's public address."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy.engine import make_url

from kaleidoscope_cli.embedded_redis import free_port

from ..polling import wait_until
from .compose_file import MissingVariable, generated_secrets, load_compose, variables_used
from .deploy_readme import exported, readme_block
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
    unknown_web_settings,
    web_services,
    web_settings_from,
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
            if key.endswith(("_DATABASE_URL", "_REDIS_URL")):
                password = make_url(str(value).replace("redis://", "postgresql://", 1)).password
                assert password and REQUIRED_VARIABLE.fullmatch(password), f"{name}: {key}'s password"


def test_redis_requires_the_password_every_service_connects_with() -> None:
    running = compose()
    redis = running.services["redis"]
    password = redis.command[redis.command.index("--requirepass") + 1]
    assert password and redis.environment["REDISCLI_AUTH"] == password  # the healthcheck's redis-cli
    for name, svc in kaleidoscope_services().items():
        settings = settings_from(svc, running.services[name].environment)
        assert make_url(settings.redis_url.replace("redis://", "postgresql://", 1)).password == password, name


def test_compose_refuses_to_start_while_any_secret_is_unset() -> None:
    secrets = generated_secrets(COMPOSE_FILE)
    assert {"KALEIDOSCOPE_ORGANISER_TOKEN", "POSTGRES_PASSWORD"} <= set(secrets)
    for name in secrets:
        with pytest.raises(MissingVariable, match=rf"^{name}: "):
            load_compose(COMPOSE_FILE, {key: value for key, value in secrets.items() if key != name})


def test_the_readmes_export_block_sets_every_variable_compose_requires_and_only_those_it_reads() -> None:
    """deploy/README.md's block, run by the shell as a person would, is enough to start the file: each
    `${X:?}` set, to values each service accepts in production (secret lengths), nothing exported in vain."""
    exports, _ = readme_block()
    env = exported(exports)
    used = variables_used(COMPOSE_FILE)
    required = {name for name, message in used.items() if message}
    assert sorted(required - set(env)) == [], "deploy/README.md's export block leaves these unset"
    assert sorted(set(env) - set(used)) == [], "deploy/README.md exports what docker-compose.yml never reads"
    running = load_compose(COMPOSE_FILE, env)  # raises MissingVariable as Compose refuses to start
    for name, svc in kaleidoscope_services().items():
        assert settings_from(svc, running.services[name].environment).environment == "production", name
    for web in web_services(running).values():
        assert web_settings_from(web.environment).environment == "production"


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


def test_the_web_front_runs_once_replicable_healthy_and_after_the_apis_it_calls() -> None:
    running = compose()
    ((name, web),) = web_services(running).items()
    assert web.command == ["python", "-m", "web", "api", "--host", "0.0.0.0", "--port", "8000"]
    assert "container_name" not in web.definition and "ports" not in web.definition
    assert "127.0.0.1:8000/health" in " ".join(web.healthcheck or [])
    assert web.definition.get("restart") == "unless-stopped"
    apis = {n for n, svc in kaleidoscope_services().items() if role(running.services[n].command) == "api"}
    assert web.depends_on == dict.fromkeys(apis, "service_healthy")
    assert running.services["gateway"].depends_on.get(name) == "service_healthy"
    build = web.definition["build"]
    assert (build["context"], build["dockerfile"]) == (".", "services/web/Dockerfile")


def test_the_web_front_calls_each_api_by_its_compose_name_and_is_a_valid_production_configuration() -> None:
    running = compose()
    (web,) = web_services(running).values()
    assert unknown_web_settings(web.environment) == []
    settings = web_settings_from(web.environment)  # raises if production refuses it
    assert settings.environment == "production"
    for service in SERVICES:
        assert getattr(settings, f"{service}_url") == f"http://{service}-api:8000", service
    # Plain HTTP behind the gateway unless TLS is put in front: a Secure cookie would never come back.
    assert settings.cookies_https_only() is False
    with_tls = web_settings_from({**web.environment, "WEB_SECURE_COOKIES": "true"})
    assert with_tls.cookies_https_only() is True
    assert raw_compose()["services"]["web"]["environment"]["WEB_SECURE_COOKIES"] == (
        "${KALEIDOSCOPE_SECURE_COOKIES:-false}"
    )


def test_every_service_shares_one_grant_key_and_links_to_the_gateways_public_address() -> None:
    raw, running = raw_compose(), compose()
    published = raw["services"]["gateway"]["ports"]
    assert published == ["${KALEIDOSCOPE_HTTP_PORT:-8080}:8080"]
    for name, svc in kaleidoscope_services().items():
        written = raw["services"][name]["environment"]
        prefix = svc.upper()
        assert written[f"{prefix}_GRANT_KEY"].startswith("${KALEIDOSCOPE_GRANT_KEY:?"), name
        assert written[f"{prefix}_PUBLIC_BASE_URL"] == "${KALEIDOSCOPE_PUBLIC_URL:-http://localhost:8080}"
        settings = settings_from(svc, running.services[name].environment)
        assert settings.model_dump()["public_base_url"] == "http://localhost:8080", name
    keys = {
        settings_from(svc, running.services[name].environment).grant_key.get_secret_value()
        for name, svc in kaleidoscope_services().items()
    }
    assert len(keys) == 1


def test_the_gateway_routes_a_prefix_to_every_api_and_publishes_the_only_host_port() -> None:
    config = GATEWAY_CONFIG.read_text()
    for name, svc in kaleidoscope_services().items():
        if role(compose().services[name].command) == "api":
            assert re.search(rf"server {name}:8000\b", config), f"the gateway has no upstream for {name}"
            assert re.search(rf"location /{svc}/ \{{\s*proxy_pass http://{svc}_api/;", config), svc
    published = [name for name, service in compose().services.items() if "ports" in service.definition]
    assert published == ["gateway"]


def test_the_gateway_sends_everything_else_to_the_web_front_and_streams_the_hall_unbuffered() -> None:
    config = GATEWAY_CONFIG.read_text()
    assert re.search(r"upstream web \{[^}]*server web:8000 resolve;", config)
    assert re.search(r"location / \{\s*proxy_pass http://web;\s*\}", config)
    hall = re.search(r"location ~ \^/contests/\[\^/\]\+/hall\S* \{(?P<body>[^}]*)\}", config)
    assert hall, "no location for the hall's event stream"
    assert "proxy_pass http://web;" in hall["body"] and "proxy_buffering off;" in hall["body"]
    timeout = re.search(r"proxy_read_timeout (\d+)([smh]);", hall["body"])
    assert timeout and int(timeout[1]) * {"s": 1, "m": 60, "h": 3600}[timeout[2]] >= 3600


def test_each_image_is_built_from_the_dockerfile_of_the_service_it_runs() -> None:
    for name, svc in kaleidoscope_services().items():
        build = compose().services[name].definition["build"]
        assert (build["context"], build["dockerfile"]) == (".", f"services/{svc}/Dockerfile"), name


def test_each_dockerfile_runs_the_api_as_compose_does_and_pins_the_makefile_uv() -> None:
    makefile_uv = re.search(r"^UV_VERSION := (\S+)", (ROOT / "Makefile").read_text(), re.M)
    assert makefile_uv
    every = {**kaleidoscope_services(), **dict.fromkeys(web_services(compose()), "web")}
    for name, svc in every.items():
        service = compose().services[name]
        dockerfile = (ROOT / "services" / svc / "Dockerfile").read_text()
        assert f"ARG UV_VERSION={makefile_uv.group(1)}" in dockerfile, svc
        assert re.search(r"^USER 10001:10001$", dockerfile, re.M), f"{svc}: non-root user"
        assert "HEALTHCHECK" in dockerfile
        if role(service.command) == "api":
            cmd = re.search(r"^CMD (\[.*\])$", dockerfile, re.M)
            assert cmd and json.loads(cmd.group(1)) == service.command


def dockerfile_healthcheck(dockerfile: str) -> list[str]:
    """The HEALTHCHECK's exec-form CMD (its continuation lines joined)."""
    found = re.search(r"^HEALTHCHECK .*?\bCMD (\[.*\])$", dockerfile.replace("\\\n", " "), re.M)
    assert found, "no exec-form HEALTHCHECK"
    return list(json.loads(found.group(1)))


@pytest.mark.parametrize("svc", SERVICES)
def test_each_dockerfiles_healthcheck_probes_the_metrics_port_a_worker_opens(svc: str) -> None:
    """Compose and Kubernetes give the worker a healthcheck of their own, so the image's is otherwise never
    run: with the worker's `<SERVICE>_METRICS_PORT` set, it must probe the port the worker serves
    /metrics on (`run_worker` → `serve_metrics(settings.metrics_port)`), and fail once nothing serves it."""
    (worker,) = [
        s for s in compose().services.values() if python_service(s) == svc and role(s.command) == "worker"
    ]
    variable = f"{svc.upper()}_METRICS_PORT"
    assert variable in worker.environment, "compose sets the worker's metrics port"
    port = free_port()
    env = {"PATH": os.environ["PATH"], variable: str(port)}
    assert settings_from(svc, {variable: str(port)}).metrics_port == port
    check = dockerfile_healthcheck((ROOT / "services" / svc / "Dockerfile").read_text())
    assert check[0] == "python" and "/metrics" in " ".join(check), check
    probe = [sys.executable, *check[1:]]
    metrics = subprocess.Popen(
        [sys.executable, "-c", SERVE_METRICS, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until(lambda: answers(port) or metrics.poll() is not None, 20, "the metrics port to answer")
        assert metrics.poll() is None, metrics.stderr.read() if metrics.stderr else ""
        healthy = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=30)
        assert healthy.returncode == 0, healthy.stderr[-2000:]
    finally:
        metrics.kill()
        metrics.wait()
    unhealthy = subprocess.run(probe, env=env, capture_output=True, text=True, timeout=30)
    assert unhealthy.returncode != 0, "the healthcheck passes with nothing serving the worker's metrics port"


SERVE_METRICS = (
    "import sys, time\n"
    "from kaleidoscope_shared.worker import serve_metrics\n"
    "assert serve_metrics(int(sys.argv[1]))\n"
    "time.sleep(120)\n"
)


def answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_every_dockerfile_copies_every_workspace_members_pyproject_before_syncing() -> None:
    """uv's lock names every workspace member: `uv sync --frozen` needs each one's pyproject.toml."""
    members = sorted(p.parent.relative_to(ROOT).as_posix() for p in ROOT.glob("services/*/pyproject.toml"))
    assert "services/web" in members
    for service in (*SERVICES, "web"):
        dockerfile = (ROOT / "services" / service / "Dockerfile").read_text()
        dependencies = dockerfile.split("--no-install-workspace")[0]
        for member in [*members, "shared", "cli"]:
            assert f"COPY {member}/pyproject.toml {member}/" in dependencies, f"{service}: {member}"
        assert f"--package kaleidoscope-{service} " in dockerfile
