"""No identity is granted every action on every resource: AWS `*:*` policies, Azure `*` roles, GCP owner/editor."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .model import Enforcement, Resource, Rule, as_list, dig

AWS_POLICY_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
AWS_ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
# AWS managed policies that grant (nearly) everything, in any partition (aws, aws-cn, aws-us-gov).
AWS_ADMIN_POLICY = re.compile(r"^arn:aws(-[a-z]+)*:iam::aws:policy/(AdministratorAccess|PowerUserAccess)$")
# Built-in Azure role definition GUIDs that carry every action (Owner) or every non-authorisation action (Contributor).
AZURE_OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
AZURE_CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
AZURE_SUBSCRIPTION_SCOPE = re.compile(r"^/subscriptions/[^/]+/?$", re.IGNORECASE)
GCP_BROAD_ROLES = ("roles/owner", "roles/editor")
GCP_IAM_TYPES = (
    "gcp:projects/iAMMember:IAMMember",
    "gcp:projects/iAMBinding:IAMBinding",
    "gcp:organizations/iAMMember:IAMMember",
    "gcp:organizations/iAMBinding:IAMBinding",
    "gcp:folder/iAMMember:IAMMember",
    "gcp:folder/iAMBinding:IAMBinding",
)


def check_wildcard_grants(resource: Resource) -> list[str]:
    if resource.type in AWS_POLICY_TYPES:
        return _aws_document(resource.props.get("policy"))
    if resource.type == "aws:iam/role:Role":
        return [
            m for inline in as_list(resource.props.get("inlinePolicies")) for m in _aws_document(dig(inline, "policy"))
        ]
    if resource.type in AWS_ATTACHMENT_TYPES and AWS_ADMIN_POLICY.match(str(resource.props.get("policyArn", ""))):
        return [f"{resource.props['policyArn']} grants (nearly) every action; attach a policy scoped to what it uses."]
    if resource.type == "azure-native:authorization:RoleDefinition":
        return _azure_role_definition(resource)
    if resource.type == "azure-native:authorization:RoleAssignment":
        return _azure_role_assignment(resource)
    if resource.type in GCP_IAM_TYPES and resource.props.get("role") in GCP_BROAD_ROLES:
        return [f"{resource.props['role']} grants every action on the project; grant a predefined narrow role."]
    return []


def _aws_document(document: Any) -> list[str]:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []
    if not isinstance(document, Mapping):
        return []  # unknown during preview
    problems = []
    for statement in as_list(document.get("Statement")) or [document.get("Statement")]:
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        actions = _strings(statement.get("Action"))
        resources = _strings(statement.get("Resource"))
        if any(a in ("*", "*:*") for a in actions) and "*" in resources:
            problems.append(
                'IAM statement allows Action "*" on Resource "*"; list the actions and resource ARNs it needs.'
            )
    return problems


def _azure_role_definition(resource: Resource) -> list[str]:
    for permission in as_list(resource.props.get("permissions")):
        if "*" in _strings(dig(permission, "actions")):
            return ['Role definition allows actions ["*"]; list the operations the identity needs.']
    return []


def _azure_role_assignment(resource: Resource) -> list[str]:
    role = str(resource.props.get("roleDefinitionId", "")).lower()
    scope = str(resource.props.get("scope", ""))
    if role.endswith(AZURE_OWNER):
        return ["Owner role assignment grants every action; assign a built-in role scoped to the resource."]
    if role.endswith(AZURE_CONTRIBUTOR) and AZURE_SUBSCRIPTION_SCOPE.match(scope):
        return ["Contributor on the whole subscription; scope the assignment to the resource it manages."]
    return []


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in as_list(value) if isinstance(v, str)]


NO_WILDCARD_GRANTS = Rule(
    name="no-wildcard-iam-grants",
    description="No IAM policy or role grants all actions on all resources (AWS *:*, AdministratorAccess; Azure "
    "'*' roles, Owner, subscription Contributor; GCP roles/owner and roles/editor).",
    enforcement=Enforcement.MANDATORY,
    check=check_wildcard_grants,
    fix="Grant the specific actions on the specific resources each workload touches (one identity per workload).",
)
