"""`python -m smoke --stack NAME`: is the deployed stack what `pulumi up` promised?

Reads the stack's outputs (`pulumi stack output`) for the kubeconfig or kube context, then checks through kubectl:
every Helm release deployed, every Deployment/StatefulSet ready, every platform pod running, ExternalSecrets
synced, certificates Ready (when a domain is set), MLflow answering, logging a run and registering a model (through
a port-forward), the example training workflow registering a model that the example InferenceService serves, and
no Prometheus target of the platform's monitors down. Exit code 0 when nothing failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from k8s_platform import mlflow as mlflow_component
from k8s_platform.catalog import KUBE_PROMETHEUS_STACK, MLFLOW
from smoke.kube import (
    Kubectl,
    helm_releases_not_deployed,
    not_ready_condition,
    pods_not_running,
    summarize,
    targets_down,
    workloads_not_ready,
)
from smoke.mlflow_steps import MlflowClient, MlflowSteps
from smoke.report import CheckError, NotApplicableError, Report

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS_SERVICE = "kube-prometheus-stack-prometheus"
IRIS_SAMPLE = [[6.8, 2.8, 4.8, 1.4], [5.1, 3.5, 1.4, 0.2]]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m smoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the Pulumi stack to check (e.g. dev-local)")
    parser.add_argument("--keep", action="store_true", help="leave the test's runs, models and objects for debugging")
    parser.add_argument("--outputs", type=Path, help="stack outputs as JSON instead of `pulumi stack output`")
    parser.add_argument("--context", help="kube context (default: the stack's kubeContext output, else current)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for training and serving")
    parser.add_argument("--skip-serving", action="store_true", help="skip the training workflow and prediction")
    return parser.parse_args(argv)


def stack_outputs(args: argparse.Namespace) -> dict[str, Any]:
    if args.outputs:
        return dict(json.loads(args.outputs.read_text()))
    result = subprocess.run(
        ["pulumi", "stack", "output", "--json", "--show-secrets", "--stack", args.stack],
        capture_output=True, text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"cannot read the outputs of stack {args.stack}: {result.stderr.strip()}")
    return dict(json.loads(result.stdout))


def kubectl_for(outputs: dict[str, Any], args: argparse.Namespace) -> Kubectl:
    """The stack's own kubeconfig when it exports one (clouds), else the context the local stack deployed to."""
    kubeconfig = outputs.get("kubeconfig")
    path = None
    if kubeconfig:
        handle, path = tempfile.mkstemp(prefix=f"smoke-{args.stack}-", suffix=".kubeconfig")
        with os.fdopen(handle, "w") as f:
            f.write(kubeconfig if isinstance(kubeconfig, str) else json.dumps(kubeconfig))
    return Kubectl(kubeconfig=path, context=args.context or outputs.get("kubeContext"))


def cluster_checks(kube: Kubectl) -> list[tuple[str, Callable[[], str | None]]]:
    def namespaces() -> list[str]:
        found = kube.platform_namespaces()
        if not found:
            raise CheckError("no namespace carries the platform's label: is this the right cluster?")
        return found

    def releases() -> str:
        problems = helm_releases_not_deployed(
            kube.json("get", "secrets", "--all-namespaces", "-l", "owner=helm")["items"]
        )
        if problems:
            raise CheckError(summarize(problems))
        return "every release's newest revision is deployed"

    def workloads() -> str:
        found = kube.items("deployments,statefulsets", namespaces())
        problems = workloads_not_ready(found)
        if problems:
            raise CheckError(summarize(problems))
        return f"{len(found)} ready"

    def pods() -> str:
        found = kube.items("pods", namespaces())
        problems = pods_not_running(found)
        if problems:
            raise CheckError(summarize(problems))
        return f"{len(found)} running or completed"

    def conditions(kind: str, none: str) -> Callable[[], str]:
        def check() -> str:
            found = kube.items(kind)
            if not found:
                raise NotApplicableError(none)
            problems = not_ready_condition(found)
            if problems:
                raise CheckError(summarize(problems))
            return f"{len(found)} ready"

        return check

    return [
        ("helm releases deployed", releases),
        ("deployments and statefulsets ready", workloads),
        ("platform pods running", pods),
        ("external secrets synced", conditions("externalsecrets.external-secrets.io", "no ExternalSecrets")),
        ("certificates ready", conditions("certificates.cert-manager.io", "no certificates (no domain set)")),
    ]


def mlflow_checks(steps: MlflowSteps) -> list[tuple[str, Callable[[], str | None]]]:
    return [
        ("mlflow answers", steps.answers),
        ("mlflow logs a run", steps.log_run),
        ("mlflow registers a model", steps.register_model),
        ("mlflow clean-up", steps.clean_up),
    ]


