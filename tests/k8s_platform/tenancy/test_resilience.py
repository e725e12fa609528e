"""Platform pods outrank team pods when capacity is short; no class silently applies to every pod."""

from __future__ import annotations

from k8s_platform.priorities import PLATFORM_CRITICAL, TEAM_BATCH, TEAM_SERVING
from tests.k8s_platform.tenancy.scenarios import dev_run

PRIORITY_CLASS = "kubernetes:scheduling.k8s.io/v1:PriorityClass"


def _value(name: str) -> float:
    return dev_run().one(PRIORITY_CLASS, name).get("value")


def test_platform_priority_outranks_every_team_class_and_stays_below_system_classes():
    assert 2_000_000_000 > _value(PLATFORM_CRITICAL) > _value(TEAM_SERVING) > _value(TEAM_BATCH)


def test_no_priority_class_is_the_global_default():
    assert {pc.get("globalDefault") for pc in dev_run().of_type(PRIORITY_CLASS)} == {False}


def test_batch_work_waits_instead_of_preempting():
    assert dev_run().one(PRIORITY_CLASS, TEAM_BATCH).get("preemptionPolicy") == "Never"


def test_platform_add_ons_run_at_platform_priority():
    run = dev_run()
    kyverno = run.one("kubernetes:helm.sh/v3:Release", "kyverno").get("values")
    assert kyverno["admissionController"]["priorityClassName"] == PLATFORM_CRITICAL
    assert run.one("kubernetes:helm.sh/v3:Release", "opencost").get("values.priorityClassName") == PLATFORM_CRITICAL
