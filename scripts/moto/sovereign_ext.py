"""The sovereign project's small extension to moto 5.2.5 (test infrastructure only).

moto lacks a few AWS behaviours the provider's resources depend on. `install()` registers them on moto's
response classes before the server starts; every piece of state lives on moto's per-account, per-region backend
objects, so `POST /moto-api/reset` clears it like everything else (BaseBackend.reset re-creates the backend's
attributes); the exceptions, the fault-injection middleware's faults and the capacity limits, are cleared by that
same reset call.

KMS custom key stores (AWS CloudHSM key stores):
  - CreateCustomKeyStore (state DISCONNECTED, like AWS), DescribeCustomKeyStores (by id, by name, or all),
    ConnectCustomKeyStore (-> CONNECTED), DisconnectCustomKeyStore, DeleteCustomKeyStore.
  - CreateKey with Origin=AWS_CLOUDHSM and CustomKeyStoreId: the store must exist and be CONNECTED; the key's
    KeyMetadata (CreateKey and DescribeKey) then carries CustomKeyStoreId, CloudHsmClusterId and Origin AWS_CLOUDHSM.
    Origin AWS_CLOUDHSM without a store, or a store with another origin, is refused.
  - EnableKeyRotation / DisableKeyRotation on a key in a custom key store fail with UnsupportedOperationException,
    as AWS does (KMS cannot rotate keys whose material lives in CloudHSM).

EC2 placement groups:
  - CreatePlacementGroup (cluster | spread | partition, tags), DescribePlacementGroups (by names, ids or all),
    DeletePlacementGroup. Duplicate / unknown names give InvalidPlacementGroup.Duplicate / .Unknown.
  - DeletePlacementGroup of a group that still holds instances that are not terminated fails
    InvalidPlacementGroup.InUse ("The placement group '<name>' is in use and may not be deleted."), as on AWS.
  - CreateTags / DeleteTags accept `pg-…` ids (alone or with other ids), as AWS does; moto answered InvalidID. The
    tags show in DescribePlacementGroups (not in DescribeTags). An unknown `pg-` id: InvalidPlacementGroupId.NotFound.

EC2 RunInstances (what sovereign_gpu_cluster relies on; details in `run_instances`):
  - `Placement.GroupName`/`GroupId` (or the launch template's): recorded on the instance (DescribeInstances shows
    Placement.GroupName, GroupId, PartitionNumber in a partition group); an unknown group fails
    InvalidPlacementGroup.Unknown; a second zone for a `cluster` group fails InvalidPlacementGroup.InUse ("The
    placement group '<name>' is in use in another availability zone"). moto ignored the group.
  - `ClientToken` idempotency: the same token and parameters return the first reservation (no launch); other
    parameters fail IdempotentParameterMismatch; a token whose instances are all terminated fails
    IdempotentInstanceTerminated. moto launched again on every call.
  - The launch template's MetadataOptions and EnclaveOptions reach the instance (DescribeInstances reports
    `EnclaveOptions.Enabled`, false by default, as AWS does); its `volume` tag specifications tag the volumes; a
    template mapping of the AMI's root device replaces moto's extra unencrypted 8 GiB root volume.
  - Capacity: `POST /moto-api/sovereign/capacity` {"instance_type", "zone" (optional), "available"} limits how many
    instances of a type may run in a zone; a launch that cannot place MinCount fails whole with HTTP 500
    InsufficientInstanceCapacity and AWS's message. Limits are process-wide like the faults and cleared by reset.
  - DescribeInstances filters `placement-group-name` and `client-token` (moto: NotImplementedError).
  State: client tokens on the EC2 backend; the group on moto's instance placement objects.

EC2 network (VPCs, subnets, endpoints, default security group):
  - eusc-de-east-1 (partition aws-eusc) gets zones eusc-de-east-1a / -1b (ids eusc1-az1 / -az2): moto builds zones
    only for aws, aws-us-gov and aws-cn, so DescribeAvailabilityZones was empty there and CreateSubnet failed. AWS
    publishes neither count nor ids; two zones is what users report.
  - CreateSubnet with a zone (name or id) of another region fails InvalidParameterValue, as on AWS ("Value (…) for
    parameter availabilityZone is invalid. Subnets can currently only be created in the following availability
    zones: …"); moto accepted any zone of any region.
  - DescribeVpcEndpointServices in aws-eusc names ecr.api, ecr.dkr, execute-api and securityhub
    `eu.amazonaws.<region>.<svc>` like AWS (the others keep `com.amazonaws.<region>.<svc>`).
  - CreateVpcEndpoint with a service name DescribeVpcEndpointServices does not list (in any region: a bogus name,
    another region's name, the `com.` form of the four eusc names) fails InvalidServiceName ("The Vpc Endpoint
    Service '…' does not exist"), as on AWS; moto accepted any name.
  - CreateVpcEndpoint of type Interface with private DNS (PrivateDnsEnabled true, which AWS and moto default to)
    fails InvalidParameter unless the VPC has both enableDnsSupport and enableDnsHostnames, as on AWS.
  - A VPC's default security group gets AWS's self-referencing ingress rule (all protocols, source the group
    itself) besides the egress 0.0.0.0/0 rule: DescribeSecurityGroups/-Rules list both, RevokeSecurityGroupIngress
    removes it by rule id or by permission. DeleteSecurityGroup on a default group fails CannotDelete
    ('the specified group: "sg-…" name: "default" cannot be deleted by a user'), as on AWS; DeleteVpc still
    removes it.
  The zone table and the endpoint-service list are static data (moto caches both per region), not state.

S3 GetBucketVersioning:
  - moto 5.2.5 answers with the root element `GetBucketVersioningResponse` instead of S3's
    `VersioningConfiguration`; the AWS SDK for Rust rejects that (botocore is lenient). Answered like S3.

Fault injection (`FaultInjection`, served by server.py in front of moto): `POST /moto-api/sovereign/faults` with
`{"action": "CreateVpc", "after": 1, "times": 1, "code": "InternalError", "message": "…", "status": 400}` lets one
more CreateVpc through, then fails the next call with that error in the service's wire format (EC2 query
XML, other query XML, JSON `__type`), then lets calls through again. `DELETE` there clears the faults, and so does
`POST /moto-api/reset` (the middleware clears them before moto resets). Details in the class docstring.

Not covered (known moto gaps the tests work around): RunInstances ignores MaxCount (launches MinCount), the
template's NetworkInterfaces groups and the 7-instances-per-zone limit of spread groups; DescribePlacementGroups
ignores Filters; CreateFlowLogs to an S3 ARN with a key prefix fails; in aws-eusc endpoint services keep moto's
`…amazonaws.com` DNS names (AWS: `amazonaws.eu`) and EC2 ARNs say `arn:aws:`; CreateVpcEndpoint ignores
ServiceRegion. The endpoint and subnet checks sit on the EC2 API handlers, so moto-internal callers (CloudFormation,
OSIS) are not subject to them.
"""

