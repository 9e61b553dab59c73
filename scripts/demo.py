"""The main job, end to end, against a local EC2 endpoint (moto on 127.0.0.1).

Seeds a few security groups (one with a host rule inside the old range), a prefix list, a
network ACL, WAF IP sets, an IAM policy and a bucket policy, then runs show → update --dry-run →
update → show → migrate, the way an operator would, and checks the result. Touches no real
AWS account: every SDK setting points at the local server and at throw-away config files.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import boto3

from testkit.local_ec2 import LocalServer

OLD, NEW = "192.0.2.0/24", "198.51.100.0/24"


def _perm(protocol: str, port: int | None, *ranges: tuple[str, str | None]) -> Any:
    """One IpPermission allowing these (CIDR, description) ranges."""
    cidrs = [{"CidrIp": c, **({"Description": d} if d else {})} for c, d in ranges]
    ports = {"FromPort": port, "ToPort": port} if port is not None else {}
    return {"IpProtocol": protocol, **ports, "IpRanges": cidrs}


def seed(ec2: Any) -> None:
    """A web tier, a database, an admin host and a bastion that trust the old office range."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]

    def group(name: str, ingress: list[Any], egress: tuple[Any, ...] = ()) -> None:
        gid = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=ingress)
        if egress:
            ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=list(egress))

    group(
        "web",
        [
            _perm("tcp", 22, (OLD, "office SSH")),
            _perm("tcp", 443, (OLD, "office HTTPS"), ("10.0.0.0/8", None)),
        ],
    )
    group(
        "database",
        [_perm("tcp", 5432, (OLD, "office psql"), (NEW, "new office, added by hand"))],
    )
    ec2.create_managed_prefix_list(
        PrefixListName="offices",
        MaxEntries=5,
        AddressFamily="IPv4",
        Entries=[{"Cidr": OLD, "Description": "office"}],
    )
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
        CidrBlock=OLD, PortRange={"From": 22, "To": 22},
    )  # fmt: skip
    group("admin", [_perm("tcp", 3389, ("192.0.2.10/32", "admin laptop"))])
    group(
        "bastion",
        [_perm("-1", None, (OLD, "office, all traffic"))],
        (_perm("udp", 514, (OLD, "syslog to office")),),
    )


def _office_only(resource: str, principal: bool) -> str:
    """A policy allowing reads only from the office range and one partner host inside it."""
    statement: dict[str, Any] = {
        "Sid": "OfficeOnly",
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": resource,
        "Condition": {"IpAddress": {"aws:SourceIp": [OLD, "203.0.113.0/24"]}},
    }
    if principal:
        statement["Principal"] = "*"
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def seed_beyond(session: boto3.Session) -> None:
    """The same range in WAF allow-lists, an IAM policy and a bucket policy."""
    regional = session.client("wafv2", region_name="us-east-1")
    for name, scope in (("office-admin", "REGIONAL"), ("cdn-office", "CLOUDFRONT")):
        regional.create_ip_set(
            Name=name, Scope=scope, IPAddressVersion="IPV4", Description=f"{name} allow-list",
            Addresses=[OLD, "203.0.113.7/32"],
        )  # fmt: skip
    iam = session.client("iam", region_name="us-east-1")
    iam.create_policy(PolicyName="reports-from-office", PolicyDocument=_office_only("*", False))
    s3 = session.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="office-reports")
    policy = _office_only("arn:aws:s3:::office-reports/*", True)
    s3.put_bucket_policy(Bucket="office-reports", Policy=policy)


def left_beyond(session: boto3.Session) -> int:
    """How many WAF addresses and policy values still trust the old range."""
    text = ""
    waf = session.client("wafv2", region_name="us-east-1")
    for scope in ("REGIONAL", "CLOUDFRONT"):
        for summary in waf.list_ip_sets(Scope=scope)["IPSets"]:
            where = {"Name": summary["Name"], "Scope": scope, "Id": summary["Id"]}
            text += json.dumps(waf.get_ip_set(**where)["IPSet"]["Addresses"])
    iam = session.client("iam", region_name="us-east-1")
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        version = iam.get_policy_version(
            PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"]
        )
        text += json.dumps(version["PolicyVersion"]["Document"])
    s3 = session.client("s3", region_name="us-east-1")
    text += str(s3.get_bucket_policy(Bucket="office-reports")["Policy"])
    return text.count('"192.0.2.')


