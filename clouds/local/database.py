"""PostgreSQL inside the cluster with the CloudNativePG operator, standing in for RDS/Flexible Server/Cloud SQL.

CloudNativePG rather than a plain StatefulSet chart: it is a CNCF project, handles TLS, failover and
backups the way a managed database would, and its images are published for every Postgres major.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from clouds.contract import Database
from config.model import Database as DatabaseSettings
from k8s_platform.catalog import CLOUDNATIVE_PG
from k8s_platform.helm import helm_release
from k8s_platform.namespace import namespace

DATABASE_NAMESPACE = "database"
CLUSTER_NAME = "mlops-postgres"
OPERATOR_PORTS = (5432, 8000)
"""The CloudNativePG operator reaches each instance on Postgres and on its status endpoint."""


@dataclass(frozen=True)
class PostgresArgs:
    settings: DatabaseSettings
    storage_class: str
    size_gb: int
    protect: bool


class Postgres(pulumi.ComponentResource):
    database: Database

    def __init__(self, name: str, args: PostgresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:local:Postgres", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings

        operator_ns = namespace(CLOUDNATIVE_PG.namespace, child)
        operator = helm_release(
            "cloudnative-pg",
            CLOUDNATIVE_PG,
            {
                "crds": {"create": True},
                "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
            },
            pulumi.ResourceOptions(parent=self, depends_on=[operator_ns]),
        )

        db_ns = namespace(DATABASE_NAMESPACE, child)
        password = random.RandomPassword(f"{name}-password", length=32, special=False, opts=child)
        # CloudNativePG reads the owner's credentials from a basic-auth Secret at bootstrap.
        credentials = k8s.core.v1.Secret(
            f"{name}-owner",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{CLUSTER_NAME}-owner", namespace=DATABASE_NAMESPACE),
            type="kubernetes.io/basic-auth",
            string_data={"username": settings.user, "password": password.result},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[db_ns]),
        )
        k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version="postgresql.cnpg.io/v1",
            kind="Cluster",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=CLUSTER_NAME, namespace=DATABASE_NAMESPACE),
            spec={
                "instances": 2 if settings.high_availability else 1,
                "imageName": f"ghcr.io/cloudnative-pg/postgresql:{settings.engine_version}",
                "enableSuperuserAccess": False,
                "bootstrap": {
                    "initdb": {
                        "database": settings.name,
                        "owner": settings.user,
                        "secret": {"name": f"{CLUSTER_NAME}-owner"},
                    }
                },
                "storage": {"size": f"{args.size_gb}Gi", "storageClass": args.storage_class},
                "postgresql": {"parameters": {"password_encryption": "scram-sha-256"}},
                "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
            },
            # The operator's CRDs must exist before a Cluster can be declared.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[operator, credentials], protect=args.protect),
        )

        self.database = Database(
            host=f"{CLUSTER_NAME}-rw.{DATABASE_NAMESPACE}.svc.cluster.local",
            port=5432,
            name=settings.name,
            user=settings.user,
            password=pulumi.Output.secret(password.result),
            ssl_mode="require",  # CloudNativePG serves TLS with its own CA by default
        )
        self.register_outputs({"host": self.database.host})