import copy
import io
import json
import re
import secrets
import threading
import time
import uuid
from typing import Any, Callable
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError, InvalidAvailabilityZoneError
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend, Zone
from moto.ec2.models.instances import MetadataOptions
from moto.ec2.models.security_groups import SecurityGroupBackend, SecurityGroupRule
from moto.ec2.models.vpcs import VPCBackend
from moto.ec2.responses import EC2Response
from moto.ec2.models import validate_resource_ids
from moto.ec2.utils import convert_tag_spec, filter_dict_attribute_mapping
from moto.kms.models import Key
from moto.kms.responses import KmsResponse
from moto.s3.responses import S3Response
from moto.utilities.utils import get_partition

_KMS_STORES_ATTR = "sovereign_custom_key_stores"
_EC2_PLACEMENT_ATTR = "sovereign_placement_groups"


class _KmsError(JsonRESTError):
    code = 400

    def __init__(self, error_type: str, message: str):
        super().__init__(error_type, message)


# --------------------------------------------------------------------------------------------------- KMS


def _stores(response: KmsResponse) -> dict[str, dict[str, Any]]:
    backend = response.kms_backend
    stores = getattr(backend, _KMS_STORES_ATTR, None)
    if stores is None:
        stores = {}
        setattr(backend, _KMS_STORES_ATTR, stores)
    return stores


def _store(response: KmsResponse, store_id: Any) -> dict[str, Any]:
    store = _stores(response).get(store_id)
    if store is None:
        raise _KmsError(
            "CustomKeyStoreNotFoundException",
            f"Custom key store {store_id} does not exist in this account and region.",
        )
    return store


def create_custom_key_store(self: KmsResponse) -> str:
    name = self._get_param("CustomKeyStoreName")
    if not name:
        raise _KmsError("ValidationException", "CustomKeyStoreName is required.")
    store_type = self._get_param("CustomKeyStoreType") or "AWS_CLOUDHSM"
    if store_type != "AWS_CLOUDHSM":
        raise _KmsError(
            "UnsupportedOperationException",
            "Only AWS_CLOUDHSM custom key stores are supported by this test server.",
        )
    cluster_id = self._get_param("CloudHsmClusterId")
    if not cluster_id:
        raise _KmsError("ValidationException", "CloudHsmClusterId is required for AWS_CLOUDHSM key stores.")
    stores = _stores(self)
    if any(s["CustomKeyStoreName"] == name for s in stores.values()):
        raise _KmsError("CustomKeyStoreNameInUseException", f"Custom key store name {name} is already in use.")
    if any(s["CloudHsmClusterId"] == cluster_id for s in stores.values()):
        raise _KmsError("CloudHsmClusterInUseException", f"CloudHSM cluster {cluster_id} is already in use.")
    store_id = "cks-" + secrets.token_hex(9)[:17]
    stores[store_id] = {
        "CustomKeyStoreId": store_id,
        "CustomKeyStoreName": name,
        "CustomKeyStoreType": store_type,
        "CloudHsmClusterId": cluster_id,
        "TrustAnchorCertificate": self._get_param("TrustAnchorCertificate") or "",
        "ConnectionState": "DISCONNECTED",
        "CreationDate": time.time(),
    }
    return json.dumps({"CustomKeyStoreId": store_id})


def describe_custom_key_stores(self: KmsResponse) -> str:
    store_id = self._get_param("CustomKeyStoreId")
    name = self._get_param("CustomKeyStoreName")
    if store_id:
        found = [_store(self, store_id)]
    elif name:
        found = [s for s in _stores(self).values() if s["CustomKeyStoreName"] == name]
        if not found:
            raise _KmsError("CustomKeyStoreNotFoundException", f"Custom key store {name} does not exist.")
    else:
        found = list(_stores(self).values())
    return json.dumps({"CustomKeyStores": found, "Truncated": False})


def _set_connection(self: KmsResponse, state: str) -> str:
    _store(self, self._get_param("CustomKeyStoreId"))["ConnectionState"] = state
    return "{}"


def connect_custom_key_store(self: KmsResponse) -> str:
    return _set_connection(self, "CONNECTED")


def disconnect_custom_key_store(self: KmsResponse) -> str:
    return _set_connection(self, "DISCONNECTED")


def delete_custom_key_store(self: KmsResponse) -> str:
    store_id = self._get_param("CustomKeyStoreId")
    store = _store(self, store_id)
    if store["ConnectionState"] != "DISCONNECTED":
        raise _KmsError(
            "CustomKeyStoreInvalidStateException",
            f"Custom key store {store_id} must be disconnected before it is deleted.",
        )
    if any(getattr(k, "custom_key_store_id", None) == store_id for k in self.kms_backend.keys.values()):
        raise _KmsError("CustomKeyStoreHasCMKsException", f"Custom key store {store_id} still contains KMS keys.")
    del _stores(self)[store_id]
    return "{}"


