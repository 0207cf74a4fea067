"""The Kubernetes manifests run what docker-compose.yml runs, configured as the services' settings
require; judging's Deployments and the web front are the ones the autoscalers scale, and the Ingress
sends `/` to the web front."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from .deployment import (
    KUBERNETES,
    SERVICES,
    WEB,
    compose,
    python_service,
    role,
    settings_from,
    unknown_settings,
    unknown_web_settings,
    web_services,
    web_settings_from,
)
from .deployment import kubernetes_documents as documents


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents() if doc["kind"] == kind}


def container_environment(pod: dict[str, Any], *, as_shipped: bool = False) -> dict[str, str]:
    """The environment a pod's only container gets from its ConfigMaps, Secrets and own `env` — with
    the Secrets' CHANGE-ME placeholders replaced by random values, as an operator must do first
    (`as_shipped`: as they are in the files)."""
    (container,) = pod["containers"]
    config_maps, secrets = by_kind("ConfigMap"), by_kind("Secret")
    environment: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            environment |= config_maps[source["configMapRef"]["name"]]["data"]
        if "secretRef" in source:
            environment |= secrets[source["secretRef"]["name"]]["stringData"]
    environment |= {item["name"]: item["value"] for item in container.get("env", [])}
    return environment if as_shipped else {key: _replaced(value) for key, value in environment.items()}


_OPERATOR_SECRETS: dict[str, str] = {}


def _replaced(value: str) -> str:
    """A placeholder's value replaced as an operator would: one random secret per placeholder text
    (so the grant key stays the same in every service)."""
    if "CHANGE-ME" not in value:
        return value
    if re.fullmatch(r"CHANGE-ME\S*", value):
        return _OPERATOR_SECRETS.setdefault(value, secrets.token_urlsafe(32))
    return value.replace("CHANGE-ME", _OPERATOR_SECRETS.setdefault("password", secrets.token_hex(16)))


def workloads() -> dict[str, dict[str, Any]]:
    """The services' Deployments and Jobs by name, each with its pod spec (the web front's apart)."""
    return {
        name: doc["spec"]["template"]["spec"]
        for kind in ("Deployment", "Job")
        for name, doc in by_kind(kind).items()
        if name != WEB
    }


def web_pod() -> dict[str, Any]:
    return by_kind("Deployment")[WEB]["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def test_every_service_has_an_api_a_worker_and_a_migration_job_and_the_web_front_a_deployment() -> None:
    apis_and_workers = {f"{s}-{r}" for s in SERVICES for r in ("api", "worker")}
    assert set(by_kind("Deployment")) == apis_and_workers | {WEB}
    assert set(by_kind("Job")) == {f"{s}-migrate" for s in SERVICES}
    assert set(by_kind("Service")) == {f"{s}-api" for s in SERVICES} | {WEB}


def test_each_workload_runs_the_command_compose_runs_for_the_same_role() -> None:
    compose_commands = {
        (python_service(s), role(s.command)): s.command
        for s in compose().services.values()
        if python_service(s)
    }
    for name, pod in workloads().items():
        service, workload_role = name.rsplit("-", 1)
        (container,) = pod["containers"]
        assert container["command"] == compose_commands[(service, workload_role)], name
        assert container["image"].startswith(f"kaleidoscope/{service}:"), name


def test_each_workload_environment_is_a_valid_production_configuration_of_its_service() -> None:
    for name, pod in workloads().items():
        service = name.rsplit("-", 1)[0]
        environment = container_environment(pod)
        assert unknown_settings(service, environment) == [], name
        settings = settings_from(service, environment)  # raises if production refuses it
        assert settings.environment == "production" and settings.create_tables is False, name


def test_the_web_front_runs_the_compose_command_as_a_valid_production_configuration() -> None:
    (compose_web,) = web_services(compose()).values()
    (container,) = web_pod()["containers"]
    assert container["command"] == compose_web.command
    assert container["image"].startswith("kaleidoscope/web:")
    environment = container_environment(web_pod())
    assert unknown_web_settings(environment) == []
    settings = web_settings_from(environment)  # raises if production refuses it
    assert settings.environment == "production" and settings.cookies_https_only() is True
    services = by_kind("Service")
    for service in SERVICES:
        url = getattr(settings, f"{service}_url")
        assert url == f"http://{service}-api.kaleidoscope.svc", service
        assert services[f"{service}-api"]["spec"]["ports"][0]["port"] == 80
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert web_pod()["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_every_service_shares_the_grant_key_and_links_to_the_web_fronts_public_address() -> None:
    keys, bases = set(), set()
    for name, pod in workloads().items():
        settings = settings_from(name.rsplit("-", 1)[0], container_environment(pod))
        keys.add(settings.grant_key.get_secret_value())
        bases.add(settings.model_dump()["public_base_url"])
    assert len(keys) == 1  # one grant key (one placeholder text, one secret) for every service
    assert bases == {"https://kaleidoscope.example.org"}


def test_the_grace_period_outlasts_the_services_shutdown_and_pods_run_unprivileged() -> None:
    for name, pod in workloads().items():
        service = name.rsplit("-", 1)[0]
        shutdown = settings_from(service, container_environment(pod)).shutdown_timeout_s
        if name.endswith(("-api", "-worker")):
            assert pod["terminationGracePeriodSeconds"] > shutdown + 5, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        (container,) = pod["containers"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, name


def test_judging_api_and_worker_are_scaled_by_autoscalers_that_own_their_replica_count() -> None:
    autoscalers = by_kind("HorizontalPodAutoscaler")
    targets = {hpa["spec"]["scaleTargetRef"]["name"] for hpa in autoscalers.values()}
    assert targets == {"judging-api", "judging-worker", WEB}
    for target in targets:
        deployment = by_kind("Deployment")[target]
        assert "replicas" not in deployment["spec"], f"{target}: a fixed count fights the autoscaler"
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["resources"]["requests"]["cpu"], "CPU utilisation needs a CPU request"


def test_services_and_the_ingress_reach_the_api_pods() -> None:
    deployments = by_kind("Deployment")
    for name, service in by_kind("Service").items():
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod_labels.items(), name
    backends = {
        (
            path["path"].split("(")[0],
            ingress["metadata"]["annotations"].get("nginx.ingress.kubernetes.io/x-forwarded-prefix"),
        ): path["backend"]["service"]["name"]
        for name, ingress in by_kind("Ingress").items()
        if not name.endswith("-uploads")
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert backends == {(f"/{s}", f"/{s}"): f"{s}-api" for s in SERVICES} | {("/", None): WEB}
    for name, backend, prefix in (
        ("submissions-uploads", "submissions-api", "/submissions"),
        ("web-uploads", WEB, None),
    ):
        ingress = by_kind("Ingress")[name]
        assert (
            ingress["metadata"]["annotations"].get("nginx.ingress.kubernetes.io/x-forwarded-prefix") == prefix
        )
        assert {
            p["backend"]["service"]["name"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]
        } == {backend}


def test_the_web_ingress_keeps_paths_and_streams_the_hall_unbuffered_for_an_hour() -> None:
    web = by_kind("Ingress")[WEB]
    annotations = web["metadata"]["annotations"]
    assert "nginx.ingress.kubernetes.io/rewrite-target" not in annotations
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600
    ((path,),) = [rule["http"]["paths"] for rule in web["spec"]["rules"]]
    assert (path["path"], path["pathType"]) == ("/", "Prefix")


def test_secrets_in_the_repository_are_placeholders_only() -> None:
    for name, secret in by_kind("Secret").items():
        for key, value in secret["stringData"].items():
            assert "CHANGE-ME" in value, f"{name}: {key} looks like a real secret"


def test_the_kustomization_applies_every_manifest() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    manifests = {path.name for path in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == manifests


def test_the_shipped_placeholders_are_refused_in_production() -> None:
    for name, pod in workloads().items():
        service = name.rsplit("-", 1)[0]
        with pytest.raises(ValidationError, match="placeholder"):
            settings_from(service, container_environment(pod, as_shipped=True))
    with pytest.raises(ValidationError, match="placeholder"):
        web_settings_from(container_environment(web_pod(), as_shipped=True))


def test_bodies_past_one_mebibyte_pass_only_where_files_are_uploaded() -> None:
    sizes = {
        name: ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
        for name, ingress in by_kind("Ingress").items()
    }
    uploads = {"submissions-uploads", "web-uploads"}
    assert {name: size for name, size in sizes.items() if name not in uploads} == dict.fromkeys(
        set(sizes) - uploads, "1m"
    )
    assert {sizes[name] for name in uploads} == {"100m"}
    paths = [
        re.compile(path["path"])
        for name in uploads
        for rule in by_kind("Ingress")[name]["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    uploaded_to = [
        "/submissions/contests/c1/attachments",
        "/contests/c1/uploads",
        "/contests/c1/submit",
        "/entries/e1/edit",
    ]
    assert all(any(p.fullmatch(url) for p in paths) for url in uploaded_to)
    assert not any(p.fullmatch(url) for p in paths for url in ("/submissions/contests", "/contests/c1/hall"))
