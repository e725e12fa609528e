"""The CrossGuard wiring: what the engine hands the pack reaches the rules, and violations come back out."""

from __future__ import annotations

from pathlib import Path

import yaml
from pulumi_policy import EnforcementLevel, PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy.rules import ALL_RULES, RULES, Enforcement
from policy.rules.helm import HELM_PINNED
from policy.rules.pack import policies, resource_policy
from policy.rules.storage import STORAGE_NOT_PUBLIC

POLICY_DIR = Path(__file__).resolve().parents[2] / "policy"


def engine_args(type_: str, props: dict) -> ResourceValidationArgs:
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    urn = f"urn:pulumi:dev-aws::mlops-platform::{type_}::x"
    return ResourceValidationArgs(type_, unknown_checking_proxy(props), urn, "x", opts, None)


def test_every_rule_becomes_one_uniquely_named_policy() -> None:
    names = [p.name for p in policies()]
    assert sorted(names) == sorted({r.name for r in ALL_RULES})


def test_only_gpu_and_tag_rules_are_advisory() -> None:
    advisory = {p.name for p in policies() if p.enforcement_level == EnforcementLevel.ADVISORY}
    assert advisory == {r.name for r in RULES if r.enforcement == Enforcement.ADVISORY}
    assert advisory == {"gpu-pool-tainted-and-scales-to-zero", "required-tags-present"}


def test_violation_reaches_the_engine_callback() -> None:
    reported: list[str] = []
    args = engine_args("azure-native:storage:StorageAccount", {"allowBlobPublicAccess": True})
    resource_policy(STORAGE_NOT_PUBLIC).validate(args, lambda message, _urn: reported.append(message))
    assert reported and "allowBlobPublicAccess=False" in reported[0]


def test_value_unknown_during_preview_does_not_abort_the_policy() -> None:
    reported: list[str] = []
    args = engine_args("kubernetes:helm.sh/v3:Release", {"chart": "x", "version": UNKNOWN_STRING_VALUE})
    resource_policy(HELM_PINNED).validate(args, lambda message, _urn: reported.append(message))
    assert reported == []


def _pins(path: Path) -> dict[str, str]:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return dict(line.split("==", 1) for line in lines if "==" in line)


def test_pack_runs_in_its_own_virtualenv_with_the_programs_pulumi_sdk() -> None:
    settings = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert settings["runtime"]["name"] == "python" and settings["runtime"]["options"]["virtualenv"] == "venv"
    policy_pins = _pins(POLICY_DIR / "requirements.txt")
    assert policy_pins["pulumi"] == _pins(POLICY_DIR.parent / "requirements.txt")["pulumi"]
    assert "pulumi-policy" in policy_pins


def test_docs_table_lists_every_rule_with_its_enforcement() -> None:
    docs = (POLICY_DIR.parent / "docs" / "policy.md").read_text()
    missing = [r.name for r in ALL_RULES if f"| `{r.name}` | {r.enforcement.value} |" not in docs]
    assert missing == []
