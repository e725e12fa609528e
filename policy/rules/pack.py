"""Turns the pure rules into CrossGuard policies: engine arguments in, `Resource` to the rule, violations out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from . import RULES, STACK_RULES
from .model import UNKNOWN, Enforcement, Resource, Rule, StackRule

PACK_NAME = "mlops-platform"
_LEVELS = {Enforcement.MANDATORY: EnforcementLevel.MANDATORY, Enforcement.ADVISORY: EnforcementLevel.ADVISORY}


def plain(value: Any) -> Any:
    """The engine's unknown-checking proxies as plain dicts/lists; values unknown during preview become
    `UNKNOWN`, so a rule decides per property instead of the whole policy being skipped."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in list(value):
            try:
                out[str(key)] = plain(value[key])
            except UnknownValueError:
                out[str(key)] = UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def resource_from_args(args: ResourceValidationArgs | PolicyResource) -> Resource:
    dependencies = tuple(d.urn for d in getattr(args, "dependencies", []) or [])
    return Resource(
        type=args.resource_type,
        name=args.name,
        props=plain(args.props),
        urn=args.urn,
        protect=bool(args.opts.protect),
        dependencies=dependencies,
        provider_props=plain(args.provider.props) if args.provider is not None else {},
    )


def resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in rule.check(resource_from_args(args)):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=_LEVELS[rule.enforcement],
        remediation_steps=rule.fix,
    )


def stack_policy(rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [resource_from_args(r) for r in args.resources]
        for resource, message in rule.check(resources):
            report_violation(message, resource.urn)

    return StackValidationPolicy(
        name=rule.name,
        description=rule.description,
        validate=validate,
        enforcement_level=_LEVELS[rule.enforcement],
        remediation_steps=rule.fix,
    )


def policies() -> list[Policy]:
    return [*(resource_policy(r) for r in RULES), *(stack_policy(r) for r in STACK_RULES)]
