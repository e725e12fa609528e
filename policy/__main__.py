"""The MLOps platform's CrossGuard pack: `pulumi preview --policy-pack policy` (rules live in policy/rules/)."""

from pulumi_policy import PolicyPack
from rules.pack import PACK_NAME, policies

PolicyPack(name=PACK_NAME, policies=policies())
