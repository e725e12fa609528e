"""Data-science teams sharing the platform: each gets a namespace, a quota, RBAC and its own cloud identity."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from config.model import Settings

TeamName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,20}[a-z0-9]$")]
Quantity = Annotated[str, StringConstraints(pattern=r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$")]


class TeamQuota(Settings):
    cpu: Quantity = "16"
    """CPU requests the team's namespace may hold in total."""
    memory: Quantity = "64Gi"
    """Memory requests in total."""
    gpus: int = Field(default=1, ge=0, le=256)
    """nvidia.com/gpu requests in total."""
    pods: int = Field(default=50, ge=1, le=5000)
    """Pods at once."""
    storage: Quantity = "200Gi"
    """Persistent volume claims in total."""


class Team(Settings):
    name: TeamName
    """Team name; its namespace is `team-<name>`."""
    identity_group: str = Field(min_length=1)
    """The identity-provider group whose members edit the team's namespace: an IAM role ARN mapped by an
    EKS access entry (AWS), an Entra ID group object ID (Azure), a Google group e-mail (GCP), or a plain
    Kubernetes group (local)."""
    quota: TeamQuota = TeamQuota()
    """What the team's namespace may request in total."""
    force_remove: bool = False
    """Allow removing the team even though its namespace and artifacts still hold data."""


def team_is_protected(team: Team, protect: bool) -> bool:
    """Whether `pulumi up` refuses to delete the team's namespace (and, in the foundations, its identity).

    Removing a team's config entry while it still holds data is refused: its resources stay protected
    until `forceRemove: true` has been applied once (docs/teams.md). Foundations use the same rule for the
    team's cloud identity, so both halves of a team go away together or not at all.
    """
    return protect and not team.force_remove