def left_in_ec2(ec2: Any) -> int:
    """How many rules and ACL entries still trust the old range or a host inside it."""
    rules = ec2.describe_security_group_rules()["SecurityGroupRules"]
    left = sum(1 for r in rules if r.get("CidrIpv4", "").startswith("192.0.2."))
    acls = ec2.describe_network_acls()["NetworkAcls"]
    return left + sum(1 for a in acls for e in a["Entries"] if e.get("CidrBlock") == OLD)


# The IaC fixtures the tests use: Terraform, CloudFormation, SAM, Kubernetes, Helm values.
IAC = Path(__file__).resolve().parent.parent / "tests" / "e2e" / "data" / "iac"


def sgupdater(*args: str) -> None:
    """Run the installed command as a user would, echoing it first."""
    print(f"\n$ sgupdater {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, "-m", "sgupdater", *args], check=False)
    if done.returncode != 0:
        raise SystemExit(f"demo: sgupdater exited {done.returncode}")


def rewrite_sources(home: Path) -> None:
    """Where code owns the range: the same move in a small IaC tree, as a reviewed diff."""
    shutil.copytree(IAC, home / "infra")
    here = os.getcwd()
    os.chdir(home)
    try:
        sgupdater("rewrite", "infra", "--from-cidr", OLD, "--to-cidr", NEW)
    finally:
        os.chdir(here)


def main() -> int:
    server = LocalServer().start()
    with tempfile.TemporaryDirectory() as home:
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            del os.environ[name]
        Path(home, "config").write_text("[default]\nregion = us-east-1\n")
        Path(home, "credentials").write_text(
            "[default]\naws_access_key_id = demo\naws_secret_access_key = demo\n"
        )
        os.environ.update(
            AWS_CONFIG_FILE=str(Path(home, "config")),
            AWS_SHARED_CREDENTIALS_FILE=str(Path(home, "credentials")),
            AWS_ENDPOINT_URL=server.url,
            XDG_STATE_HOME=str(Path(home, "state")),
        )
        print(f"demo: local endpoint at {server.url} (moto); no real AWS is touched")
        ec2 = boto3.client("ec2", region_name="us-east-1")
        seed(ec2)
        seed_beyond(boto3.Session())
        everything = (
            "--match", "within", "--prefix-lists", "--nacls", "--waf", "--policies", "-o", "table",
        )  # fmt: skip
        move = ("--from-cidr", OLD, "--to-cidr", NEW, "--renumber", *everything)
        sgupdater("show", "--from-cidr", OLD, *everything)
        sgupdater("update", *move, "--dry-run")
        sgupdater("update", *move, "--yes")
        # Exit 0: the old range is trusted nowhere any more (3 while it still is).
        sgupdater("show", "--from-cidr", OLD, *everything, "--detailed-exitcode")
        sgupdater("show", "--from-cidr", NEW, *everything)
        # Make the next move one prefix-list edit.
        sgupdater(
            "migrate", "--cidr", NEW, "--prefix-list", "office", "--create", "--yes", "-o", "table"
        )
        left = left_in_ec2(ec2) + left_beyond(boto3.Session())
        rewrite_sources(Path(home))
    server.stop()
    if left:
        print(f"demo: FAILED, {left} rule(s) still allow {OLD}", file=sys.stderr)
        return 1
    print(
        f"\ndemo: done; nothing allows {OLD} or a host inside it any more (rules, prefix list,"
        " network ACL, WAF IP sets, IAM and bucket policies), descriptions, ports and every other"
        " value kept; the new range now lives in one prefix list"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
