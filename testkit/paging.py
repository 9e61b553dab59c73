"""MaxResults/NextToken for moto's describes that ignore them.

The EC2 API reference, for each describe sgupdater pages through: "To get the next page of
items, make another request with the token returned in the output." A local EC2 that returns
everything at once would hide a tool that reads only the first page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult


def paginated(handler: Callable[[Any], ActionResult], key: str) -> Callable[[Any], ActionResult]:
    """The handler's answer cut to MaxResults items, with a NextToken for the rest."""

    @functools.wraps(handler)
    def page(self: Any) -> ActionResult:
        result = handler(self)
        limit = self._get_int_param("MaxResults")
        if not limit:
            return result
        items = result.result[key]  # type: ignore[index]  # moto builds a dict here
        start = int(self._get_param("NextToken") or 0)
        answer: dict[str, Any] = {key: items[start : start + limit]}
        if start + limit < len(items):
            answer["NextToken"] = str(start + limit)
        return ActionResult(answer)

    return page
