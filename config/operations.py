"""Day-2 operations settings: admission policy mode, allowed image registries, logs and cost add-ons.

Backup retention is deliberately not repeated here: the database's point-in-time window is
`database.backupRetentionDays` and artifact history is `objectStore.noncurrentVersionExpirationDays`;
a second knob for either could only disagree with the first (see docs/runbooks/restore-mlflow.md).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from config.model import Environment, Settings


class AdmissionMode(StrEnum):
    """Kyverno's spelling of a validate rule's `failureAction`."""

    AUDIT = "Audit"
    """Violations are admitted and reported (PolicyReports, API warnings)."""
    ENFORCE = "Enforce"
    """Violations are rejected at admission."""


RegistryPrefix = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(/[a-z0-9._-]+)*$")]
"""A registry host, optionally with a path: `ghcr.io/my-org`, `123456789012.dkr.ecr.eu-west-1.amazonaws.com`."""


class Admission(Settings):
    """Kyverno admission policies for pods (cluster-wide and in team namespaces)."""

    enabled: bool = True
    """Install Kyverno and the policies."""
    mode: AdmissionMode | None = None
    """Unset: Audit in dev (violations are reported, never block a laptop), Enforce in staging and prod."""
    allowed_registries: list[RegistryPrefix] = []
    """Where team images may come from, besides the stack's own registry (always allowed)."""

    def failure_action(self, environment: Environment) -> AdmissionMode:
        if self.mode is not None:
            return self.mode
        return AdmissionMode.AUDIT if environment == Environment.DEV else AdmissionMode.ENFORCE


class Loki(Settings):
    """Pod logs in the cluster. Off by default: the clouds' log services (CloudWatch Container Insights,
    Azure Monitor Container Insights, Cloud Logging) already collect pod logs."""

    enabled: bool = False
    """Install Loki (one replica on a volume) and Alloy to ship pod logs to it."""
    retention_days: int = Field(default=14, ge=1, le=365)
    """Logs older than this are deleted by Loki's compactor."""
    storage_gb: int = Field(default=50, ge=5, le=16384)
    """Size of Loki's volume (on the cluster's default storage class)."""


class OpenCost(Settings):
    """Cost per namespace (and so per team) in Grafana, priced from the cloud's public price list."""

    enabled: bool = False
    """Install OpenCost, reading usage from the monitoring component's Prometheus."""


class Operations(Settings):
    admission: Admission = Admission()
    """Kyverno admission policies for pods."""
    loki: Loki = Loki()
    """Pod logs in the cluster (off: the cloud's log service collects them)."""
    opencost: OpenCost = OpenCost()
    """Cost per namespace and team, priced from the cloud's public price list."""
