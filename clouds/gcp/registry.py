"""The image registry: an Artifact Registry Docker repository for model-serving and pipeline images."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

UNTAGGED_MAX_AGE = f"{30 * 86400}s"
KEEP_RECENT_VERSIONS = 20


@dataclass(frozen=True)
class ImageRegistryArgs:
    project: str
    region: str
    naming: Callable[[str], str]
    readers: Sequence[pulumi.Input[str]]
    """IAM members that pull (the node service account)."""
    immutable_tags: bool
    protect: bool
    """Pushed images may exist nowhere else: the repository is protected like the bucket and the database."""
    depends_on: Sequence[pulumi.Resource] = ()
    labels: Mapping[str, str] | None = None


class ImageRegistry(pulumi.ComponentResource):
    url: pulumi.Output[str]
    """`<region>-docker.pkg.dev/<project>/<repository>`: the prefix of every image name."""

    def __init__(self, name: str, args: ImageRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:gcp:ImageRegistry", name, None, opts)
        repository_id = args.naming("images")
        repository = gcp.artifactregistry.Repository(
            f"{name}-images",
            project=args.project,
            location=args.region,
            repository_id=repository_id,
            format="DOCKER",
            description="Model-serving and pipeline images of the MLOps platform",
            docker_config={"immutable_tags": args.immutable_tags},
            # Untagged layers pile up with every push; keep recent versions so rollbacks still work.
            cleanup_policies=[
                {
                    "id": "delete-old-untagged",
                    "action": "DELETE",
                    "condition": {"tag_state": "UNTAGGED", "older_than": UNTAGGED_MAX_AGE},
                },
                {
                    "id": "keep-recent",
                    "action": "KEEP",
                    "most_recent_versions": {"keep_count": KEEP_RECENT_VERSIONS},
                },
            ],
            labels=dict(args.labels or {}),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on), protect=args.protect),
        )
        for index, member in enumerate(args.readers):
            gcp.artifactregistry.RepositoryIamMember(
                f"{name}-reader-{index}",
                project=args.project,
                location=args.region,
                repository=repository.name,
                role="roles/artifactregistry.reader",
                member=member,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.url = pulumi.Output.concat(args.region, "-docker.pkg.dev/", args.project, "/", repository.repository_id)
        self.register_outputs({"url": self.url})