_original_create_key = KmsResponse.create_key


def create_key(self: KmsResponse) -> str:
    store_id = self._get_param("CustomKeyStoreId")
    origin = self._get_param("Origin") or "AWS_KMS"
    if store_id is None:
        if origin == "AWS_CLOUDHSM":
            raise _KmsError("ValidationException", "Origin AWS_CLOUDHSM requires a CustomKeyStoreId.")
        return _original_create_key(self)
    store = _store(self, store_id)
    if origin != "AWS_CLOUDHSM":
        raise _KmsError(
            "UnsupportedOperationException",
            f"A key in custom key store {store_id} must have Origin AWS_CLOUDHSM, not {origin}.",
        )
    if store["ConnectionState"] != "CONNECTED":
        raise _KmsError(
            "CustomKeyStoreInvalidStateException",
            f"Custom key store {store_id} is {store['ConnectionState']}; it must be CONNECTED.",
        )
    created = json.loads(_original_create_key(self))
    key = self.kms_backend.keys[created["KeyMetadata"]["KeyId"]]
    key.custom_key_store_id = store_id
    key.cloud_hsm_cluster_id = store["CloudHsmClusterId"]
    return json.dumps(key.to_dict())


def _refuse_rotation_in_key_store(self: KmsResponse) -> None:
    key_id = self._get_param("KeyId")
    self._validate_cmk_id(key_id)
    key = self.kms_backend.keys.get(self.kms_backend.get_key_id(key_id))
    if key is not None and getattr(key, "custom_key_store_id", None):
        raise _KmsError(
            "UnsupportedOperationException",
            f"{key.arn} origin is AWS_CLOUDHSM which is not valid for this operation.",
        )


_original_enable_key_rotation = KmsResponse.enable_key_rotation
_original_disable_key_rotation = KmsResponse.disable_key_rotation


def enable_key_rotation(self: KmsResponse) -> str:
    _refuse_rotation_in_key_store(self)
    return _original_enable_key_rotation(self)


def disable_key_rotation(self: KmsResponse) -> str:
    _refuse_rotation_in_key_store(self)
    return _original_disable_key_rotation(self)


_original_key_to_dict = Key.to_dict


def key_to_dict(self: Key) -> dict[str, Any]:
    out = _original_key_to_dict(self)
    store_id = getattr(self, "custom_key_store_id", None)
    if store_id:
        out["KeyMetadata"]["CustomKeyStoreId"] = store_id
        out["KeyMetadata"]["CloudHsmClusterId"] = self.cloud_hsm_cluster_id
    return out


# --------------------------------------------------------------------------------------------------- EC2


def _placement_groups(response: EC2Response) -> dict[str, dict[str, Any]]:
    backend = response.ec2_backend
    groups = getattr(backend, _EC2_PLACEMENT_ATTR, None)
    if groups is None:
        groups = {}
        setattr(backend, _EC2_PLACEMENT_ATTR, groups)
    return groups


def create_placement_group(self: EC2Response) -> ActionResult:
    name = self._get_param("GroupName")
    strategy = self._get_param("Strategy")
    if not name:
        raise EC2ClientError("MissingParameter", "The request must contain the parameter GroupName.")
    if strategy not in ("cluster", "spread", "partition"):
        raise EC2ClientError("InvalidParameterValue", f"Invalid placement group strategy: {strategy}.")
    self.error_on_dryrun()
    groups = _placement_groups(self)
    if name in groups:
        raise EC2ClientError("InvalidPlacementGroup.Duplicate", f"The Placement Group '{name}' already exists.")
    tags = self._parse_tag_specification("placement-group").get("placement-group", {})
    group_id = "pg-" + secrets.token_hex(9)[:17]
    group: dict[str, Any] = {
        "GroupName": name,
        "GroupId": group_id,
        "GroupArn": f"arn:{get_partition(self.region)}:ec2:{self.region}:{self.current_account}:placement-group/{name}",
        "State": "available",
        "Strategy": strategy,
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }
    if strategy == "partition":
        group["PartitionCount"] = int(self._get_param("PartitionCount") or 2)
    if strategy == "spread" and self._get_param("SpreadLevel"):
        group["SpreadLevel"] = self._get_param("SpreadLevel")
    groups[name] = group
    return ActionResult({"PlacementGroup": group})


def describe_placement_groups(self: EC2Response) -> ActionResult:
    names = self._get_param("GroupNames", [])
    ids = self._get_param("GroupIds", [])
    groups = _placement_groups(self)
    found = list(groups.values())
    for name in names:
        if name not in groups:
            raise EC2ClientError("InvalidPlacementGroup.Unknown", f"The Placement Group '{name}' is unknown.")
    if names:
        found = [g for g in found if g["GroupName"] in names]
    if ids:
        found = [g for g in found if g["GroupId"] in ids]
        if len(found) != len(set(ids)):
            raise EC2ClientError("InvalidPlacementGroupId.NotFound", f"Placement group ids not found: {ids}.")
    return ActionResult({"PlacementGroups": found})


def _placement_group_by_id_or_name(response: EC2Response, name: str | None, group_id: str | None) -> dict[str, Any]:
    groups = _placement_groups(response)
    if group_id:
        found = next((g for g in groups.values() if g["GroupId"] == group_id), None)
        if found is None:
            raise EC2ClientError("InvalidPlacementGroupId.NotFound", f"The Placement Group ID '{group_id}' is unknown.")
        return found
    if name not in groups:
        raise EC2ClientError("InvalidPlacementGroup.Unknown", f"The Placement Group '{name}' is unknown.")
    return groups[name]


def _live(instance: Any) -> bool:
    """Not terminated (moto reports `shutting-down` for a while, AWS too: both are gone for our purposes)."""
    return instance.state not in ("shutting-down", "terminated")


