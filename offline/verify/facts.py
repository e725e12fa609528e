"""Upstream facts the checks rely on, read from `offline/facts/upstream/facts.yaml` (each with its source)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

FACTS_DIR = Path(__file__).resolve().parent.parent / "facts"
_UPSTREAM: dict[str, Any] = yaml.safe_load((FACTS_DIR / "upstream" / "facts.yaml").read_text())

GKE: dict[str, Any] = _UPSTREAM["gke"]
AKS: dict[str, Any] = _UPSTREAM["aks"]
EKS: dict[str, Any] = _UPSTREAM["eks"]
LOCAL: dict[str, Any] = _UPSTREAM["local"]


def reference_iam_actions(fixture: str) -> set[str]:
    """Every action a controller's reference IAM policy allows (`offline/facts/upstream/iam/<fixture>.json`)."""
    import json

    document = json.loads((FACTS_DIR / "upstream" / "iam" / f"{fixture}.json").read_text())
    return {a for s in document["statements"] if s["effect"] == "Allow" for a in s["actions"]}
