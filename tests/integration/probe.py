"""Client steps of the integration test, run in the integration environment (MLflow, boto3, kserve-storage, the
serving runtime's scikit-learn): `python probe.py COMMAND ARGS...`, answering one line of JSON.

MLflow credentials and the tracking URI come from the environment, as in the example workflow's container.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def create_user(name: str, password: str) -> Any:
    from mlflow.server.auth.client import AuthServiceClient

    user = AuthServiceClient(os.environ["MLFLOW_TRACKING_URI"]).create_user(name, password)
    return {"username": user.username}


def runs(experiment: str) -> Any:
    import mlflow

    found = mlflow.search_runs(experiment_names=[experiment], output_format="list")
    return [
        {"status": r.info.status, "params": r.data.params, "metrics": r.data.metrics, "run_id": r.info.run_id}
        for r in found
    ]


def model_versions(name: str) -> Any:
    from mlflow import MlflowClient

    client = MlflowClient()
    versions = []
    for v in client.search_model_versions(f"name='{name}'"):
        # MLflow 3 registers a logged model: the version's source is `models:/<model id>`.
        model_id = v.source.removeprefix("models:/") if v.source.startswith("models:/") else None
        model = client.get_logged_model(model_id) if model_id else None
        versions.append(
            {
                "version": v.version,
                "status": v.status,
                "run_id": v.run_id,
                "source": v.source,
                "artifact_location": model.artifact_location if model else None,
            }
        )
    return versions


def objects(bucket: str, prefix: str) -> Any:
    import boto3

    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def make_bucket(bucket: str) -> Any:
    import boto3

    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    s3.create_bucket(Bucket=bucket)
    # The local stack's chart creates its bucket with versioning on.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return {"bucket": bucket}


# KServe v0.20.0 python/sklearnserver/sklearnserver/model.py: SKLearnModel.load.
MODEL_EXTENSIONS = (".joblib", ".pkl", ".pickle")


def serve(storage_uri: str, out_dir: str) -> Any:
    """Download with kserve-storage as the storage initializer does, load as the sklearn runtime does, predict."""
    import joblib
    import sklearn
    from kserve_storage import Storage
    from sklearn.datasets import load_iris

    path = Storage.download(storage_uri, out_dir)
    files = [f for f in sorted(os.listdir(path)) if os.path.isfile(os.path.join(path, f))]
    model_files = [f for f in files if f.endswith(MODEL_EXTENSIONS)]
    if len(model_files) != 1:
        return {"files": files, "error": f"the runtime needs exactly one model file, found {model_files}"}
    model = joblib.load(os.path.join(path, model_files[0]))
    features, _ = load_iris(return_X_y=True)
    return {
        "files": files,
        "sklearn": sklearn.__version__,
        "predictions": [int(p) for p in model.predict(features[:3])],
    }


def state(experiment: str, model: str, bucket: str, prefix: str) -> Any:
    """Runs, model versions and the bucket's objects under `prefix`, in one interpreter start."""
    return {"runs": runs(experiment), "versions": model_versions(model), "objects": objects(bucket, prefix)}


COMMANDS = {
    "state": state,
    "create-user": create_user,
    "runs": runs,
    "model-versions": model_versions,
    "objects": objects,
    "make-bucket": make_bucket,
    "serve": serve,
}

if __name__ == "__main__":
    print(json.dumps(COMMANDS[sys.argv[1]](*sys.argv[2:])))
