"""What every command shares: options, consoles, opening the store, one-line errors."""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import attrs
import orjson
import typer
from rich.console import Console

from complaintlog.application import ComplaintLog
from complaintlog.application.authorization import Policy
from complaintlog.errors import ComplaintLogError, InvalidValueError
from complaintlog.persistence.settings import STORE_ENV_VAR, parse_store_url

__all__ = [
    "DEFAULT_STORE",
    "POLICY_ENV_VAR",
    "load_policy",
    "Options",
    "fail",
    "open_log",
    "options",
    "parse_as_of",
    "print_json",
    "user_errors",
]

DEFAULT_STORE = "sqlite:///complaints.db"
POLICY_ENV_VAR = "COMPLAINTLOG_AUTHORIZATION"
WIDTH = 100

P = ParamSpec("P")
R = TypeVar("R")


def _console(stderr: bool) -> Console:
    width = min(shutil.get_terminal_size((WIDTH, 24)).columns, WIDTH)
    return Console(stderr=stderr, width=width, highlight=False, soft_wrap=False)


@attrs.define
class Options:
    """The global options, set by the app's callback and read by every command."""

    store: str | None = None
    quiet: bool = False
    json: bool = False
    actor: str | None = None
    """``--as``: read as this actor under ``policy``."""
    policy: Path | None = None
    """``--authorization``: the authorisation policy file."""
    out: Console = attrs.field(factory=lambda: _console(stderr=False))
    err: Console = attrs.field(factory=lambda: _console(stderr=True))

    def store_url(self, default: str = DEFAULT_STORE) -> str:
        return self.store or os.environ.get(STORE_ENV_VAR) or default

    def say(self, message: str) -> None:
        """Progress and notes go to stderr, so stdout stays clean for data."""
        if not self.quiet:
            self.err.print(message)


def options(ctx: typer.Context) -> Options:
    obj = ctx.find_root().obj
    if not isinstance(obj, Options):
        obj = Options()
        ctx.find_root().obj = obj
    return obj


class UserError(Exception):
    """A problem with what the user asked for: one line on stderr, exit code ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def fail(message: str, code: int = 1) -> UserError:
    return UserError(message, code)


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn expected errors into one line on stderr and a non-zero exit, never a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except UserError as error:
            _error_line(str(error))
            raise typer.Exit(error.code) from None
        except ComplaintLogError as error:
            _error_line(str(error))
            raise typer.Exit(1) from None
        except BrokenPipeError:  # the reader went away (`complaintlog export | head`)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(0) from None
        except OSError as error:
            _error_line(f"{error.filename or ''}: {error.strerror}".lstrip(": "))
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            _error_line("interrupted")
            raise typer.Exit(130) from None

    return run


def _error_line(message: str) -> None:
    first = message.strip().splitlines()[0] if message.strip() else "failed"
    sys.stderr.write(f"error: {first}\n")


@contextmanager
def open_log(
    opts: Options,
    *,
    must_exist: bool = True,
    default: str = DEFAULT_STORE,
    policy: Policy | None = None,
) -> Iterator[ComplaintLog]:
    """The store named by --store / $COMPLAINTLOG_STORE / the default, under ``policy``."""
    url = opts.store_url(default)
    settings = parse_store_url(url)
    if must_exist and settings.sqlite_path is not None and not settings.sqlite_path.exists():
        msg = (
            f"no store at {settings.sqlite_path}: import data first "
            "(complaintlog import FILE) or name one with --store"
        )
        raise fail(msg)
    if policy is None and opts.policy is not None:
        policy = load_policy(opts.policy)
    if opts.actor is not None and policy is None:
        raise fail(
            "--as needs an authorisation policy: --authorization FILE "
            "or COMPLAINTLOG_AUTHORIZATION",
            2,
        )
    log = ComplaintLog(url, authorization=policy)
    try:
        yield log
    finally:
        log.close()


def load_policy(path: Path | None) -> Policy | None:
    """The authorisation policy in a TOML file (``None``: no policy, everything allowed)."""
    if path is None:
        return None
    try:
        return Policy.from_toml(path)
    except InvalidValueError as error:
        raise fail(f"--authorization {path}: {error}", 2) from None


def parse_as_of(
    value: str | None,
    *,
    option: str = "--as-of",
    end_of_day: bool = True,
    zone: tzinfo | None = None,
) -> datetime | None:
    """An ISO date or datetime; a date means the end of that day (its start with
    ``end_of_day=False``) in ``zone`` (a policy's time zone; UTC when not given), and naive
    times are read in ``zone`` too."""
    if value is None:
        return None
    text = value.strip()
    where = zone or UTC
    try:
        if len(text) == 10:
            moment_of_day = time.max if end_of_day else time.min
            return datetime.combine(date.fromisoformat(text), moment_of_day, tzinfo=where)
        moment = datetime.fromisoformat(text)
    except ValueError:
        msg = f"{option} {value!r} is not an ISO date or time (e.g. 2026-03-31T17:00+01:00)"
        raise fail(msg, 2) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=where)


def print_json(opts: Options, value: Any) -> None:
    text = orjson.dumps(
        value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str
    ).decode()
    sys.stdout.write(text + "\n")
