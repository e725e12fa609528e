"""NetworkPolicy semantics (networking.k8s.io/v1), enough to ask: may this endpoint reach that one on a port?

An endpoint is a pod (namespace + labels, optionally on the host network with a node address) or an address
outside the pod network (the API server, the internet, a node-local cache's link-local IP). Policies of both
ends apply: egress of the source's namespace, ingress of the destination's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from offline.verify.objects import Obj, kind, labels, name, namespace, selects


@dataclass(frozen=True)
class Endpoint:
    namespace: str | None
    """None: not a pod (matched only by ipBlock)."""
    labels: Mapping[str, str] = field(default_factory=dict)
    address: str | None = None
    """IP for ipBlock matching: an outside address, or a host-network pod's node/link-local address."""
    named_ports: Mapping[str, int] = field(default_factory=dict)

    @property
    def host_network(self) -> bool:
        return self.namespace is not None and self.address is not None

    def describe(self) -> str:
        if self.namespace is None:
            return self.address or "outside"
        return f"{self.namespace}/{','.join(f'{k}={v}' for k, v in sorted(self.labels.items())) or '*'}"


def namespace_labels(objects: Iterable[Obj]) -> dict[str, dict[str, str]]:
    out = {"kube-system": {"kubernetes.io/metadata.name": "kube-system"}}
    for obj in objects:
        if kind(obj) == "Namespace":
            out[name(obj)] = {**labels(obj), "kubernetes.io/metadata.name": name(obj)}
    return out


def _peer_matches(
    peer: Mapping[str, Any], own_namespace: str, other: Endpoint, ns_labels: Mapping[str, Mapping[str, str]]
) -> bool:
    if "ipBlock" in peer:
        if other.address is None:
            return False
        block = peer["ipBlock"]
        addr = ipaddress.ip_address(other.address)
        if addr not in ipaddress.ip_network(block["cidr"], strict=False):
            return False
        return not any(addr in ipaddress.ip_network(e, strict=False) for e in block.get("except") or [])
    # Selectors match pods only; a host-network pod has the node's address and is not matched by them.
    if other.namespace is None or other.host_network:
        return False
    if "namespaceSelector" in peer:
        ns_ok = selects(
            peer["namespaceSelector"], ns_labels.get(other.namespace, {"kubernetes.io/metadata.name": other.namespace})
        )
    else:
        ns_ok = other.namespace == own_namespace
    if not ns_ok:
        return False
    return selects(peer.get("podSelector", {}), other.labels)


def _port_matches(rule_ports: list[Mapping[str, Any]] | None, port: int, protocol: str, dst: Endpoint) -> bool:
    if not rule_ports:
        return True
    for p in rule_ports:
        if p.get("protocol", "TCP") != protocol:
            continue
        value = p.get("port")
        if value is None:
            return True
        if isinstance(value, str) and not value.isdigit():
            if dst.named_ports.get(value) == port:
                return True
            continue
        low = int(value)
        high = int(p.get("endPort") or low)
        if low <= port <= high:
            return True
    return False


def _policies_for(policies: Iterable[Obj], ep: Endpoint, policy_type: str) -> list[Obj]:
    if ep.namespace is None:
        return []
    out = []
    for pol in policies:
        if namespace(pol) != ep.namespace:
            continue
        spec = pol.get("spec") or {}
        types = spec.get("policyTypes") or (["Ingress", "Egress"] if "egress" in spec else ["Ingress"])
        if policy_type in types and selects(spec.get("podSelector", {}), ep.labels):
            out.append(pol)
    return out


def allowed(objects: list[Obj], src: Endpoint, dst: Endpoint, port: int, protocol: str = "TCP") -> tuple[bool, str]:
    """Whether the connection is allowed by every NetworkPolicy that applies, and if not, which side blocks."""
    policies = [o for o in objects if kind(o) == "NetworkPolicy"]
    ns_labels = namespace_labels(objects)
    egress = _policies_for(policies, src, "Egress")
    if egress and not any(
        _port_matches(rule.get("ports"), port, protocol, dst)
        and (not rule.get("to") or any(_peer_matches(peer, src.namespace or "", dst, ns_labels) for peer in rule["to"]))
        for pol in egress
        for rule in (pol.get("spec") or {}).get("egress") or []
    ):
        return False, f"egress of {src.describe()} (policies {', '.join(sorted(name(p) for p in egress))})"
    ingress = _policies_for(policies, dst, "Ingress")
    if ingress and not any(
        _port_matches(rule.get("ports"), port, protocol, dst)
        and (
            not rule.get("from")
            or any(_peer_matches(peer, dst.namespace or "", src, ns_labels) for peer in rule["from"])
        )
        for pol in ingress
        for rule in (pol.get("spec") or {}).get("ingress") or []
    ):
        return False, f"ingress of {dst.describe()} (policies {', '.join(sorted(name(p) for p in ingress))})"
    return True, ""