def _instances_in_group(backend: Any, name: str) -> list[Any]:
    return [i for i in backend.all_instances() if i.placement.group_name == name and _live(i)]


def delete_placement_group(self: EC2Response) -> ActionResult:
    """AWS refuses to delete a group that still holds instances that are not terminated."""
    name = self._get_param("GroupName")
    self.error_on_dryrun()
    groups = _placement_groups(self)
    if name not in groups:
        raise EC2ClientError("InvalidPlacementGroup.Unknown", f"The Placement Group '{name}' is unknown.")
    if _instances_in_group(self.ec2_backend, name):
        raise EC2ClientError(
            "InvalidPlacementGroup.InUse", f"The placement group '{name}' is in use and may not be deleted."
        )
    del groups[name]
    return ActionResult({})


_original_create_tags = EC2Response.create_tags
_original_delete_tags = EC2Response.delete_tags


def _split_placement_group_ids(response: EC2Response) -> tuple[list[dict[str, Any]], list[str]]:
    """The placement groups among CreateTags/DeleteTags `Resources` (moto refused `pg-` ids: InvalidID), the rest."""
    ids = response._get_param("Resources", [])
    by_id = {g["GroupId"]: g for g in _placement_groups(response).values()}
    groups = []
    for resource_id in ids:
        if resource_id.startswith("pg-"):
            if resource_id not in by_id:
                raise EC2ClientError(
                    "InvalidPlacementGroupId.NotFound", f"The Placement Group ID '{resource_id}' is unknown."
                )
            groups.append(by_id[resource_id])
    return groups, [i for i in ids if not i.startswith("pg-")]


def create_tags(self: EC2Response) -> ActionResult:
    """CreateTags on placement group ids (`pg-…`), alone or with other resources, as AWS allows."""
    groups, others = _split_placement_group_ids(self)
    if not groups:
        return _original_create_tags(self)
    tags = {tag["Key"]: tag["Value"] for tag in self._get_param("Tags", [])}
    if others:
        validate_resource_ids(others)
        self.ec2_backend.do_resources_exist(others)
    self.error_on_dryrun()
    if others:
        self.ec2_backend.create_tags(others, tags)
    for group in groups:
        merged = {t["Key"]: t["Value"] for t in group["Tags"]} | tags
        group["Tags"] = [{"Key": k, "Value": v} for k, v in merged.items()]
    return ActionResult({})


def delete_tags(self: EC2Response) -> ActionResult:
    """DeleteTags on placement group ids: a tag given with a value goes only if the value matches, as on AWS."""
    groups, others = _split_placement_group_ids(self)
    if not groups:
        return _original_delete_tags(self)
    tags = {tag["Key"]: tag.get("Value") for tag in self._get_param("Tags", [])}
    if others:
        validate_resource_ids(others)
    self.error_on_dryrun()
    if others:
        self.ec2_backend.delete_tags(others, tags)
    for group in groups:
        group["Tags"] = [
            t for t in group["Tags"] if not (t["Key"] in tags and tags[t["Key"]] in (None, t["Value"]))
        ] if tags else []
    return ActionResult({})


# ----------------------------------------------------------------------------------- EC2 RunInstances (GPU clusters)

_EC2_CLIENT_TOKENS_ATTR = "sovereign_client_tokens"
# Request parameters that do not take part in RunInstances idempotency (the rest must match the first request).
_NOT_IDEMPOTENCY_PARAMS = {"Action", "Version", "ClientToken", "DryRun"}


class CapacityLimits:
    """Instance capacity per (instance type, zone), set through `POST /moto-api/sovereign/capacity` (served by
    FaultInjection). `available` is how many instances of the type may be running (pending or running) at once in
    the zone, counting those already there; a limit without a zone applies to every zone on its own. Process-wide,
    like the faults, and cleared by `POST /moto-api/reset` and `DELETE /moto-api/sovereign/capacity`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.limits: dict[tuple[str, str | None], int] = {}

    def set(self, instance_type: str, zone: str | None, available: int) -> None:
        with self.lock:
            self.limits[(instance_type, zone)] = available

    def clear(self) -> None:
        with self.lock:
            self.limits.clear()

    def limit(self, instance_type: str, zone: str) -> int | None:
        with self.lock:
            return self.limits.get((instance_type, zone), self.limits.get((instance_type, None)))

    def public(self) -> list[dict[str, Any]]:
        with self.lock:
            limits = sorted(self.limits.items(), key=str)
            return [{"instance_type": t, "zone": z, "available": n} for (t, z), n in limits]


CAPACITY = CapacityLimits()


def _free_capacity(backend: Any, instance_type: str, zone: str) -> int | None:
    limit = CAPACITY.limit(instance_type, zone)
    if limit is None:
        return None
    running = sum(
        1
        for i in backend.all_instances()
        if i.instance_type == instance_type and i.placement.zone == zone and i.state in ("pending", "running")
    )
    return max(limit - running, 0)


def _error_response(response: EC2Response, code: str, message: str, status: int) -> tuple[str, dict[str, Any]]:
    """An EC2 error in moto's wire format with another HTTP status than the 400 moto gives every EC2 error."""
    _, headers, body = response.serialized(ActionResult(EC2ClientError(code, message)))
    headers["status"] = status
    return body, headers


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


_original_run_instances = EC2Response.run_instances
# The server is threaded: the token, zone and capacity checks and the launch happen as one step, as on AWS.
_RUN_INSTANCES_LOCK = threading.Lock()


def run_instances(self: EC2Response) -> Any:
    with _RUN_INSTANCES_LOCK:
        return _run_instances(self)


