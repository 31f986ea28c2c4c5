"""``serve``: the HTTP API and dashboard (``complaintlog[http]``) with uvicorn.

It listens on the loopback interface unless told otherwise, and refuses any other host
unless requests are authenticated: an ``--authenticate`` hook, or an ``--access-policy``
file whose ``[access]`` table says ``authentication = "required"`` (then every request
without a hook is refused, 401).
"""

from __future__ import annotations

import copy
import importlib
import ipaddress
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from complaintlog.application.authorization import Policy
from complaintlog.cli._common import fail, open_log, options, user_errors
from complaintlog.cli._report import TENANT_POLICY_HELP, policy_named, scope_named

__all__ = ["is_loopback", "serve_command"]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hook(spec: str) -> Callable[..., Any]:
    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        raise fail(f"--authenticate {spec!r}: give it as module:function", 2)
    try:
        found = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as error:
        raise fail(f"--authenticate {spec!r}: {error}", 2) from None
    if not callable(found):
        raise fail(f"--authenticate {spec!r} is not callable", 2)
    return found  # type: ignore[no-any-return]


@user_errors
def serve_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Serve the GET endpoints only.")
    ] = False,
    policy: Annotated[
        str, typer.Option(help="SLA policy of the views: a preset name or a TOML file.")
    ] = "default",
    access_policy: Annotated[
        Path | None,
        typer.Option(help="Authorisation policy (TOML): roles, actors, [access].", dir_okay=False),
    ] = None,
    authenticate: Annotated[
        str | None,
        typer.Option(help="Authentication hook module:function, called with each request."),
    ] = None,
    tenant_policy: Annotated[
        list[str] | None, typer.Option("--tenant-policy", help=TENANT_POLICY_HELP)
    ] = None,
) -> None:
    """Serve the HTTP API and the team lead's dashboard on the --store (uvicorn)."""
    opts = options(ctx)
    try:
        import uvicorn

        from complaintlog.http import create_app
    except ImportError as error:
        msg = f"serve needs the http extra (pip install 'complaintlog[http]'): {error}"
        raise fail(msg) from None
    access = Policy.from_toml(access_policy) if access_policy is not None else None
    hook = _hook(authenticate) if authenticate is not None else None
    locked = hook is not None or (access is not None and access.authentication_required)
    if not is_loopback(host) and not locked:
        msg = (
            f"refusing to serve on {host} without authentication: give --authenticate, or an "
            '--access-policy whose [access] says authentication = "required"'
        )
        raise fail(msg, 2)
    scope = scope_named(policy_named(policy), tenant_policy, None)
    with open_log(opts) as log, scope.projections(log) as views:
        app = create_app(
            log, projections=views, policy=access, authenticate=hook, read_only=read_only
        )
        opts.say(f"serving {log.settings.redacted_url} on http://{host}:{port}/")
        level = "WARNING" if opts.quiet else "INFO"
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=level.lower(),
            log_config=_log_config(level),
            access_log=False,  # uvicorn's lines carry the path and query: see AccessLog
        )


def _log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, plus complaintlog's own request lines (no personal data)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["complaintlog.http"] = {"handlers": ["default"], "level": level}
    return config
