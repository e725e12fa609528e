"""clouds/azure/database.py: PostgreSQL Flexible Server for MLflow."""

import itertools

from clouds.azure.database import storage_size_gb
from offline.harness import StackRun
from offline.mocks.random import fake_password
from tests.k8s_platform.helpers import values

SERVER = "azure-native:dbforpostgresql:Server"
CONFIGURATION = "azure-native:dbforpostgresql:Configuration"


def test_database_has_no_public_endpoint_and_lives_in_the_delegated_subnet(azure: StackRun) -> None:
    network = azure.one(SERVER).inputs["network"]
    assert network["publicNetworkAccess"] == "Disabled"
    assert network["delegatedSubnetResourceId"].endswith("/subnets/postgres")
    assert network["privateDnsZoneArmResourceId"].endswith(".private.postgres.database.azure.com")


def test_private_dns_zone_is_linked_to_the_vnet(azure: StackRun) -> None:
    link = azure.one("azure-native:privatedns:VirtualNetworkLink").inputs
    assert link["virtualNetwork"]["id"].endswith("/virtualNetworks/mlops-dev-net-vnet")


def test_database_requires_tls(azure: StackRun) -> None:
    setting = azure.one("azure-native:dbforpostgresql:Configuration").inputs
    assert (setting["configurationName"], setting["value"]) == ("require_secure_transport", "on")


def test_database_runs_the_configured_major_with_its_backups(azure: StackRun) -> None:
    server = azure.one(SERVER).inputs
    assert server["version"] == "17"
    assert server["backup"] == {"backupRetentionDays": 7, "geoRedundantBackup": "Disabled"}
    assert server["highAvailability"] == {"mode": "Disabled"}


def test_admin_password_is_generated_and_never_plain_text(azure: StackRun) -> None:
    server = azure.one(SERVER)
    assert server.inputs["administratorLoginPassword"] == fake_password("postgres-admin-password")
    assert server.masked_inputs["administratorLoginPassword"] == "[secret]"


def test_mlflow_database_is_created(azure: StackRun) -> None:
    assert azure.one("azure-native:dbforpostgresql:Database").inputs["databaseName"] == "mlflow"


def test_server_and_database_are_protected(azure: StackRun) -> None:
    assert azure.one(SERVER).protect
    assert azure.one("azure-native:dbforpostgresql:Database").protect


def test_storage_rounds_up_to_a_disk_size_flexible_server_offers() -> None:
    assert [storage_size_gb(gb) for gb in (20, 32, 33, 500)] == [32, 32, 64, 512]


def test_disk_size_is_only_set_at_creation_so_autogrow_is_never_undone(azure: StackRun) -> None:
    server = azure.one(SERVER)
    assert server.inputs["storage"]["autoGrow"] == "Enabled"
    assert "storage.storageSizeGB" in server.options["ignoreChanges"]


def test_production_database_pins_its_zone_and_its_standby_zone(prod_azure: StackRun) -> None:
    server = prod_azure.one(SERVER).inputs
    assert server["availabilityZone"] == "1"
    assert server["highAvailability"] == {"mode": "ZoneRedundant", "standbyAvailabilityZone": "2"}


def test_dev_database_leaves_the_zone_to_azure(azure: StackRun) -> None:
    assert azure.one(SERVER).inputs["availabilityZone"] == ""


def test_zones_swapped_by_a_failover_are_not_moved_back(prod_azure: StackRun) -> None:
    ignored = prod_azure.one(SERVER).options["ignoreChanges"]
    assert {"availabilityZone", "highAvailability.standbyAvailabilityZone"} <= set(ignored)


def test_production_database_logs_connections_and_disconnections(prod_azure: StackRun) -> None:
    settings = {c.inputs["configurationName"]: c.inputs["value"] for c in prod_azure.of_type(CONFIGURATION)}
    assert settings == {"require_secure_transport": "on", "log_connections": "on", "log_disconnections": "on"}


def test_server_parameters_and_the_database_are_written_one_at_a_time(prod_azure: StackRun) -> None:
    # Flexible Server answers a second concurrent change with ServerBusy.
    chain = [*prod_azure.of_type(CONFIGURATION), prod_azure.one("azure-native:dbforpostgresql:Database")]
    for earlier, later in itertools.pairwise(chain):
        assert prod_azure.depends_on(later, earlier), later.name


def test_mlflow_verifies_the_servers_certificate_and_name(azure: StackRun) -> None:
    chart = values(azure, "mlflow")
    env = chart["extraEnvVars"]
    assert (env["PGSSLMODE"], env["PGSSLROOTCERT"]) == ("verify-full", "/etc/ssl/certs/ca-certificates.crt")
    (init,) = [c for c in chart["initContainers"] if c["name"] == "auth-schema"]
    assert {"name": "PGSSLROOTCERT", "value": "/etc/ssl/certs/ca-certificates.crt"} in init["env"]
