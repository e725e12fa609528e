"""The pack as the Pulumi CLI runs it: `policy/` booted as an analyzer plugin, asked over gRPC."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc

from policy.rules import ALL_RULES

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    # The CLI starts a Python pack with `python -m pulumi.policy <engine> <pack dir>`; the pack prints its port.
    process = subprocess.Popen(
        [sys.executable, "-m", "pulumi.policy", "127.0.0.1:0", str(POLICY_DIR)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = process.stdout.readline().strip() if process.stdout else ""
        assert port.isdigit(), process.stderr.read() if process.stderr else "no port"
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.wait()


def test_analyzer_announces_every_rule(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "mlops-platform"
    assert {p.name for p in info.policies} == {r.name for r in ALL_RULES}


def test_analyzer_reports_a_mandatory_violation_for_a_public_storage_account(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    properties = struct_pb2.Struct()
    properties.update({"allowBlobPublicAccess": True, "kind": "StorageV2"})
    request = proto.AnalyzeRequest(
        type="azure-native:storage:StorageAccount",
        properties=properties,
        urn="urn:pulumi:dev-azure::mlops-platform::azure-native:storage:StorageAccount::artifacts",
        name="artifacts",
    )
    mandatory = [d for d in analyzer.Analyze(request).diagnostics if d.enforcementLevel == proto.MANDATORY]
    assert [d.policyName for d in mandatory] == ["storage-not-public-and-encrypted"]
    assert "allowBlobPublicAccess=False" in mandatory[0].message
