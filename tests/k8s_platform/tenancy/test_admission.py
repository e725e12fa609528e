"""Kyverno is pinned and its ClusterPolicies have the structure, scope and action each environment needs."""

from __future__ import annotations

from k8s_platform.catalog import KYVERNO
from k8s_platform.tenancy.admission import PLATFORM_INJECTED_IMAGES
from tests.k8s_platform.helpers import crd_validator
from tests.k8s_platform.tenancy.scenarios import REGISTRY, audit_forced_in_prod_run, dev_run, prod_run

POLICY = "kubernetes:kyverno.io/v1:ClusterPolicy"
TEAM_ONLY = {"require-requests-and-limits", "require-run-as-non-root", "restrict-image-registries"}
EXPECTED = TEAM_ONLY | {"disallow-privileged-and-host-namespaces", "require-gpu-toleration"}


def _rules(run) -> dict[str, list[dict]]:
    return {p.get("metadata.name"): p.get("spec.rules") for p in run.of_type(POLICY)}


def test_kyverno_is_installed_from_the_catalog_pin():
    release = dev_run().one("kubernetes:helm.sh/v3:Release", "kyverno")
    assert (release.get("chart"), release.get("version"), release.get("namespace")) == (
        KYVERNO.chart,
        KYVERNO.version,
        KYVERNO.namespace,
    )


def test_every_expected_policy_is_declared():
    assert set(_rules(dev_run())) == EXPECTED


def test_every_rule_matches_pods_and_validates_with_a_message_and_a_check():
    for policy, rules in _rules(dev_run()).items():
        for rule in rules:
            assert [m["resources"]["kinds"] for m in rule["match"]["any"]] == [["Pod"]], policy
            validate = rule["validate"]
            assert validate["message"], policy
            assert {"pattern", "anyPattern", "deny"} & set(validate), policy


def test_every_policy_is_valid_against_the_pinned_kyverno_crd():
    # Kyverno's CRD schema (v1.19.0, chart 3.9.0): a misspelt or misplaced field fails here, not at apply time.
    for run in (dev_run(), prod_run()):
        for policy in run.of_type(POLICY):
            manifest = {k: policy.inputs[k] for k in ("apiVersion", "kind", "metadata", "spec")}
            crd_validator("kyverno.io/v1", "ClusterPolicy").validate(manifest)


def test_dev_audits_every_rule():
    actions = {r["validate"]["failureAction"] for rules in _rules(dev_run()).values() for r in rules}
    assert actions == {"Audit"}


def test_production_enforces_every_rule():
    actions = {r["validate"]["failureAction"] for rules in _rules(prod_run()).values() for r in rules}
    assert actions == {"Enforce"}


def test_configured_audit_mode_wins_over_the_production_default():
    actions = {r["validate"]["failureAction"] for rules in _rules(audit_forced_in_prod_run()).values() for r in rules}
    assert actions == {"Audit"}


def test_policies_use_the_per_rule_action_not_the_deprecated_policy_field():
    for policy in dev_run().of_type(POLICY):
        assert "validationFailureAction" not in policy.get("spec")


def test_team_only_policies_select_team_namespaces():
    for policy, rules in _rules(dev_run()).items():
        selectors = [m["resources"].get("namespaceSelector") for r in rules for m in r["match"]["any"]]
        expected = {"matchLabels": {"mlops-platform/tenant": "true"}} if policy in TEAM_ONLY else None
        assert selectors == [expected] * len(selectors), policy


def test_privileged_and_host_namespace_rules_spare_namespaces_labelled_privileged():
    for rule in _rules(dev_run())["disallow-privileged-and-host-namespaces"]:
        (exclusion,) = rule["exclude"]["any"]
        assert exclusion["resources"]["namespaceSelector"] == {
            "matchLabels": {"pod-security.kubernetes.io/enforce": "privileged"}
        }


def test_images_come_from_the_stack_registry_configured_registries_and_platform_injected_images():
    (rule,) = _rules(prod_run())["restrict-image-registries"]
    spec = rule["validate"]["pattern"]["spec"]
    allowed = [p.strip() for p in spec["containers"][0]["image"].split("|")]
    assert allowed == [f"{REGISTRY}/*", "ghcr.io/acme/*", *PLATFORM_INJECTED_IMAGES]
    assert spec["=(initContainers)"] == spec["containers"] == spec["=(ephemeralContainers)"]


def test_gpu_rule_applies_only_to_pods_requesting_gpus_and_requires_the_gpu_toleration():
    (rule,) = _rules(dev_run())["require-gpu-toleration"]
    (precondition,) = rule["preconditions"]["any"]
    assert '"nvidia.com/gpu"' in precondition["key"] and precondition["operator"] == "GreaterThan"
    missing_toleration = rule["validate"]["deny"]["conditions"]["all"][0]
    assert (missing_toleration["key"], missing_toleration["operator"]) == ("nvidia.com/gpu", "AnyNotIn")


def test_policies_wait_for_kyverno_and_its_crds():
    run = dev_run()
    release = run.one("kubernetes:helm.sh/v3:Release", "kyverno")
    assert all(run.depends_on(policy, release) for policy in run.of_type(POLICY))


def test_admission_controller_is_highly_available_outside_dev():
    def replicas(run):
        return run.one("kubernetes:helm.sh/v3:Release", "kyverno").get("values.admissionController.replicas")

    assert (replicas(dev_run()), replicas(prod_run())) == (1, 3)
