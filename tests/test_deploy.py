"""The Dockerfile and the Kubernetes manifests: validated offline, their steps exercised."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from simulator.config_loading import load_settings
from simulator.plan import plan_stations
from tests.fleet import REPO

MANIFESTS = sorted((REPO / "deploy" / "kubernetes").glob("*.yaml"))
KUBERNETES_VERSION = "1.30.0"


def documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in MANIFESTS:
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                found.append((f"{path.name}:{document['kind']}", document))
    return found


@pytest.mark.parametrize(("name", "document"), documents(), ids=[n for n, _ in documents()])
def test_each_manifest_is_valid_kubernetes(name: str, document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_configmap_holds_a_fleet_evsim_loads_and_shards(tmp_path: Path) -> None:
    (configmap,) = [d for _, d in documents() if d["kind"] == "ConfigMap"]
    for name, content in configmap["data"].items():
        (tmp_path / name).write_text(content)
    (statefulset,) = [d for _, d in documents() if d["kind"] == "StatefulSet"]
    replicas = statefulset["spec"]["replicas"]
    env = {
        e["name"]: e.get("value")
        for e in statefulset["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["EVSIM_SHARD_COUNT"] == str(replicas)
    sizes = []
    for ordinal in range(replicas):
        settings = load_settings(
            tmp_path / "config.json",
            {"shardIndex": ordinal, "shardCount": replicas},
            environ={"EVSIM_PERFORMANCE_STORAGE__URI": "mongodb://127.0.0.1:1/evsim"},
        )
        sizes.append(len(plan_stations(settings)))
    total = json.loads(configmap["data"]["config.json"])["stationTemplateUrls"][0]
    assert sum(sizes) == total["numberOfStations"]


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run(
        [hadolint, str(REPO / "Dockerfile")],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.timeout(300)
def test_the_dockerfile_build_steps_install_a_working_evsim(tmp_path: Path) -> None:
    """The build stage's COPY set and pip command, run in a venv: nothing the image needs is
    left out of the context, and the installed package carries its web page."""
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "pip install --no-cache-dir '.[fast]'" in dockerfile
    context = tmp_path / "src"
    context.mkdir()
    for line in dockerfile.splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and "--from=build" not in line and "--chown" not in line:
            for source in words[1:-1]:
                target = context / source
                if (REPO / source).is_dir():
                    shutil.copytree(
                        REPO / source, target, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    shutil.copy(REPO / source, target)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", ".[fast]"],
        cwd=context,
        check=True,
        timeout=280,
        capture_output=True,
    )
    listed = subprocess.run(
        [str(venv / "bin" / "evsim"), "templates", "--config", str(REPO / "config/config.json")],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert listed.returncode == 0, listed.stderr
    assert "5 stations in 2 templates" in listed.stdout
    page = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import importlib.resources as r; print(r.files('simulator.ui').joinpath('static')"
            ".joinpath('index.html').is_file())",
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert page.stdout.strip() == "True", page.stderr
