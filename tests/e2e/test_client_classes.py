"""The one client class per service: shared by sgupdater's sessions, never by anyone else's."""

from __future__ import annotations

from typing import Any

import botocore.hooks
import botocore.session

from sgupdater.aws import sessions as aws
from testkit import helpers
from tests.e2e.conftest import Aws


def test_our_sessions_share_one_class_and_each_client_keeps_its_own_settings(aws: Aws) -> None:
    first = sdk_client("us-east-1")
    second = sdk_client("eu-west-1")
    assert type(first) is type(second)
    assert first.meta.service_model is second.meta.service_model
    assert (first.meta.region_name, second.meta.region_name) == ("us-east-1", "eu-west-1")
    # Every operation of the service model is there, and calls go through the local EC2.
    model = botocore.session.get_session().get_service_model("ec2")
    assert set(type(first)._PY_TO_OP_NAME.values()) == set(model.operation_names)
    made = helpers.web(aws.ec2("eu-west-1"))
    found = {g["GroupId"] for g in second.describe_security_groups()["SecurityGroups"]}
    assert made in found
    assert made not in {g["GroupId"] for g in first.describe_security_groups()["SecurityGroups"]}


def test_other_sessions_keep_the_class_botocore_makes(aws: Aws) -> None:
    plain: Any = botocore.session.Session().create_client("ec2", region_name="us-east-1")
    ours: Any = sdk_client("us-east-1")
    assert type(plain) is not type(ours)
    assert plain.meta.service_model is not ours.meta.service_model
    custom: Any = botocore.hooks.EventAliaser(botocore.hooks.HierarchicalEmitter(), {"a": "b"})
    assert custom._alias_name_cache is not ours.meta.events._alias_name_cache
    assert custom._alias_event_name("before-call.a.X") == "before-call.b.X"


def test_our_clients_share_what_event_names_alias_to_and_alias_them_as_botocore_does(
    aws: Aws,
) -> None:
    first: Any = sdk_client("us-east-1")
    second: Any = sdk_client("eu-west-1", "sts")
    assert first.meta.events._alias_name_cache is second.meta.events._alias_name_cache
    plain: Any = botocore.hooks.EventAliaser(botocore.hooks.HierarchicalEmitter())
    # An aliased service name (EVENT_ALIASES), a plain one, and one aliased in two parts.
    for name in ("before-call.autoscaling.Describe", "before-call.ec2.DescribeVpcs",
                 "before-parameter-build.runtime.sagemaker.InvokeEndpoint"):  # fmt: skip
        assert first.meta.events._alias_event_name(name) == plain._alias_event_name(name)


def sdk_client(region: str, service: str = "ec2") -> Any:
    return aws.session(None).create_client(service, region_name=region)
