"""Answers in AWS's own shapes, written from the botocore service models (no hand-made XML).

EC2 speaks the `ec2` protocol (members by locationName, lists of <item>), STS the `query`
protocol (an <OpResult> wrapper, lists of <member>), Organizations JSON 1.1.
"""

from __future__ import annotations

import json
from typing import Any
from xml.sax.saxutils import escape

import botocore.session
from botocore.model import ListShape, OperationModel, Shape, StructureShape

_session = botocore.session.get_session()
_models = {name: _session.get_service_model(name) for name in ("ec2", "sts")}


def _value(shape: Shape, value: Any, list_item: str) -> str:
    if isinstance(shape, StructureShape):
        return "".join(
            _element(name, member, value[name], list_item)
            for name, member in shape.members.items()
            if value.get(name) is not None
        )
    if isinstance(shape, ListShape):
        tag = shape.member.serialization.get("name", list_item)
        return "".join(f"<{tag}>{_value(shape.member, item, list_item)}</{tag}>" for item in value)
    if shape.type_name == "boolean":
        return "true" if value else "false"
    return escape(str(value))


def _element(name: str, shape: Shape, value: Any, list_item: str) -> str:
    # The member's locationName; query-protocol members without one keep their own name.
    default = name if list_item == "member" else name[0].lower() + name[1:]
    tag = shape.serialization.get("name", default)
    return f"<{tag}>{_value(shape, value, list_item)}</{tag}>"


def ec2(operation: str, result: dict[str, Any]) -> bytes:
    """An EC2 answer."""
    model = _models["ec2"]
    op: OperationModel = model.operation_model(operation)
    body = _value(op.output_shape, result, "item") if op.output_shape is not None else ""
    namespace = model.metadata["xmlNamespace"]
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><{operation}Response xmlns="{namespace}/">'
        f"<requestId>sim</requestId>{body}</{operation}Response>"
    ).encode()


def sts(operation: str, result: dict[str, Any]) -> bytes:
    """An STS answer."""
    model = _models["sts"]
    op = model.operation_model(operation)
    body = _value(op.output_shape, result, "member") if op.output_shape is not None else ""
    namespace = model.metadata["xmlNamespace"]
    return (
        f'<{operation}Response xmlns="{namespace}"><{operation}Result>{body}</{operation}Result>'
        f"<ResponseMetadata><RequestId>sim</RequestId></ResponseMetadata></{operation}Response>"
    ).encode()


def organizations(result: dict[str, Any]) -> bytes:
    """An Organizations answer (JSON 1.1)."""
    return json.dumps(result).encode()
