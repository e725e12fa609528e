"""Tests marked `needs_pulumi_cli` run only where the `pulumi` CLI is on PATH; elsewhere they skip, saying why."""

from __future__ import annotations

import shutil

import pytest

NO_CLI_REASON = "needs the pulumi CLI on PATH (curl -fsSL https://get.pulumi.com | sh)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if shutil.which("pulumi") is not None:
        return
    skip = pytest.mark.skip(reason=NO_CLI_REASON)
    for item in items:
        if item.get_closest_marker("needs_pulumi_cli"):
            item.add_marker(skip)
