"""clouds/azure/foundation.py: what the Azure foundation promises the platform layer through the contract."""

import pytest

from clouds.azure.foundation import global_name
from clouds.contract import (
    ArtifactStoreKind,
    KedaSource,
    LoadBalancerProvisioner,
    NodeAutoscalerKind,
    PlatformContract,
    PlatformSecrets,
    SecretStoreKind,
    Workloads,
)
from config import parse_stack_config
from offline.harness import StackRun
from offline.mocks.azure import mock_guid
from tests.clouds.azure.conftest import foundation_run, resolve

BOUND = [Workloads.MLFLOW, Workloads.KSERVE_INFERENCE, Workloads.ARGO_WORKFLOWS, Workloads.EXTERNAL_SECRETS]


@pytest.mark.parametrize("workload", [*BOUND, Workloads.team("vision")], ids=lambda w: w.name)
def test_workloads_get_the_client_id_annotation_and_the_use_label(contract: PlatformContract, workload) -> None:  # type: ignore[no-untyped-def]
    binding = contract.identity_for(workload)
    client_id = resolve(binding.service_account_annotations["azure.workload.identity/client-id"])
    assert client_id == mock_guid("client", workload.name)
    assert binding.pod_labels == {"azure.workload.identity/use": "true"}


def test_workloads_without_an_azure_role_get_no_binding(contract: PlatformContract) -> None:
    assert Workloads.CERT_MANAGER.name not in contract.identities
    assert Workloads.KARPENTER.name not in contract.identities


def test_artifact_store_is_the_blob_container(contract: PlatformContract) -> None:
    store = contract.artifact_store
    assert (store.kind, resolve(store.bucket), store.prefix) == (
        ArtifactStoreKind.AZURE_BLOB,
        "mlflow-artifacts",
        "mlflow",
    )
    assert resolve(store.uri) == f"wasbs://mlflow-artifacts@{resolve(store.account_name)}.blob.core.windows.net/mlflow"
    assert store.credentials is None


def test_database_is_the_flexible_server_over_tls(contract: PlatformContract) -> None:
    database = contract.database
    assert resolve(database.host).endswith(".postgres.database.azure.com")
    assert (database.port, database.name, database.ssl_mode) == (5432, "mlflow", "verify-full")


def test_nodes_scale_with_the_cluster_autoscaler_and_keda_is_the_managed_addon(contract: PlatformContract) -> None:
    autoscaling = contract.autoscaling
    assert (autoscaling.nodes, autoscaling.keda) == (NodeAutoscalerKind.CLUSTER_AUTOSCALER, KedaSource.MANAGED_ADDON)
    assert autoscaling.karpenter is None


def test_platform_installs_the_gpu_device_plugin_itself(contract: PlatformContract) -> None:
    assert contract.autoscaling.gpu_device_plugin_managed is False


def test_contract_names_the_taint_aks_puts_on_spot_nodes(contract: PlatformContract) -> None:
    assert {
        "key": "kubernetes.azure.com/scalesetpriority",
        "operator": "Equal",
        "value": "spot",
        "effect": "NoSchedule",
    } in (contract.autoscaling.spot_tolerations)


def test_gateway_load_balancer_comes_from_aks(contract: PlatformContract) -> None:
    assert contract.ingress.load_balancer == LoadBalancerProvisioner.CLOUD


def test_external_secrets_reads_key_vault_with_workload_identity(contract: PlatformContract) -> None:
    store = contract.secret_store
    assert store.kind == SecretStoreKind.AZURE_KEY_VAULT
    azurekv = resolve(store.provider)["azurekv"]
    assert azurekv["authType"] == "WorkloadIdentity"
    assert azurekv["vaultUrl"].startswith("https://") and azurekv["vaultUrl"].endswith(".vault.azure.net/")
    assert azurekv["serviceAccountRef"] == {"name": "external-secrets", "namespace": "external-secrets"}


def test_secret_store_maps_every_platform_secret(contract: PlatformContract) -> None:
    assert set(resolve(contract.secret_store.secret_keys)) >= set(PlatformSecrets.all())


def test_storage_class_and_registry_are_aks_defaults(contract: PlatformContract) -> None:
    assert contract.default_storage_class == "managed-csi"
    assert resolve(contract.registry_url).endswith(".azurecr.io")


def test_kubernetes_provider_waits_for_the_deployers_cluster_admin_role(azure: StackRun) -> None:
    provider = azure.one("pulumi:providers:kubernetes")
    admin = azure.one("azure-native:authorization:RoleAssignment", "deployer-cluster-admin")
    assert admin.inputs["roleDefinitionId"].endswith("/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b")
    assert azure.depends_on(provider, admin)


def test_every_azure_resource_uses_the_stacks_explicit_provider(azure: StackRun) -> None:
    provider = azure.one("pulumi:providers:azure-native")
    assert provider.inputs["location"] == "westeurope"
    azure_resources = [r for r in azure.resources if r.type.startswith("azure-native:")]
    assert azure_resources and all(r.provider.startswith(provider.urn) for r in azure_resources)


def test_stack_exports_what_users_need_next(azure: StackRun) -> None:
    for key in ("registryLoginServer", "keyVaultUri", "databaseFqdn", "storageAccount", "oidcIssuerUrl"):
        assert azure.outputs[key], key


