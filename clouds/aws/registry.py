"""The container registry for model-serving images: ECR with scan on push, immutable tags and a lifecycle."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class RegistryArgs:
    repository_name: str
    untagged_expiry_days: int
    keep_tagged_images: int
    protect: bool


class Registry(pulumi.ComponentResource):
    repository: aws.ecr.Repository
    url: pulumi.Output[str]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:aws:Registry", name, None, opts)

        self.repository = aws.ecr.Repository(
            name,
            name=args.repository_name,
            # A tag names one image forever: a deployed model can be traced to exactly what was scanned.
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS")],
            force_delete=False,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.ecr.LifecyclePolicy(
            name,
            repository=self.repository.name,
            policy=json.dumps(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "description": "Drop untagged layers left by rebuilds",
                            "selection": {
                                "tagStatus": "untagged",
                                "countType": "sinceImagePushed",
                                "countUnit": "days",
                                "countNumber": args.untagged_expiry_days,
                            },
                            "action": {"type": "expire"},
                        },
                        {
                            "rulePriority": 2,
                            "description": "Keep the newest tagged images",
                            "selection": {
                                "tagStatus": "any",
                                "countType": "imageCountMoreThan",
                                "countNumber": args.keep_tagged_images,
                            },
                            "action": {"type": "expire"},
                        },
                    ]
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.url = self.repository.repository_url
        self.register_outputs({"url": self.url})