def _run_instances(self: EC2Response) -> Any:
    """RunInstances as AWS does it for what sovereign_gpu_cluster relies on (moto ignores all of it):

    - Client tokens: a second call with the same `ClientToken` and the same parameters launches nothing and returns
      the first call's reservation; with other parameters it fails IdempotentParameterMismatch; when every instance
      of the first call is terminated it fails IdempotentInstanceTerminated (AWS since 2025). A token whose call
      failed for capacity is remembered too, so reusing it with other parameters is a mismatch (as on AWS).
    - Placement groups (`Placement.GroupName`/`GroupId`, else the launch template's `Placement`): an unknown group
      fails InvalidPlacementGroup.Unknown; a `cluster` group whose live instances sit in another zone fails
      InvalidPlacementGroup.InUse; launched instances carry `Placement.GroupName` (and a `PartitionNumber` in a
      `partition` group: the requested one, else round-robin).
    - Capacity (see CapacityLimits): when fewer than MinCount instances of the type fit in the zone, nothing is
      launched and the call fails with HTTP 500 InsufficientInstanceCapacity and AWS's message.
    - The launch template's MetadataOptions (under the request's, field by field) and EnclaveOptions (the request's
      first) reach the instance: DescribeInstances reports them, with `EnclaveOptions.Enabled=false` by default as
      AWS does; its `volume` TagSpecifications tag the instance's volumes (request tags win per key); when it maps
      the AMI's root device (and the request maps nothing) there is no extra unencrypted default root volume.
    """
    backend = self.ec2_backend
    token = self._get_param("ClientToken")
    tokens = getattr(backend, _EC2_CLIENT_TOKENS_ATTR, None)
    if tokens is None:
        tokens = {}
        setattr(backend, _EC2_CLIENT_TOKENS_ATTR, tokens)
    fingerprint = sorted(
        (k, tuple(v) if isinstance(v, list) else v)
        for k, v in self.querystring.items()
        if k not in _NOT_IDEMPOTENCY_PARAMS
    )
    if token and token in tokens and not self._get_bool_param("DryRun", False):
        first = tokens[token]
        if first["fingerprint"] != fingerprint:
            raise EC2ClientError(
                "IdempotentParameterMismatch",
                "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).",
            )
        reservation = backend.reservations.get(first["reservation_id"]) if first["reservation_id"] else None
        if reservation is not None:
            if not any(_live(i) for i in reservation.instances):
                raise EC2ClientError(
                    "IdempotentInstanceTerminated",
                    "The client token you have provided is associated with a terminated instance. "
                    "Please use a different client token.",
                )
            return ActionResult(copy.copy(reservation))

    template_arg = self._get_param("LaunchTemplate", {})
    template = backend._get_template_from_args(template_arg).data if template_arg else {}
    instance_type = self._get_param("InstanceType") or template.get("InstanceType") or "m1.small"
    # The zone moto will give the instances (Instance.__init__): the subnet's, else Placement.AvailabilityZone.
    subnet_id = self._get_param("SubnetId") or next(
        (n["SubnetId"] for n in self._get_param("NetworkInterfaces", []) if n.get("SubnetId")), None
    )
    if subnet_id:
        zone = backend.get_subnet(subnet_id).availability_zone
    else:
        zone = self._get_param("Placement.AvailabilityZone") or self.region + "a"

    template_placement = template.get("Placement") or {}
    group_name = self._get_param("Placement.GroupName") or None
    group_id = self._get_param("Placement.GroupId") or None
    if not (group_name or group_id):
        group_name, group_id = template_placement.get("GroupName"), template_placement.get("GroupId")
    group = _placement_group_by_id_or_name(self, group_name, group_id) if (group_name or group_id) else None
    if group is not None and group["Strategy"] == "cluster":
        if any(i.placement.zone != zone for i in _instances_in_group(backend, group["GroupName"])):
            raise EC2ClientError(
                "InvalidPlacementGroup.InUse",
                f"The placement group '{group['GroupName']}' is in use in another availability zone",
            )

    min_count = int(self._get_param("MinCount", if_none="1"))
    free = _free_capacity(backend, instance_type, zone)
    if free is not None and free < min_count and not self._get_bool_param("DryRun", False):
        if token:
            tokens[token] = {"fingerprint": fingerprint, "reservation_id": None}
        others = [
            z.name
            for z in backend.describe_availability_zones()
            if z.name != zone and _free_capacity(backend, instance_type, z.name) != 0
        ]
        message = (
            f"We currently do not have sufficient {instance_type} capacity in the Availability Zone you requested "
            f"({zone}). Our system will be working on provisioning additional capacity."
        )
        if others:
            message += (
                f" You can currently get {instance_type} capacity by not specifying an Availability Zone in your "
                f"request or choosing {', '.join(others)}."
            )
        return _error_response(self, "InsufficientInstanceCapacity", message, 500)

    result = _original_run_instances(self)
    reservation = result.result
    if token:
        tokens[token] = {"fingerprint": fingerprint, "reservation_id": reservation.id}

    request_metadata = self._get_param("MetadataOptions", {}) or {}
    metadata = {**(template.get("MetadataOptions") or {}), **request_metadata}
    enclave = self._get_param("EnclaveOptions.Enabled")
    if enclave is None:
        enclave = (template.get("EnclaveOptions") or {}).get("Enabled")
    template_tags = convert_tag_spec(template.get("TagSpecifications") or [])
    template_volume_tags = template_tags.get("volume", {})
    partition = self._get_param("Placement.PartitionNumber") or template_placement.get("PartitionNumber")
    request_maps_devices = bool(self._get_param("BlockDeviceMappings") or self._get_param("BlockDeviceMapping"))
    template_devices = {m.get("DeviceName") for m in template.get("BlockDeviceMappings") or []}

    for index, instance in enumerate(reservation.instances):
        if metadata:
            instance.metadata_options = MetadataOptions(metadata)
        instance.enclave_options = {"Enabled": _truthy(enclave)}
        if group is not None:
            instance.placement.group_name = group["GroupName"]
            instance.placement.group_id = group["GroupId"]
            if group["Strategy"] == "partition":
                instance.placement.partition_number = int(partition or index % group["PartitionCount"] + 1)
        if template_arg and not request_maps_devices and instance.root_device_name in template_devices:
            _drop_default_root_volume(backend, instance)
        for _, device in instance.get_block_device_mapping:
            volume = backend.get_volume(device.volume_id)
            existing = backend.tags.get(volume.id, {})
            volume.add_tags({k: v for k, v in template_volume_tags.items() if k not in existing})
    return result


