"""Mock answers for the aws provider: the IDs, ARNs, names and endpoints AWS would hand back, shaped like AWS's.

The region is the stack's own (`mlops-platform:aws.region`), so ARNs and endpoints in a plan match the stack file.
"""

from __future__ import annotations

import base64
import hashlib
import re
import string
from collections.abc import Callable
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"


def _hex(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def _region() -> str:
    settings = pulumi.Config("mlops-platform").get_object("aws") or {}
    return str(settings.get("region", DEFAULT_REGION))


def _partition() -> dict[str, str]:
    """What getPartition answers for the stack's region."""
    region = _region()
    if region.startswith("cn-"):
        return {"partition": "aws-cn", "dnsSuffix": "amazonaws.com.cn", "reverseDnsPrefix": "cn.com.amazonaws"}
    name = "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return {"partition": name, "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws"}


def _arn_partition() -> str:
    return _partition()["partition"]


def _dns_suffix() -> str:
    return _partition()["dnsSuffix"]


def _auto_name(args: pulumi.runtime.MockResourceArgs) -> str:
    """Pulumi auto-naming: the logical name (or name_prefix) plus a random-looking suffix."""
    prefix = args.inputs.get("namePrefix") or args.inputs.get("nodeGroupNamePrefix")
    return f"{prefix}{_hex(args.name, length=8)}" if prefix else f"{args.name}-{_hex(args.name, length=7)}"


def _name(args: pulumi.runtime.MockResourceArgs) -> str:
    return str(args.inputs.get("name") or _auto_name(args))


def _kebab(type_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", type_name).lower()


# EC2 IDs start with a prefix naming the kind of resource.
EC2_ID_PREFIX = {
    "vpc": "vpc",
    "subnet": "subnet",
    "internetGateway": "igw",
    "natGateway": "nat",
    "eip": "eipalloc",
    "routeTable": "rtb",
    "routeTableAssociation": "rtbassoc",
    "securityGroup": "sg",
    "defaultSecurityGroup": "sg",
    "vpcEndpoint": "vpce",
    "flowLog": "fl",
    "launchTemplate": "lt",
}


def default_state(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    """Every aws resource: an ARN in this account, region and partition, an auto-name, `tagsAll` mirroring `tags`."""
    module, type_name = args.typ.split(":")[1].split("/")[0], args.typ.split(":")[-1]
    name = _name(args)
    state: dict[str, Any] = {
        "arn": f"arn:{_arn_partition()}:{module}:{_region()}:{ACCOUNT_ID}:{_kebab(type_name)}/{name}",
        "name": name,
        "tagsAll": dict(args.inputs.get("tags") or {}),
    }
    kind = args.typ.split(":")[1].split("/")[-1]
    if module == "ec2" and kind in EC2_ID_PREFIX:
        state["__id"] = f"{EC2_ID_PREFIX[kind]}-0{_hex(args.typ, args.name)}"
        state["arn"] = f"arn:{_arn_partition()}:ec2:{_region()}:{ACCOUNT_ID}:{_kebab(type_name)}/{state['__id']}"
    return state


def _role(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    name = _name(args)
    return {
        "name": name,
        "arn": f"arn:{_arn_partition()}:iam::{ACCOUNT_ID}:role/{name}",
        "uniqueId": f"AROA{_hex(name).upper()}",
    }


def _eks_cluster(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    name, region = _name(args), _region()
    endpoint_id = _hex(name, length=32).upper()
    vpc_config = dict(args.inputs.get("vpcConfig") or {})
    vpc_config["clusterSecurityGroupId"] = f"sg-0{_hex('cluster-sg', name)}"
    vpc_config["vpcId"] = f"vpc-0{_hex('aws:ec2/vpc:Vpc', 'network-vpc')}"
    return {
        "arn": f"arn:{_arn_partition()}:eks:{region}:{ACCOUNT_ID}:cluster/{name}",
        "endpoint": f"https://{endpoint_id}.gr7.{region}.eks.{_dns_suffix()}",
        "certificateAuthority": {"data": base64.b64encode(f"mock CA of {name}".encode()).decode()},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.{_dns_suffix()}/id/{endpoint_id}"}]}],
        "vpcConfig": vpc_config,
        "platformVersion": "eks.1",
        "status": "ACTIVE",
        "__id": name,
    }


def _node_group(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    name = _auto_name(args)
    cluster = args.inputs.get("clusterName", "cluster")
    return {
        "nodeGroupName": name,
        "arn": f"arn:{_arn_partition()}:eks:{_region()}:{ACCOUNT_ID}:nodegroup/{cluster}/{name}/{_hex(name, length=8)}",
        "status": "ACTIVE",
    }


def _bucket(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    bucket = str(args.inputs.get("bucket") or _auto_name(args))
    return {
        "bucket": bucket,
        "arn": f"arn:{_arn_partition()}:s3:::{bucket}",
        "bucketRegionalDomainName": f"{bucket}.s3.{_region()}.{_dns_suffix()}",
        "region": _region(),
        "__id": bucket,
    }


def _rds_instance(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    identifier = str(args.inputs.get("identifier") or _auto_name(args))
    address = f"{identifier}.c{_hex(identifier, length=11)}.{_region()}.rds.{_dns_suffix()}"
    port = int(args.inputs.get("port", 5432))
    return {
        "address": address,
        "endpoint": f"{address}:{port}",
        "port": port,
        "arn": f"arn:{_arn_partition()}:rds:{_region()}:{ACCOUNT_ID}:db:{identifier}",
        "resourceId": f"db-{_hex(identifier, length=26).upper()}",
        "status": "available",
    }


def _repository(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    name = _name(args)
    return {
        "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{_region()}.{_dns_suffix()}/{name}",
        "registryId": ACCOUNT_ID,
        "arn": f"arn:{_arn_partition()}:ecr:{_region()}:{ACCOUNT_ID}:repository/{name}",
    }


def _queue(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    name = _name(args)
    url = f"https://sqs.{_region()}.{_dns_suffix()}/{ACCOUNT_ID}/{name}"
    return {"url": url, "arn": f"arn:{_arn_partition()}:sqs:{_region()}:{ACCOUNT_ID}:{name}", "__id": url}


def _kms_key(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    h = _hex(args.name, length=32)
    key_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
    return {"keyId": key_id, "arn": f"arn:{_arn_partition()}:kms:{_region()}:{ACCOUNT_ID}:key/{key_id}", "__id": key_id}


def _secret(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    suffix = "".join(string.ascii_letters[int(c, 16) * 3 % 52] for c in _hex(args.name, length=6))
    arn = f"arn:{_arn_partition()}:secretsmanager:{_region()}:{ACCOUNT_ID}:secret:{_name(args)}-{suffix}"
    return {"arn": arn, "__id": arn}


def _log_group(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    name = _name(args)
    return {"arn": f"arn:{_arn_partition()}:logs:{_region()}:{ACCOUNT_ID}:log-group:{name}", "__id": name}


def _event_rule(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    name = _name(args)
    return {"arn": f"arn:{_arn_partition()}:events:{_region()}:{ACCOUNT_ID}:rule/{name}", "__id": name}


def _eip(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    h = _hex(args.name)
    return {"allocationId": f"eipalloc-0{h}", "publicIp": f"203.0.113.{int(h[:2], 16) % 254 + 1}"}


def _launch_template(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    return {"latestVersion": 1, "defaultVersion": 1}


def _pod_identity_association(args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
    association_id = f"a-{_hex(args.name, length=17)}"
    cluster = args.inputs.get("clusterName", "cluster")
    arn = f"arn:{_arn_partition()}:eks:{_region()}:{ACCOUNT_ID}:podidentityassociation/{cluster}/{association_id}"
    return {"associationId": association_id, "associationArn": arn}


RESOURCES: dict[str, Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]]] = {
    "aws:iam/role:Role": _role,
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": _pod_identity_association,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:ecr/repository:Repository": _repository,
    "aws:sqs/queue:Queue": _queue,
    "aws:kms/key:Key": _kms_key,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
}


def _caller_identity(args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
    return {
        "accountId": ACCOUNT_ID,
        "arn": f"arn:{_arn_partition()}:sts::{ACCOUNT_ID}:assumed-role/platform-deployer/offline-plan",
        "userId": "AROAOFFLINEPLAN:offline-plan",
        "id": ACCOUNT_ID,
    }


def _region_call(args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
    region = args.args.get("region") or _region()
    return {"name": region, "region": region, "id": region, "endpoint": f"ec2.{region}.{_dns_suffix()}"}


def _availability_zones(args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
    region = args.args.get("region") or _region()
    letters = "abcdef"
    return {
        "id": region,
        "region": region,
        "names": [f"{region}{letter}" for letter in letters],
        "zoneIds": [f"{region[:3]}{region.split('-')[1][:2]}{region[-1]}-az{i + 1}" for i in range(len(letters))],
        "groupNames": [region] * len(letters),
        "state": args.args.get("state", "available"),
    }


# Default add-on versions EKS reports for Kubernetes 1.34 (aws eks describe-addon-versions), for realistic plans.
ADDON_VERSIONS = {
    "vpc-cni": "v1.20.4-eksbuild.1",
    "kube-proxy": "v1.34.1-eksbuild.2",
    "coredns": "v1.12.3-eksbuild.1",
    "aws-ebs-csi-driver": "v1.50.1-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
}


def _addon_version(args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
    name = args.args["addonName"]
    return {
        "id": name,
        "addonName": name,
        "kubernetesVersion": args.args["kubernetesVersion"],
        "mostRecent": args.args.get("mostRecent", False),
        "version": ADDON_VERSIONS.get(name, "v1.0.0-eksbuild.1"),
    }


def _partition_call(args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
    return {"id": _arn_partition(), **_partition()}


CALLS: dict[str, Callable[[pulumi.runtime.MockCallArgs], dict[str, Any]]] = {
    "aws:index/getPartition:getPartition": _partition_call,
    "aws:eks/getAddonVersion:getAddonVersion": _addon_version,
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region_call,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
}
