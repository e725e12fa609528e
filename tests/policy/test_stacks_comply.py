"""Every rule passes on every resource the program declares, for every stack file in the project."""

from __future__ import annotations

import pytest

from policy.rules import RULES, STACK_RULES, Rule, StackRule
from tests.conftest import ALL_STACKS
from tests.policy.conftest import policy_resources


@pytest.mark.parametrize("stack", ALL_STACKS)
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_stack_complies_with_rule(rule: Rule, stack: str) -> None:
    violations = [f"{r.type} {r.name}: {m}" for r in policy_resources(stack) for m in rule.check(r)]
    assert violations == []


@pytest.mark.parametrize("stack", ALL_STACKS)
@pytest.mark.parametrize("rule", STACK_RULES, ids=lambda r: r.name)
def test_stack_complies_with_stack_rule(rule: StackRule, stack: str) -> None:
    violations = [f"{r.type} {r.name}: {m}" for r, m in rule.check(policy_resources(stack))]
    assert violations == []
