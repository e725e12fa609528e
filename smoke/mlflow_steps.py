"""MLflow's part of the smoke test, through its REST API only (no MLflow package needed on the user's machine).

Against any MLflow URL: through a port-forward on a cluster, or the integration test's local server in CI.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from smoke.report import CheckError

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"


@dataclass
class MlflowClient:
    url: str
    username: str | None = None
    password: str | None = None

    def request(self, method: str, path: str, body: Any = None, data: bytes | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if self.username is not None:
            token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        payload = json.dumps(body).encode() if body is not None else data
        request = urllib.request.Request(self.url.rstrip("/") + path, data=payload, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                status: int = response.status
        except urllib.error.HTTPError as e:
            raw, status = e.read(), e.code
        try:
            return status, json.loads(raw) if raw else {}
        except ValueError:
            return status, raw.decode(errors="replace")

    def call(self, method: str, path: str, body: Any = None, data: bytes | None = None) -> Any:
        status, answer = self.request(method, path, body, data)
        if status != 200:
            raise CheckError(f"{method} {path}: HTTP {status}: {str(answer)[:300]}")
        return answer


@dataclass
class MlflowSteps:
    """Log a run with a metric and an artifact, register a model version from it, then clean up (unless kept)."""

    client: MlflowClient
    name: str = field(default_factory=lambda: f"smoke-{int(time.time())}")
    keep: bool = False
    experiment_id: str | None = None
    run_id: str | None = None

    def answers(self) -> str:
        status, _ = self.client.request("GET", "/health")
        if status != 200:
            raise CheckError(f"/health answered HTTP {status}")
        anonymous = MlflowClient(self.client.url)
        status, _ = anonymous.request("GET", f"{API}/experiments/search?max_results=1")
        if status != 401:
            raise CheckError(f"an unauthenticated request got HTTP {status}, not 401: is authentication off?")
        return "healthy; anonymous requests refused"

    def log_run(self) -> str:
        now = int(time.time() * 1000)
        self.experiment_id = self.client.call("POST", f"{API}/experiments/create", {"name": self.name})["experiment_id"]
        run = self.client.call("POST", f"{API}/runs/create", {"experiment_id": self.experiment_id, "start_time": now})
        self.run_id = run_id = run["run"]["info"]["run_id"]
        metric = {"run_id": run_id, "key": "smoke", "value": 1.0, "timestamp": now, "step": 0}
        self.client.call("POST", f"{API}/runs/log-metric", metric)
        # Through the server's artifact proxy into the object store: the path every client takes.
        self.client.call("PUT", f"{ARTIFACTS_API}/{self._artifact_path()}/smoke.txt", data=b"smoke test\n")
        self.client.call("POST", f"{API}/runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": now})
        stored = self.client.call("GET", f"{API}/runs/get?run_id={run_id}")["run"]
        if not any(m["key"] == "smoke" for m in stored["data"].get("metrics", [])):
            raise CheckError(f"run {run_id} has no `smoke` metric after logging it")
        listed = self.client.call("GET", f"{ARTIFACTS_API}?path={urllib.parse.quote(self._artifact_path())}")
        if not any(f["path"] == "smoke.txt" for f in listed.get("files", [])):
            raise CheckError(f"the artifact store does not list the uploaded artifact: {listed}")
        return f"run {run_id} in experiment {self.name}, metric and artifact stored"

    def register_model(self, timeout: float = 60) -> str:
        if self.run_id is None:
            raise CheckError("no run to register (logging the run failed)")
        run = self.client.call("GET", f"{API}/runs/get?run_id={self.run_id}")["run"]
        self.client.call("POST", f"{API}/registered-models/create", {"name": self.name})
        body = {"name": self.name, "source": run["info"]["artifact_uri"], "run_id": self.run_id}
        version = self.client.call("POST", f"{API}/model-versions/create", body)["model_version"]
        deadline = time.monotonic() + timeout
        while version["status"] != "READY":
            if version["status"] == "FAILED_REGISTRATION" or time.monotonic() > deadline:
                raise CheckError(f"model version {version['version']} is {version['status']}")
            time.sleep(1)
            query = urllib.parse.urlencode({"name": self.name, "version": version["version"]})
            version = self.client.call("GET", f"{API}/model-versions/get?{query}")["model_version"]
        return f"model {self.name} version {version['version']} READY"

    def clean_up(self) -> str:
        if self.keep:
            return f"kept experiment and model {self.name} (--keep)"
        if self.run_id is not None:
            self.client.call("DELETE", f"{API}/registered-models/delete", {"name": self.name})
            self.client.request("DELETE", f"{ARTIFACTS_API}/{self._artifact_path()}/smoke.txt")
        if self.experiment_id is not None:
            self.client.call("POST", f"{API}/experiments/delete", {"experiment_id": self.experiment_id})
        return f"deleted experiment and model {self.name}"

    def _artifact_path(self) -> str:
        """`mlflow-artifacts:/<exp>/<run>/artifacts` is what the server proxies; its REST path drops the scheme."""
        run = self.client.call("GET", f"{API}/runs/get?run_id={self.run_id}")["run"]
        uri: str = run["info"]["artifact_uri"]
        if not uri.startswith("mlflow-artifacts:/"):
            raise CheckError(f"artifacts are not proxied by the server (artifact_uri {uri})")
        return uri.removeprefix("mlflow-artifacts:/").strip("/")