def _drop_default_root_volume(backend: Any, instance: Any) -> None:
    """moto's Instance.setup_defaults attaches an unencrypted 8 GiB `/dev/sda1` before the template's mappings; AWS
    makes the root volume from the template's mapping of the AMI's root device. Remove moto's volume: the one at
    `/dev/sda1` when the template's own root device is another name, else the one the template's mapping replaced
    in the device map (left attached to no device)."""
    mapped = {d.volume_id for _, d in instance.get_block_device_mapping}
    if instance.root_device_name != "/dev/sda1" and "/dev/sda1" in instance.block_device_mapping:
        volume_id = instance.block_device_mapping["/dev/sda1"].volume_id
        backend.detach_volume(volume_id, instance.id, "/dev/sda1")
        backend.delete_volume(volume_id)
        return
    for volume in list(backend.volumes.values()):
        attachment = volume.attachment
        if attachment is not None and attachment.instance.id == instance.id and volume.id not in mapped:
            volume.attachment = None
            backend.delete_volume(volume.id)


# --------------------------------------------------------------------------------------------------- EC2 network

# AWS European Sovereign Cloud: moto builds zones only for the aws, aws-us-gov and aws-cn partitions.
_EUSC_REGION = "eusc-de-east-1"
_EUSC_ZONES = [(f"{_EUSC_REGION}a", "eusc1-az1"), (f"{_EUSC_REGION}b", "eusc1-az2")]
# Endpoint services AWS names `eu.amazonaws.<region>.<svc>` in aws-eusc (the rest keep `com.amazonaws.`).
_EUSC_EU_SERVICES = ("ecr.api", "ecr.dkr", "execute-api", "securityhub")

_original_collect_endpoint_services = VPCBackend._collect_default_endpoint_services


def collect_default_endpoint_services(account_id: str, region: str) -> list[dict[str, Any]]:
    """moto's default endpoint services (cached per region: pure data), with AWS's `eu.` names in aws-eusc."""
    services = _original_collect_endpoint_services(account_id, region)
    if get_partition(region) == "aws-eusc":
        renames = {f"com.amazonaws.{region}.{svc}": f"eu.amazonaws.{region}.{svc}" for svc in _EUSC_EU_SERVICES}
        for service in services:
            if service["ServiceName"] in renames:
                service["ServiceName"] = renames[service["ServiceName"]]
    return services


_original_create_subnet = EC2Response.create_subnet


def create_subnet(self: EC2Response) -> ActionResult:
    """AWS refuses a zone (name or id) of another region; moto accepted any zone it knows."""
    zones = self.ec2_backend.describe_availability_zones()
    for param, attr in (("AvailabilityZone", "name"), ("AvailabilityZoneId", "zone_id")):
        value = self._get_param(param)
        if value and value not in [getattr(z, attr) for z in zones]:
            if param == "AvailabilityZone":
                raise InvalidAvailabilityZoneError(value, ", ".join(z.name for z in zones))
            raise EC2ClientError(
                "InvalidParameterValue",
                f"Value ({value}) for parameter availabilityZoneId is invalid. Subnets can currently only be "
                f"created in the following availability zone ids: {', '.join(z.zone_id for z in zones)}.",
            )
    return _original_create_subnet(self)


_original_create_vpc_endpoint = EC2Response.create_vpc_endpoint


def create_vpc_endpoint(self: EC2Response) -> ActionResult:
    """AWS refuses service names DescribeVpcEndpointServices does not list (moto accepted any), and private DNS
    (default true for Interface endpoints, as in AWS and moto) unless the VPC has DNS support and DNS hostnames."""
    backend = self.ec2_backend
    vpc = backend.get_vpc(self._get_param("VpcId"))
    service_name = self._get_param("ServiceName")
    # Raises InvalidServiceName ("The Vpc Endpoint Service '…' does not exist") like AWS.
    backend.describe_vpc_endpoint_services([service_name], [], None, None, self.region)
    interface = (self._get_param("VpcEndpointType") or "Gateway").lower() == "interface"
    if interface and self._get_bool_param("PrivateDnsEnabled", if_none=True):
        if not (vpc.enable_dns_support and vpc.enable_dns_hostnames):
            raise EC2ClientError(
                "InvalidParameter",
                "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set "
                f"to true for {vpc.id}",
            )
    return _original_create_vpc_endpoint(self)


_original_create_security_group = SecurityGroupBackend.create_security_group


def create_security_group(self: Any, *args: Any, **kwargs: Any) -> Any:
    """A VPC's default group gets AWS's self-referencing ingress rule (all traffic from the group itself) besides
    the egress 0.0.0.0/0 rule moto gives every group."""
    group = _original_create_security_group(self, *args, **kwargs)
    if group.is_default:
        # The source group dict as moto's Authorize/Revoke build it, so a revoke by permission matches too.
        source = {"GroupId": group.id, "OwnerId": self.account_id, "UserId": self.account_id}
        group.ingress_rules.append(
            SecurityGroupRule(self, "-1", group.id, None, None, None, source_group=source, is_egress=False)
        )
    return group


_original_delete_security_group = EC2Response.delete_security_group


def delete_security_group(self: EC2Response) -> ActionResult:
    """AWS refuses to delete a VPC's default group (DeleteVpc removes it; moto's DeleteVpc bypasses this)."""
    backend = self.ec2_backend
    group_id, name = self._get_param("GroupId"), self._get_param("GroupName")
    if group_id:
        group = backend.get_security_group_from_id(group_id)
    else:  # by name: EC2-Classic style, the default VPC's groups
        group = backend.get_security_group_from_name(name, backend.default_vpc.id) if name else None
    if group is not None and group.is_default:
        raise EC2ClientError(
            "CannotDelete", f'the specified group: "{group.id}" name: "{group.name}" cannot be deleted by a user'
        )
    return _original_delete_security_group(self)