def serve_example(kube: Kubectl, mlflow: MlflowClient, outputs: dict[str, Any], keep: bool, timeout: float) -> str:
    """Runs examples/training-workflow.yaml, then examples/inference-service.yaml on the model it registered."""
    name = f"smoke-{int(time.time())}"
    user = {"username": name, "password": os.urandom(12).hex()}
    workflow = yaml.safe_load((ROOT / "examples" / "training-workflow.yaml").read_text())
    model = f"{name}-iris"
    workflow["spec"]["arguments"]["parameters"] = [{"name": "registered-model", "value": model}]
    namespace = workflow["metadata"]["namespace"]
    created: list[tuple[str, str, str]] = []
    try:
        mlflow.call(
            "POST", "/api/2.0/mlflow/users/create", {"username": user["username"], "password": user["password"]}
        )
        metadata = {"name": "mlflow-credentials", "namespace": namespace}
        secret = {"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "stringData": user}
        if not kube.run("get", "secret", "mlflow-credentials", "-n", namespace, "--ignore-not-found"):
            kube.run("apply", "-f", "-", stdin=json.dumps(secret))
            created.append(("secret", namespace, "mlflow-credentials"))
        run_name = kube.run("create", "-f", "-", "-o", "name", stdin=json.dumps(workflow)).strip().split("/")[-1]
        created.append(("workflow", namespace, run_name))
        phase = wait_for(lambda: kube.json("get", "workflow", run_name, "-n", namespace).get("status", {}).get("phase"),
                         {"Succeeded"}, {"Failed", "Error"}, timeout, f"workflow {run_name}")  # fmt: skip
        versions = mlflow.call("GET", f"/api/2.0/mlflow/registered-models/get?name={model}")
        source = versions["registered_model"]["latest_versions"][0]["source"]
        storage_uri = storage_uri_of(mlflow, source, outputs["artifactStoreUri"])
        service = yaml.safe_load((ROOT / "examples" / "inference-service.yaml").read_text())
        service["metadata"]["name"] = name
        service["spec"]["predictor"]["model"]["storageUri"] = storage_uri
        isvc_ns = service["metadata"]["namespace"]
        kube.run("apply", "-f", "-", stdin=json.dumps(service))
        created.append(("inferenceservice", isvc_ns, name))
        wait_for(lambda: "True" if not not_ready_condition([kube.json("get", "inferenceservice", name, "-n", isvc_ns)])
                 else "False", {"True"}, set(), timeout, f"InferenceService {name}")  # fmt: skip
        with kube.port_forward(isvc_ns, f"service/{name}-predictor", 80) as url:
            request = urllib.request.Request(f"{url}/v1/models/{name}:predict", method="POST",
                                             data=json.dumps({"instances": IRIS_SAMPLE}).encode(),
                                             headers={"Content-Type": "application/json"})  # fmt: skip
            with urllib.request.urlopen(request, timeout=30) as response:
                predictions = json.loads(response.read())["predictions"]
        if len(predictions) != len(IRIS_SAMPLE):
            raise CheckError(f"the model answered {predictions}")
        return f"workflow {phase}; {storage_uri} predicted {predictions}"
    finally:
        if not keep:
            for kind, ns, obj in reversed(created):
                kube.run("delete", kind, obj, "-n", ns, "--ignore-not-found", "--wait=false")
            mlflow.request("DELETE", "/api/2.0/mlflow/registered-models/delete", {"name": model})
            mlflow.request("DELETE", "/api/2.0/mlflow/users/delete", {"username": user["username"]})


def storage_uri_of(mlflow: MlflowClient, source: str, artifact_root: str) -> str:
    """`models:/<id>` -> the logged model's `mlflow-artifacts:/<path>` -> `<artifact store root>/<path>`."""
    model_id = source.removeprefix("models:/")
    location = mlflow.call("GET", f"/api/2.0/mlflow/logged-models/{model_id}")["model"]["info"]["artifact_uri"]
    return f"{artifact_root.rstrip('/')}/{location.removeprefix('mlflow-artifacts:/').strip('/')}"


def wait_for(read: Callable[[], str | None], done: set[str], failed: set[str], timeout: float, what: str) -> str:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = read()
        if value in done:
            return value
        if value in failed:
            raise CheckError(f"{what} is {value}")
        time.sleep(5)
    raise CheckError(f"{what} still {value or 'pending'} after {timeout:.0f}s")


def prometheus_check(kube: Kubectl) -> str:
    namespace = KUBE_PROMETHEUS_STACK.namespace
    with (
        kube.port_forward(namespace, f"service/{PROMETHEUS_SERVICE}", 9090) as url,
        urllib.request.urlopen(f"{url}/api/v1/targets?state=active", timeout=30) as response,
    ):
        targets = json.loads(response.read())
    down = targets_down(targets, namespace)
    if down:
        raise CheckError("; ".join(f"{t.pool} {t.instance}: {t.error}" for t in down[:5]))
    return "no platform target down"


def unreachable(error: Exception) -> str:
    raise CheckError(f"{type(error).__name__}: {error}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    outputs = stack_outputs(args)
    kube = kubectl_for(outputs, args)
    report = Report()
    print(f"smoke test of stack {args.stack} ({outputs.get('cloud', '?')})", flush=True)
    for name, check in cluster_checks(kube):
        report.run(name, check)
    unreachable_mlflow: Exception | None = None
    try:
        admin = kube.secret(MLFLOW.namespace, mlflow_component.ADMIN_SECRET)
        with kube.port_forward(MLFLOW.namespace, f"service/{mlflow_component.SERVICE}", mlflow_component.PORT) as url:
            client = MlflowClient(url, admin["username"], admin["password"])
            for name, check in mlflow_checks(MlflowSteps(client, keep=args.keep)):
                report.run(name, check)
            if not args.skip_serving:
                report.run("example model serves a prediction",
                           lambda: serve_example(kube, client, outputs, args.keep, args.timeout))  # fmt: skip
    except Exception as e:  # no admin Secret or no port-forward: every MLflow check is moot, say so once
        unreachable_mlflow = e
    if unreachable_mlflow is not None:
        error = unreachable_mlflow
        report.run("mlflow reachable", lambda: unreachable(error))
    report.run("prometheus targets up", lambda: prometheus_check(kube))
    print("\n" + report.table(), flush=True)
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
