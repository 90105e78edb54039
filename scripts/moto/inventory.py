"""Lists what exists in an AWS-compatible endpoint (the demo's moto server), through the AWS API.

Usage: .venv/bin/python scripts/moto/inventory.py ENDPOINT REGION [REGION ...] [--expect-empty]

Prints one line per region: VPCs (not the default one), subnets, security groups (not the defaults), VPC endpoints,
running/pending instances, launch templates, placement groups and customer-managed KMS keys not pending deletion,
then the S3 buckets (global). With --expect-empty, exits 1 (naming what is left) when anything is listed.
Used by `scripts/demo provider` to show what Terraform created and that a refused plan or a destroy left nothing.
"""

import argparse
import sys

import boto3
from botocore.config import Config


def client(service: str, endpoint: str, region: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


def region_inventory(endpoint: str, region: str) -> dict:
    ec2 = client("ec2", endpoint, region)
    kms = client("kms", endpoint, region)
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    subnets = [
        s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] in vpcs
    ]
    groups = [
        g["GroupId"]
        for g in ec2.describe_security_groups()["SecurityGroups"]
        if g["VpcId"] in vpcs and g["GroupName"] != "default"
    ]
    # Deleted endpoints stay listed in state `deleted` for a while, as on AWS.
    endpoints = [
        e["VpcEndpointId"]
        for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
        if e.get("State", "").lower() not in ("deleted", "deleting")
    ]
    instances = [
        i["InstanceId"]
        for r in ec2.describe_instances(
            Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}]
        )["Reservations"]
        for i in r["Instances"]
    ]
    templates = [t["LaunchTemplateId"] for t in ec2.describe_launch_templates()["LaunchTemplates"]]
    placement = [g["GroupName"] for g in ec2.describe_placement_groups()["PlacementGroups"]]
    keys = []
    for k in kms.list_keys()["Keys"]:
        meta = kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]
        if meta.get("KeyManager") == "CUSTOMER" and meta.get("KeyState") != "PendingDeletion":
            keys.append(k["KeyId"])
    return {
        "VPCs": vpcs,
        "subnets": subnets,
        "security groups": groups,
        "VPC endpoints": endpoints,
        "instances": instances,
        "launch templates": templates,
        "placement groups": placement,
        "KMS keys": keys,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint")
    parser.add_argument("regions", nargs="+")
    parser.add_argument("--expect-empty", action="store_true")
    args = parser.parse_args()

    left = []
    for region in args.regions:
        inventory = region_inventory(args.endpoint, region)
        print(f"   {region}: " + ", ".join(f"{len(ids)} {what}" for what, ids in inventory.items()))
        left += [f"{region} {what}: {' '.join(ids)}" for what, ids in inventory.items() if ids]
    buckets = [b["Name"] for b in client("s3", args.endpoint, args.regions[0]).list_buckets()["Buckets"]]
    print(f"   S3 buckets: {len(buckets)}" + (f" ({', '.join(sorted(buckets))})" if buckets else ""))
    if buckets:
        left.append(f"S3 buckets: {' '.join(buckets)}")
    if args.expect_empty and left:
        print("inventory: expected nothing, found:\n  " + "\n  ".join(left), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
