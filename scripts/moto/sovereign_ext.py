"""The sovereign project's small extension to moto 5.2.5 (test infrastructure only).

moto lacks a few AWS behaviours the provider's resources depend on. `install()` registers them on moto's
response classes before the server starts; every piece of state lives on moto's per-account, per-region backend
objects, so `POST /moto-api/reset` clears it like everything else (BaseBackend.reset re-creates the backend's
attributes).

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

S3 GetBucketVersioning:
  - moto 5.2.5 answers with the root element `GetBucketVersioningResponse` instead of S3's
    `VersioningConfiguration`; the AWS SDK for Rust rejects that (botocore is lenient). Answered like S3.

Not covered (known moto gaps the tests work around): RunInstances ignores EnclaveOptions and launch-template
MetadataOptions; CreateFlowLogs to an S3 ARN with a key prefix fails.
"""

import json
import secrets
import time
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.responses import EC2Response
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


def delete_placement_group(self: EC2Response) -> ActionResult:
    name = self._get_param("GroupName")
    self.error_on_dryrun()
    if _placement_groups(self).pop(name, None) is None:
        raise EC2ClientError("InvalidPlacementGroup.Unknown", f"The Placement Group '{name}' is unknown.")
    return ActionResult({})


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
    S3Response.get_bucket_versioning = get_bucket_versioning
