"""The policy pack's rules, each a pure function of a resource (or of the whole stack for cross-resource checks).

Imports inside this package are relative so it loads both as `rules` (the pack, run from policy/)
and as `policy.rules` (the tests, run from the project root).
"""

from .clusters import CLUSTER_ENDPOINT, SECRETS_ENCRYPTED
from .credentials import NO_STATIC_CREDENTIALS
from .databases import DATABASE_PRIVATE
from .gpu import GPU_POOLS
from .helm import HELM_PINNED
from .iam import NO_WILDCARD_GRANTS
from .model import UNKNOWN, Enforcement, Resource, Rule, StackRule
from .storage import S3_BUCKET_GUARDS, STORAGE_NOT_PUBLIC
from .tags import REQUIRED_TAGS_RULE

RULES: tuple[Rule, ...] = (
    STORAGE_NOT_PUBLIC,
    DATABASE_PRIVATE,
    CLUSTER_ENDPOINT,
    SECRETS_ENCRYPTED,
    NO_WILDCARD_GRANTS,
    NO_STATIC_CREDENTIALS,
    HELM_PINNED,
    GPU_POOLS,
    REQUIRED_TAGS_RULE,
)
STACK_RULES: tuple[StackRule, ...] = (S3_BUCKET_GUARDS,)
ALL_RULES: tuple[Rule | StackRule, ...] = (*RULES, *STACK_RULES)

__all__ = ["ALL_RULES", "RULES", "STACK_RULES", "UNKNOWN", "Enforcement", "Resource", "Rule", "StackRule"]
