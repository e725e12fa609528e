"""Bad input fails on the server side with an error that names the cause, not with a hung or half-working server."""

from __future__ import annotations

from pathlib import Path

from k8s_platform import mlflow
from tests.integration.conftest import DB_PASSWORD, Platform, program_database, program_secrets, server_process
from tests.integration.servers import MlflowServer, free_port, http_status, wait_until


def start_and_fail(platform: Platform, database_port: int | None, password: str, root: Path, cause: str) -> str:
    """Starts a second server with the program's values for this database; returns its log once it names `cause`.

    MLflow logs each failed attempt to reach its store and retries with backoff for minutes before it exits, so
    the test waits for the first logged error rather than the exit."""
    database = program_database(platform.postgres, password=password, port=database_port)
    values = mlflow.server_values(database, platform.store, public_host=None)
    server = MlflowServer(server_process(values, program_secrets(database, platform.s3)), root)
    root.mkdir(parents=True, exist_ok=True)
    try:
        server.start(wait=False)
        try:
            wait_until(lambda: cause in server.log.read_text(), f"an error naming {cause!r}", None, 240)
        except AssertionError as e:
            raise AssertionError(f"{e}; server log:\n{server.log.read_text()[-3000:]}") from None
        assert http_status(f"{server.url}/health") != 200, "the server answers although its store is unusable"
        return server.log.read_text()
    finally:
        server.stop()


def test_a_wrong_database_password_stops_the_server_with_the_databases_refusal(
    platform: Platform, tmp_path: Path
) -> None:
    cause = f'password authentication failed for user "{platform.database.user}"'
    assert cause in start_and_fail(platform, None, "not-the-password", tmp_path, cause)


def test_an_unreachable_database_stops_the_server_naming_the_address(platform: Platform, tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    log = start_and_fail(platform, port, DB_PASSWORD, tmp_path, "Connection refused")
    assert f"port {port} failed: Connection refused" in log
