"""The `operations` block of a stack file: admission mode, registries and add-on toggles."""

from __future__ import annotations

import pytest

from config import ConfigError, Environment, parse_stack_config
from config.operations import Admission, AdmissionMode


def test_admission_audits_in_dev_and_enforces_elsewhere_by_default():
    admission = Admission()
    assert [admission.failure_action(e) for e in Environment] == [
        AdmissionMode.AUDIT,
        AdmissionMode.ENFORCE,
        AdmissionMode.ENFORCE,
    ]


def test_stack_file_sets_operations_in_camel_case():
    config = parse_stack_config(
        {
            "cloud": "local",
            "operations": {
                "admission": {"mode": "Enforce", "allowedRegistries": ["ghcr.io/acme"]},
                "loki": {"enabled": True, "retentionDays": 7},
            },
        },
        "Pulumi.test.yaml",
    )
    assert config.operations.admission.failure_action(Environment.DEV) == AdmissionMode.ENFORCE
    assert config.operations.loki.retention_days == 7


def test_registry_with_a_scheme_is_rejected_with_its_key():
    with pytest.raises(ConfigError) as error:
        parse_stack_config(
            {"cloud": "local", "operations": {"admission": {"allowedRegistries": ["https://ghcr.io"]}}},
            "Pulumi.test.yaml",
        )
    assert "operations.admission.allowedRegistries[0]" in str(error.value)
