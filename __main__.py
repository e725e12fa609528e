"""MLOps platform: stack config -> cloud foundation -> contract -> Kubernetes platform -> stack outputs."""

import pulumi

from clouds import build_foundation
from config import load_stack_config
from k8s_platform import MlopsPlatform, MlopsPlatformArgs
from k8s_platform.tenancy import Tenancy, TenancyArgs

# 1. Typed config: a bad stack file stops here with one message per problem, before any resource exists.
config = load_stack_config()

# 2. The cloud foundation (network, cluster, node pools, object store, Postgres, registry, secrets,
#    identities) fills the one contract the platform layer reads.
foundation = build_foundation(config)
contract = foundation.contract

# 3. The cloud-agnostic platform services, installed onto the contract's cluster.
platform = MlopsPlatform(
    "platform",
    MlopsPlatformArgs(
        contract=contract,
        components=config.components,
        dns=config.dns,
        environment=config.environment,
        node_pools=config.node_pools,
    ),
)

# 4. Teams and hardening on top: team namespaces, quotas, RBAC and identities; default-deny network policies
#    for every namespace the platform and foundation created; admission policies; logs and cost.
Tenancy(
    "tenancy",
    TenancyArgs(
        contract=contract,
        platform=platform.services,
        teams=config.teams,
        settings=config.operations,
        environment=config.environment,
        protect=config.protect,
    ),
)

# 5. What users and CI need next.
pulumi.export("cloud", contract.cloud)
pulumi.export("clusterName", contract.cluster_name)
pulumi.export("kubeconfig", contract.kubeconfig)
pulumi.export("artifactStoreUri", contract.artifact_store.uri)
pulumi.export("databaseEndpoint", pulumi.Output.concat(contract.database.host, ":", str(contract.database.port)))
pulumi.export("mlflowUrl", platform.mlflow_url)
for key, value in foundation.stack_outputs.items():
    pulumi.export(key, value)