# --------------------------------------------------------------------------------------------------- fault injection


class FaultInjection:
    """WSGI middleware in front of moto's application: makes chosen calls fail, for tests of error handling.

    `POST /moto-api/sovereign/faults` with a JSON object registers a fault:
      action   (required) the operation: the `Action` parameter of query-protocol calls (EC2, STS, …) or the part of
               `X-Amz-Target` after the dot for JSON-protocol calls (KMS: `TrentService.CreateKey` -> `CreateKey`).
      after    (default 0) calls of that action let through (counted as they arrive, from registration) before
               failing; calls let through count even if moto then fails them.
      times    (default 1) calls that then fail; after them the fault is dropped and calls succeed again.
      code     (default "InternalError"), message (default "injected failure"): the AWS error code and message.
      status   (default 400) the HTTP status. 400 because the AWS SDKs retry 5xx unless told to make one attempt
               (provider: SOVEREIGN_AWS_MAX_ATTEMPTS=1; the harness's clients make one), so a retried 5xx fault
               would use up `times` inside one SDK call; pass 500 with one attempt to test 5xx handling.
      service, region (optional): only calls signed for that service (`ec2`, `kms`) / region (SigV4 scope).
    It answers `{"id": n, ...the fault}`. `GET` lists the faults, `DELETE` clears them, and `POST /moto-api/reset`
    clears them too (before moto resets its backends). Faults match in registration order; an injected failure does
    not count towards `after`. The error is in the service's wire format: EC2 `<Response><Errors><Error>…`, other query
    services `<ErrorResponse><Error>…`, JSON services `{"__type": code, "message": …}`. REST services (S3) have no
    action name here and are never failed.
    """

    PATH = "/moto-api/sovereign/faults"
    # `GET` answers {"calls": {"ec2:CreateVpc": 1, …}}: every call by service and action since the last reset (or
    # `DELETE`), for benchmarks that count what a provider asks of AWS. S3 (REST) calls count as "s3:<METHOD>".
    CALLS_PATH = "/moto-api/sovereign/calls"
    # `POST` {"instance_type": "p4d.24xlarge", "zone": "eu-central-1a" (optional: every zone), "available": 2} sets
    # how many instances of the type may run in the zone (see CapacityLimits and run_instances); `GET` lists the
    # limits, `DELETE` clears them, and so does `POST /moto-api/reset`.
    CAPACITY_PATH = "/moto-api/sovereign/capacity"
    _SCOPE = re.compile(r"Credential=[^/]*/[^/]*/([^/]*)/([^/]*)/")

    def __init__(self, app: Callable[..., Any]):
        self.app = app
        self.lock = threading.Lock()
        self.faults: list[dict[str, Any]] = []
        self.calls: dict[str, int] = {}
        self.next_id = 1

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == self.PATH:
            return self._admin(environ, method, start_response)
        if path == self.CAPACITY_PATH:
            return self._capacity(environ, method, start_response)
        if path == self.CALLS_PATH:
            with self.lock:
                answer = {"calls": dict(sorted(self.calls.items()))}
                if method == "DELETE":
                    self.calls.clear()
            body = json.dumps(answer).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        if path == "/moto-api/reset" and method == "POST":
            with self.lock:
                self.faults.clear()
                self.calls.clear()
            CAPACITY.clear()
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)
        call = self._call(environ)
        name = f"{call['service'] or '?'}:{call['action'] or method}"
        with self.lock:
            self.calls[name] = self.calls.get(name, 0) + 1
        if not self.faults:
            return self.app(environ, start_response)
        # Calls are counted as they arrive, so concurrent calls (a provider creating endpoints four at a time)
        # still see exactly `after` of them through.
        with self.lock:
            fault = next((f for f in self.faults if self._matches(f, call)), None)
            if fault is not None:
                if fault["_passed"] >= fault["after"]:
                    fault["_failed"] += 1
                    if fault["_failed"] >= fault["times"]:
                        self.faults.remove(fault)
                    return self._error(call, fault, start_response)
                fault["_passed"] += 1
        return self.app(environ, start_response)

    def _admin(self, environ: dict[str, Any], method: str, start_response: Callable[..., Any]) -> list[bytes]:
        status, answer = "200 OK", None
        with self.lock:
            if method == "POST":
                try:
                    fault = self._parse(self._body(environ))
                except (ValueError, TypeError) as e:  # json.JSONDecodeError is a ValueError
                    status, answer = "400 Bad Request", {"error": str(e)}
                else:
                    fault["id"], self.next_id = self.next_id, self.next_id + 1
                    self.faults.append(fault)
                    answer = self._public(fault)
            elif method == "DELETE":
                self.faults.clear()
                answer = {"faults": []}
            elif method == "GET":
                answer = {"faults": [self._public(f) for f in self.faults]}
            else:
                status, answer = "405 Method Not Allowed", {"error": f"{method} not allowed"}
        body = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def _capacity(self, environ: dict[str, Any], method: str, start_response: Callable[..., Any]) -> list[bytes]:
        status, answer = "200 OK", None
        if method == "POST":
            try:
                spec = json.loads(self._body(environ) or b"{}")
                if not isinstance(spec, dict) or not isinstance(spec.get("instance_type"), str):
                    raise ValueError('a capacity limit is a JSON object with "instance_type" and "available"')
                zone, available = spec.get("zone"), int(spec["available"])
                if available < 0 or not (zone is None or isinstance(zone, str)):
                    raise ValueError('need "available" >= 0 and "zone" a string or absent')
            except (ValueError, TypeError, KeyError) as e:
                status, answer = "400 Bad Request", {"error": str(e)}
            else:
                CAPACITY.set(spec["instance_type"], zone, available)
                answer = {"capacity": CAPACITY.public()}
        elif method == "DELETE":
            CAPACITY.clear()
            answer = {"capacity": []}
        elif method == "GET":
            answer = {"capacity": CAPACITY.public()}
        else:
            status, answer = "405 Method Not Allowed", {"error": f"{method} not allowed"}
        body = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _parse(raw: bytes) -> dict[str, Any]:
        spec = json.loads(raw or b"{}")
        if not isinstance(spec, dict) or not isinstance(spec.get("action"), str) or not spec["action"]:
            raise ValueError('a fault is a JSON object with at least "action"')
        fault = {
            "action": spec["action"],
            "after": int(spec.get("after", 0)),
            "times": int(spec.get("times", 1)),
            "code": str(spec.get("code", "InternalError")),
            "message": str(spec.get("message", "injected failure")),
            "status": int(spec.get("status", 400)),
            "service": spec.get("service"),
            "region": spec.get("region"),
            "_passed": 0,
            "_failed": 0,
        }
        if fault["after"] < 0 or fault["times"] < 1 or not 400 <= fault["status"] <= 599:
            raise ValueError("need after >= 0, times >= 1 and 400 <= status <= 599")
        return fault

    @staticmethod
    def _public(fault: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in fault.items() if not k.startswith("_")}

    @staticmethod
    def _body(environ: dict[str, Any]) -> bytes:
        """Reads the request body and puts it back for moto."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length <= 0:  # no body, or chunked: left for moto untouched
            return b""
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        return body

    def _call(self, environ: dict[str, Any]) -> dict[str, Any]:
        scope = self._SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        region, service = scope.groups() if scope else (None, None)
        target = environ.get("HTTP_X_AMZ_TARGET")
        if target:
            return {"action": target.rsplit(".", 1)[-1], "json": True, "service": service, "region": region}
        params = parse_qs(environ.get("QUERY_STRING", ""))
        if "Action" not in params and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            params = parse_qs(self._body(environ).decode("utf-8", "replace"))
        action = params.get("Action", [None])[0]
        return {"action": action, "json": False, "service": service, "region": region}

    @staticmethod
    def _matches(fault: dict[str, Any], call: dict[str, Any]) -> bool:
        return (
            call["action"] == fault["action"]
            and fault["service"] in (None, call["service"])
            and fault["region"] in (None, call["region"])
        )

    @staticmethod
    def _error(call: dict[str, Any], fault: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        request_id = str(uuid.uuid4())
        code, message = escape(fault["code"]), escape(fault["message"])
        if call["json"]:
            content_type = "application/x-amz-json-1.1"
            body = json.dumps({"__type": fault["code"], "message": fault["message"]})
        elif call["service"] == "ec2":
            content_type = "text/xml"
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                f"<Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                f"<RequestID>{request_id}</RequestID></Response>"
            )
        else:
            content_type = "text/xml"
            kind = "Receiver" if fault["status"] >= 500 else "Sender"
            body = (
                f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message>"
                f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            )
        data = body.encode()
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(data))),
            ("x-amzn-RequestId", request_id),
        ]
        if call["json"]:
            headers.append(("x-amzn-ErrorType", fault["code"]))
        start_response(f"{fault['status']} Injected", headers)
        return [data]


def wrap_app(app: Callable[..., Any]) -> FaultInjection:
    """moto's WSGI application behind the fault-injection middleware (server.py serves the result)."""
    return FaultInjection(app)


