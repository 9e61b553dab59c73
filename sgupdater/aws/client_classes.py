"""One botocore client class and one service model per service for every session sgupdater makes.

NOTE: botocore builds a client's class anew for every client: ~800 methods for EC2, two thirds
of a client's ~11 ms of CPU and most of its memory (boto/boto3#1670, boto/botocore#3078). A run
over an Organization makes a client per account and region, so the classes alone would cost
minutes and gigabytes. botocore has no hook to reuse a class, so ClientCreator's
_create_client_class is wrapped: sessions that opt in (ours, through `share`) get the class
built for the first of them; every other session is left exactly as botocore made it. Sound
because every opted-in session registers the same handlers (botocore's defaults), the only
input to the class besides the service model. The service model is shared the same way:
botocore rebuilds it per client too, and with it the per-operation models it caches, which
endpoint discovery walks for all ~800 operations of every new EC2 client. Tested against the
installed botocore (tests/test_client_classes.py), whose range pyproject.toml bounds.

The same holds for event names: every session's EventAliaser, and every client's copy of it,
starts with an empty cache and works out anew, for each of the hundreds of handlers a session
registers and the events a client emits, which of botocore's ~60 aliases applies — a tenth of
the run's CPU over an Organization. The answer depends only on the name and the alias table,
so every aliaser whose table is botocore's own (EVENT_ALIASES) shares one cache, whoever made
it; one with another table keeps its own. Pinned by tests/e2e/test_client_classes.py.
"""

from __future__ import annotations

import threading
from typing import Any

import botocore.client
import botocore.hooks
import botocore.session
from botocore.utils import EVENT_ALIASES

_ATTRIBUTE = "_sgupdater_client_classes"
_lock = threading.Lock()
_classes: dict[tuple[str, str], type] = {}
# The botocore stubs do not declare the private method: reached through the class's namespace.
_METHOD = "_create_client_class"
_MODEL = "_load_service_model"
_original = vars(botocore.client.ClientCreator)[_METHOD]
_original_model = vars(botocore.client.ClientCreator)[_MODEL]
_models: dict[tuple[str, str | None], Any] = {}


def _create_client_class(self: Any, service_name: str, service_model: Any) -> Any:
    if getattr(self._event_emitter, _ATTRIBUTE, None) is not _classes:
        return _original(self, service_name, service_model)
    key = (service_name, str(service_model.api_version))
    with _lock:
        found = _classes.get(key)
        if found is None:
            found = _classes[key] = _original(self, service_name, service_model)
    return found


def _load_service_model(self: Any, service_name: str, api_version: str | None = None) -> Any:
    if getattr(self._event_emitter, _ATTRIBUTE, None) is not _classes:
        return _original_model(self, service_name, api_version)
    key = (service_name, api_version)
    with _lock:
        found = _models.get(key)
        if found is None:
            found = _models[key] = _original_model(self, service_name, api_version)
    return found


# Event name -> its aliased name under botocore's own alias table (EVENT_ALIASES).
_aliased: dict[str, str] = {}
_INIT = "__init__"
_original_init = vars(botocore.hooks.EventAliaser)[_INIT]


def _init_aliaser(self: Any, event_emitter: Any, event_aliases: Any = None) -> None:
    """EventAliaser.__init__ (each session's, each client's copy): with botocore's own alias
    table, the process's one cache; with any other, a cache of its own, as botocore does."""
    _original_init(self, event_emitter, event_aliases)
    if getattr(self, "_event_aliases", None) == EVENT_ALIASES and isinstance(
        getattr(self, "_alias_name_cache", None), dict
    ):
        self._alias_name_cache = _aliased


def share(session: botocore.session.Session) -> None:
    """Let this session's clients use the process's one class per service."""
    setattr(session.get_component("event_emitter"), _ATTRIBUTE, _classes)


setattr(botocore.client.ClientCreator, _METHOD, _create_client_class)
setattr(botocore.client.ClientCreator, _MODEL, _load_service_model)
setattr(botocore.hooks.EventAliaser, _INIT, _init_aliaser)
