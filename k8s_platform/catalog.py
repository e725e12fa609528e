"""Every Helm chart the program installs, pinned in one place.

Both sides of the contract read this module: the platform layer for its services, the local foundation
for its in-cluster object store and Postgres operator. A stack can override a platform component's
version with `components.<name>.version`; everything else is exactly what is pinned here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HelmChart:
    chart: str
    """Chart name, or the full `oci://` reference for charts served from an OCI registry."""
    version: str
    repository: str | None
    """HTTP chart repository; None for OCI charts."""
    namespace: str
    why: str
    """One line for the README's component table."""

    @property
    def is_oci(self) -> bool:
        return self.chart.startswith("oci://")


# --- local foundation: in-cluster stand-ins for the cloud's object store and database -----------------

SEAWEEDFS = HelmChart(
    chart="seaweedfs",
    version="4.0.401",
    repository="https://seaweedfs.github.io/seaweedfs/helm",
    namespace="object-store",
    why="S3-compatible object store for the local stack (Apache-2.0, actively maintained)",
)
CLOUDNATIVE_PG = HelmChart(
    chart="cloudnative-pg",
    version="0.27.0",
    repository="https://cloudnative-pg.github.io/charts",
    namespace="cnpg-system",
    why="PostgreSQL operator for the local stack (CNCF project; backups, failover, TLS)",
)