def test_stack_exports_the_storage_uris(azure: StackRun) -> None:
    account = azure.outputs["storageAccount"]
    assert azure.outputs["blobEndpoint"] == f"https://{account}.blob.core.windows.net/"
    assert azure.outputs["artifactStoreUri"].startswith(f"wasbs://mlflow-artifacts@{account}.blob.core.windows.net/")


def test_cluster_ready_includes_the_node_pools() -> None:
    ready = foundation_run().contract.cluster_ready
    assert {type(r).__name__ for r in ready} == {"Cluster", "NodePools"}


@pytest.mark.parametrize("prefix", ["abcdefghijklmno", "abcdefghijkl"])  # the longest; one cut right at a "-"
@pytest.mark.parametrize(("purpose", "limit", "separator"), [("artifacts", 24, ""), ("kv", 24, "-"), ("pg", 40, "-")])
def test_globally_unique_names_fit_azure_limits(prefix: str, purpose: str, limit: int, separator: str) -> None:
    config = parse_stack_config({"cloud": "local", "namePrefix": prefix}, "test")
    name = global_name(config, purpose, limit, separator)
    assert len(name) <= limit
    assert "--" not in name and name[0].isalpha()
    assert name == global_name(config, purpose, limit, separator)


def test_platform_controllers_tolerate_and_prefer_the_tainted_system_pool(contract: PlatformContract) -> None:
    placement = contract.platform_placement
    assert {"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"} in placement.tolerations
    assert placement.preferred_node_labels == {"kubernetes.azure.com/mode": "system"}


def test_system_pool_carries_the_taint_the_platform_tolerates(azure: StackRun) -> None:
    (cluster,) = azure.of_type("azure-native:containerservice:ManagedCluster")
    (system,) = [p for p in cluster.inputs["agentPoolProfiles"] if p["mode"] == "System"]
    assert "CriticalAddonsOnly=true:NoSchedule" in system["nodeTaints"]


def test_azure_workload_identity_needs_no_link_local_endpoint(contract: PlatformContract, azure: StackRun) -> None:
    assert contract.identity_endpoints == ()
    policies = azure.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    assert policies and not [p for p in policies if p.get("metadata.name") == "allow-workload-identity"]


VNET_WRITERS = {
    "node-subnet": ("azure-native:network:Subnet", "nodes"),
    "database-subnet": ("azure-native:network:Subnet", "database"),
    "cluster": ("azure-native:containerservice:ManagedCluster", "aks"),
    "cpu-pool": ("azure-native:containerservice:AgentPool", "cpuspot"),
    "gpu-pool": ("azure-native:containerservice:AgentPool", "gpuspot"),
    "postgres": ("azure-native:dbforpostgresql:Server", "server"),
    "dns-link": ("azure-native:privatedns:VirtualNetworkLink", "zone-link"),
    "flow-log": ("azure-native:network:FlowLog", "vnet-flow-log"),
    "registry-endpoint": ("azure-native:network:PrivateEndpoint", "registry-endpoint"),
    "registry-dns-link": ("azure-native:privatedns:VirtualNetworkLink", "registry-zone-link"),
}
"""Everything that writes to the VNet; Azure refuses a second write while the VNet is `Updating`."""


def _waits_for(azure: StackRun) -> set[tuple[str, str]]:
    """(a, b) for every pair of VNet writers where a waits for b, directly or through anything in between
    (waiting for a component means waiting for everything inside it)."""
    by_urn = {r.urn: r for r in azure.resources}

    def direct(urn: str) -> set[str]:
        found: set[str] = set()
        for dep in by_urn[urn].dependencies:
            if dep in by_urn:
                found |= {dep} | {r.urn for r in azure.descendants_of(by_urn[dep])}
        return found

    def upstream(urn: str) -> set[str]:
        seen, todo = set(), [urn]
        while todo:
            for dep in direct(todo.pop()) - seen:
                seen.add(dep)
                todo.append(dep)
        return seen

    writers = {label: azure.one(*key).urn for label, key in VNET_WRITERS.items()}
    return {(a, b) for a, urn in writers.items() for b, other in writers.items() if other in upstream(urn)}


def test_vnet_writers_run_one_after_another_exactly_where_azure_requires(prod_azure: StackRun) -> None:
    waits = _waits_for(prod_azure)
    required = {
        ("gpu-pool", "cpu-pool"),  # SetVNetOwnershipFailed when two pools of one VNet are created at once
        ("postgres", "cluster"),  # joining the delegated subnet while AKS sets up the node subnet
        ("postgres", "gpu-pool"),
        ("dns-link", "node-subnet"),
        ("dns-link", "database-subnet"),
        ("flow-log", "node-subnet"),
        ("flow-log", "database-subnet"),
        ("registry-endpoint", "postgres"),  # the endpoint joins the node subnet once AKS and Postgres are done
        ("registry-dns-link", "node-subnet"),
        ("registry-dns-link", "database-subnet"),
    }
    assert required <= waits


def test_nothing_else_is_serialised_behind_the_cluster(prod_azure: StackRun) -> None:
    waits = _waits_for(prod_azure)
    # The flow log, the DNS link and the subnets do not wait for AKS; the CPU pool does not wait for the GPU one.
    for writer in ("flow-log", "dns-link", "registry-dns-link", "node-subnet", "database-subnet"):
        assert not {(writer, "cluster"), (writer, "cpu-pool"), (writer, "postgres")} & waits, writer
    assert ("cpu-pool", "gpu-pool") not in waits
    assert not [b for a, b in waits if a == "cluster" and b not in ("node-subnet",)]
