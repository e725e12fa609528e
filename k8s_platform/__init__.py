"""The cloud-agnostic Kubernetes layer.

Named `k8s_platform`, not `platform`, which would shadow the standard library module.
"""

from k8s_platform.platform import MlopsPlatform, MlopsPlatformArgs

__all__ = ["MlopsPlatform", "MlopsPlatformArgs"]