# --------------------------------------------------------------------------------------------------- install


def get_bucket_versioning(self: S3Response) -> Any:
    """GetBucketVersioning with S3's `VersioningConfiguration` root (no `Status` when never enabled)."""
    status = self.backend.get_bucket_versioning(self.bucket_name)
    inner = f"<Status>{status}</Status>" if status else ""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"{inner}</VersioningConfiguration>"
    )
    return 200, {"Content-Type": "application/xml"}, body


def install() -> None:
    """Registers the extension on moto's classes. Call once, before the server handles requests."""
    KmsResponse.create_custom_key_store = create_custom_key_store
    KmsResponse.describe_custom_key_stores = describe_custom_key_stores
    KmsResponse.connect_custom_key_store = connect_custom_key_store
    KmsResponse.disconnect_custom_key_store = disconnect_custom_key_store
    KmsResponse.delete_custom_key_store = delete_custom_key_store
    KmsResponse.create_key = create_key
    KmsResponse.enable_key_rotation = enable_key_rotation
    KmsResponse.disable_key_rotation = disable_key_rotation
    Key.to_dict = key_to_dict
    EC2Response.create_placement_group = create_placement_group
    EC2Response.describe_placement_groups = describe_placement_groups
    EC2Response.delete_placement_group = delete_placement_group
    EC2Response.run_instances = run_instances
    EC2Response.create_tags = create_tags
    EC2Response.delete_tags = delete_tags
    # DescribeInstances filters moto lacks (static data: the attribute each filter reads).
    filter_dict_attribute_mapping["placement-group-name"] = "placement.group_name"
    filter_dict_attribute_mapping["client-token"] = "client_token"
    S3Response.get_bucket_versioning = get_bucket_versioning
    # Static data (like moto's own zone table), set before any EC2 backend builds its default VPC and subnets.
    RegionsAndZonesBackend.zones[_EUSC_REGION] = [
        Zone(name=name, region_name=_EUSC_REGION, zone_id=zone_id) for name, zone_id in _EUSC_ZONES
    ]
    VPCBackend._collect_default_endpoint_services = staticmethod(collect_default_endpoint_services)
    EC2Response.create_subnet = create_subnet
    EC2Response.create_vpc_endpoint = create_vpc_endpoint
    SecurityGroupBackend.create_security_group = create_security_group
    EC2Response.delete_security_group = delete_security_group
