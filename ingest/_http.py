"""All HTTP of the project: cached, resumable, retried downloads and JSON API calls.

Every network access of ``ingest`` goes through :func:`download`, :func:`fetch_json` or
:func:`call_api` (as osmnx
keeps all of its HTTP in ``_http.py``), so that timeouts, retries, the User-Agent, proxies and
error messages are the same for every source.

Behaviour shared by both functions:

- timeouts, attempts and back-off default to :mod:`ingest.settings`, read at call time;
- connection errors, resets, timeouts, truncated bodies, HTTP 5xx and HTTP 429 are retried
  with exponential back-off (``backoff``, ``2 * backoff``, ``4 * backoff`` ... seconds, at most
  :data:`MAX_BACKOFF`); a ``Retry-After`` header is honoured, at most :data:`MAX_RETRY_AFTER`;
- other HTTP 4xx answers fail at once: asking again will not help;
- after the last attempt a :class:`DownloadError` names the URL, the number of attempts, the last
  failure and the manual fix (council networks often block scripted downloads).

Proxies are taken from the usual ``HTTPS_PROXY`` / ``NO_PROXY`` variables and a corporate
certificate bundle from ``REQUESTS_CA_BUNDLE``, as ``requests`` does.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import math
import os
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import requests
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from ingest import settings
from ingest._errors import IngestError

__all__ = [
    "MANUAL_FIX",
    "USER_AGENT",
    "ApiAnswer",
    "ApiRefusedError",
    "DownloadError",
    "call_api",
    "download",
    "fetch_json",
    "sha256_file",
]

logger = logging.getLogger(__name__)

#: What to tell the user when a download cannot be done by script.
MANUAL_FIX = (
    "download the file in a browser and pass its folder with `python -m ingest build --sources DIR`"
)
#: Longest wait, in seconds, granted to a server's ``Retry-After`` header.
MAX_RETRY_AFTER = 60.0
#: Longest exponential back-off between two attempts, in seconds.
MAX_BACKOFF = 60.0
#: Bytes read from the socket per write to the part file. Small enough that an interrupted
#: transfer loses little of what it received (the resume starts from what was written).
CHUNK_SIZE = 64 * 1024

Timeout = float | tuple[float, float]
Sleep = Callable[[float], object]

_T = TypeVar("_T")

_SHA256 = re.compile(r"[0-9a-f]{64}")
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)
_UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d+)", re.IGNORECASE)


def _user_agent() -> str:
    try:
        version = metadata.version("digital-inclusion-map")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"digital-inclusion-map/{version} (UK council digital inclusion map; python-requests)"


#: Sent with every request, so that publishers can see who is downloading their files.
USER_AGENT = _user_agent()


class DownloadError(IngestError):
    """A file or an API answer could not be obtained, even after retrying.

    Attributes
    ----------
    url : str
        Address that failed (with the query string, for :func:`fetch_json`).
    attempts : int
        Requests made before giving up.
    last_failure : str
        What went wrong on the last attempt.
    """

    def __init__(
        self, message: str, *, url: str = "", attempts: int = 0, last_failure: str = ""
    ) -> None:
        super().__init__(message)
        self.url = url
        self.attempts = attempts
        self.last_failure = last_failure


class ApiRefusedError(IngestError):
    """An API refused the credentials (HTTP 401 or 403): no further call can succeed.

    Attributes
    ----------
    status : int
        The HTTP status, 401 or 403.
    """

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ApiAnswer:
    """One API answer that settles a question: found (HTTP 200) or not found (HTTP 404).

    Attributes
    ----------
    status : int
        200 or 404.
    body : object
        The decoded JSON body (an object or an array; for a 404, None when it is not JSON).
    attempts : int
        Requests made, retries included.
    """

    status: int
    body: Any
    attempts: int


class _AttemptError(Exception):
    """One attempt failed; ``retry`` says whether another attempt may help.

    ``free`` marks the single from-zero retry after a checksum mismatch: it does not use up
    one of the ``retries`` attempts and is not preceded by a back-off.
    """

    def __init__(
        self,
        reason: str,
        *,
        retry: bool,
        retry_after: float | None = None,
        free: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.retry_after = retry_after
        self.free = free


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def sha256_file(path: Path | str) -> str:
    """Return the SHA-256 of a file as 64 lower-case hex digits, reading it in chunks.

    Parameters
    ----------
    path : Path or str
        File to hash; it is streamed, never loaded whole into memory.

    Returns
    -------
    str
        Hex digest, e.g. ``"e3b0c442..."`` for an empty file.

    Example
    -------
    >>> sha256_file("data/cache/ofcom.zip")  # doctest: +SKIP
    '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'
    """
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def download(
    url: str,
    dest: Path | str,
    *,
    sha256: str | None = None,
    timeout: Timeout | None = None,
    retries: int | None = None,
    backoff: float | None = None,
    session: requests.Session | None = None,
    verbose: bool = True,
    sleep: Sleep | None = None,
) -> Path:
    """Download ``url`` to ``dest``, reusing a cached copy and resuming a partial one.

    The bytes go to ``<dest>.part`` and are moved onto ``dest`` with :func:`os.replace` only once
    complete (all of ``Content-Length`` received, checksum matched when given), so an interrupted
    download never leaves a truncated ``dest``. A part file left by an earlier run or attempt is
    resumed with an HTTP ``Range`` request; a server that ignores ``Range`` (answers 200) is
    downloaded again from byte zero.

    Parameters
    ----------
    url : str
        ``http://`` or ``https://`` address of the file.
    dest : Path or str
        Where to save it. Missing parent folders are created.
    sha256 : str, optional
        Expected SHA-256 (hex). A cached ``dest`` is only reused when it matches; a download
        that does not match is deleted and fetched once more from zero, then fails.
    timeout : float or (float, float), optional
        Seconds to wait to connect and between two reads; default
        :data:`ingest.settings.HTTP_TIMEOUT`.
    retries : int, optional
        Attempts before giving up (at least 1); default :data:`ingest.settings.HTTP_RETRIES`.
    backoff : float, optional
        Seconds before the second attempt, doubled for each further one; default
        :data:`ingest.settings.HTTP_BACKOFF`. ``0`` retries at once (except after a
        ``Retry-After``).
    session : requests.Session, optional
        Session to use (and leave open); by default a new one is opened and closed.
    verbose : bool, default True
        Show a progress bar (bytes, speed, time left) on stderr.
    sleep : callable, optional
        Function called with the seconds to wait between attempts; default :func:`time.sleep`.

    Returns
    -------
    Path
        ``dest``, complete.

    Raises
    ------
    DownloadError
        The file could not be downloaded (HTTP 4xx, repeated failures, checksum mismatch).
        The message names the URL, attempts, last failure and the manual fix.
    ValueError
        ``url``, ``sha256``, ``retries`` or ``backoff`` is malformed.

    Example
    -------
    >>> download(  # doctest: +SKIP
    ...     "https://www.ofcom.org.uk/.../202507_fixed_oa_coverage_r01.zip",
    ...     settings.cache_dir() / "ofcom" / "202507_fixed_oa_coverage_r01.zip",
    ... )
    PosixPath('data/cache/ofcom/202507_fixed_oa_coverage_r01.zip')
    """
    _check_url(url)
    dest = Path(dest)
    expected_sha = _check_sha256(sha256)
    timeout, retries, backoff = _defaults(timeout, retries, backoff)

    if dest.is_file():
        if expected_sha is None:
            logger.debug("Using cached %s", dest)
            return dest
        found = sha256_file(dest)
        if found == expected_sha:
            logger.debug("Using cached %s (sha256 matches)", dest)
            return dest
        logger.warning(
            "Cached %s has sha256 %s, expected %s; downloading it again", dest, found, expected_sha
        )

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_suffix(dest.suffix + ".part")
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not verbose,
    )
    own_session = session is None
    http = session if session is not None else requests.Session()
    attempt = _DownloadAttempt(
        url=url,
        dest=dest,
        part=part,
        sha256=expected_sha,
        timeout=timeout,
        session=http,
        progress=progress,
    )
    logger.info("Downloading %s to %s", url, dest)
    try:
        with progress:
            attempt.task = progress.add_task(dest.name, total=None)
            _retrying(
                attempt,
                url=url,
                retries=retries,
                backoff=backoff,
                sleep=sleep,
                save_as=dest.name,
                on_give_up=attempt.clean_up,
            )
    finally:
        if own_session:
            http.close()
    logger.info("Saved %s (%d bytes)", dest, dest.stat().st_size)
    return dest


def fetch_json(
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    timeout: Timeout | None = None,
    retries: int | None = None,
    backoff: float | None = None,
    session: requests.Session | None = None,
    sleep: Sleep | None = None,
) -> dict[str, Any]:
    """GET a JSON object, with the retry policy of :func:`download`.

    Made for the ONS Open Geography Portal's ArcGIS REST API, which reports errors as HTTP 200
    with a body ``{"error": {"code": ..., "message": ..., "details": [...]}}``: such a body is a
    failure carrying the API's message, retried when its code is 429 or 5xx, else raised at once.

    Parameters
    ----------
    url : str
        ``http://`` or ``https://`` address.
    params : mapping, optional
        Query parameters, e.g. ``{"where": "1=1", "outFields": "*", "f": "json"}``.
    timeout, retries, backoff, session, sleep
        As for :func:`download`.
    query : mapping, optional
        A JSON body to POST instead of a GET (DWP Stat-Xplore's ``table`` endpoint). A refusal
        (HTTP 4xx but 401, 403, 404 and 429) is not retried, and the first 300 characters the
        server said are kept in the error, after ``the server said:``.

    Returns
    -------
    dict
        The decoded JSON object.

    Raises
    ------
    DownloadError
        No usable answer: HTTP error, ArcGIS error body, a body that is not a JSON object, or
        repeated network failures.

    Example
    -------
    >>> fetch_json(  # doctest: +SKIP
    ...     "https://services1.arcgis.com/.../FeatureServer/0/query",
    ...     params={"where": "LAD24CD='E08000025'", "returnCountOnly": "true", "f": "json"},
    ... )
    {'count': 69}
    """
    _check_url(url)
    timeout, retries, backoff = _defaults(timeout, retries, backoff)
    full_url = requests.Request("GET", url, params=dict(params or {})).prepare().url or url
    own_session = session is None
    http = session if session is not None else requests.Session()

    def attempt() -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        _add_user_agent(headers, http)
        try:
            with http.get(url, params=params, headers=headers, timeout=timeout) as resp:
                _raise_for_status(resp)
                body = resp.content
        except requests.RequestException as exc:
            raise _AttemptError(_describe(exc, timeout), retry=_is_transient(exc)) from exc
        try:
            data = resp.json()
        except ValueError:
            start = body[:200].decode("utf-8", "replace")
            raise _AttemptError(
                f"the answer is not JSON (Content-Type {resp.headers.get('Content-Type')!r}, "
                f"starts {start!r}); a proxy or login page may be in the way",
                retry=False,
            ) from None
        if not isinstance(data, dict):
            raise _AttemptError(
                f"expected a JSON object, found a JSON {type(data).__name__}", retry=False
            )
        if "error" in data:
            raise _arcgis_failure(data["error"])
        return data

    logger.info("Fetching %s", full_url)
    try:
        return _retrying(
            attempt, url=full_url, retries=retries, backoff=backoff, sleep=sleep, save_as=None
        )
    finally:
        if own_session:
            http.close()


def env_url(variable: str, default: str) -> str:
    """Return an API's base address from ``variable``, else ``default``, without a final ``/``."""
    return os.environ.get(variable, default).rstrip("/")


def env_key(variable: str, *, source: str, how_to_get: str) -> str:
    """Return an API key from the environment variable ``variable``.

    Raises
    ------
    IngestError
        No key is set: naming ``source``, the variable and ``how_to_get`` one.
    """
    key = os.environ.get(variable, "").strip()
    if not key:
        raise IngestError(f"{source}: no API key: {variable} is not set. To get one, {how_to_get}.")
    return key


def call_api(
    url: str,
    *,
    headers: Mapping[str, str],
    timeout: Timeout | None = None,
    retries: int | None = None,
    backoff: float | None = None,
    session: requests.Session | None = None,
    sleep: Sleep | None = None,
    query: Mapping[str, Any] | None = None,
) -> ApiAnswer:
    """GET (or POST) one answer of a keyed JSON API, with the retry policy of :func:`download`.

    Made for Ofcom's Connected Nations API (Azure API Management), where a key travels in a
    header: HTTP 200 and 404 both settle the question and are returned; 401 and 403 raise
    :class:`ApiRefusedError` at once; 429 (honouring ``Retry-After``), 5xx, timeouts, resets and a
    truncated or malformed JSON body are retried with back-off.

    Parameters
    ----------
    url : str
        ``http://`` or ``https://`` address, with no credentials in it.
    headers : mapping
        Request headers, e.g. the subscription key. They are never logged nor put in an error.
    timeout, retries, backoff, session, sleep
        As for :func:`download`.
    query : mapping, optional
        A JSON body to POST instead of a GET (DWP Stat-Xplore's ``table`` endpoint). A refusal
        (HTTP 4xx but 401, 403, 404 and 429) is not retried, and the first 300 characters the
        server said are kept in the error, after ``the server said:``.

    Returns
    -------
    ApiAnswer

    Raises
    ------
    ApiRefusedError
        HTTP 401 or 403.
    DownloadError
        Still no answer after the last attempt, or another HTTP 4xx.
    """
    _check_url(url)
    timeout, retries, backoff = _defaults(timeout, retries, backoff)
    own_session = session is None
    http = session if session is not None else requests.Session()
    made = 0

    def attempt() -> ApiAnswer:
        nonlocal made
        made += 1
        sent = {"Accept": "application/json", **headers}
        _add_user_agent(sent, http)
        try:
            asked = (
                http.get(url, headers=sent, timeout=timeout)
                if query is None
                else http.post(url, headers=sent, timeout=timeout, json=query)
            )
            with asked as resp:
                body = resp.content
                code = resp.status_code
                if code in (401, 403):
                    raise ApiRefusedError(
                        f"{url}: HTTP {code} {resp.reason or ''}".rstrip(), status=code
                    )
                if code != 404:
                    said = body[:300].decode("utf-8", "replace").strip() if query else ""
                    _raise_for_status(resp, said=said)
        except requests.RequestException as exc:
            raise _AttemptError(_describe(exc, timeout), retry=_is_transient(exc)) from exc
        try:
            data = resp.json()
        except ValueError:
            if code == 404:
                return ApiAnswer(404, None, made)
            start = body[:80].decode("utf-8", "replace")
            raise _AttemptError(
                f"the answer is truncated or not JSON ({len(body)} bytes, starts {start!r})",
                retry=True,
            ) from None
        return ApiAnswer(code, data, made)

    logger.info("Calling %s", url)
    try:
        return _retrying(
            attempt, url=url, retries=retries, backoff=backoff, sleep=sleep, save_as=None
        )
    finally:
        if own_session:
            http.close()


# --------------------------------------------------------------------------------------------
# Download attempt
# --------------------------------------------------------------------------------------------


class _DownloadAttempt:
    """One GET of the file into the part file; called again by :func:`_retrying`."""

    def __init__(
        self,
        *,
        url: str,
        dest: Path,
        part: Path,
        sha256: str | None,
        timeout: Timeout,
        session: requests.Session,
        progress: Progress,
    ) -> None:
        self.url = url
        self.dest = dest
        self.part = part
        self.sha256 = sha256
        self.timeout = timeout
        self.session = session
        self.progress = progress
        self.task: TaskID | None = None
        self.mismatches = 0

    def __call__(self) -> None:
        offset = self.part.stat().st_size if self.part.is_file() else 0
        headers = {"Accept-Encoding": "identity"}  # byte counts and ranges of the file itself
        _add_user_agent(headers, self.session)
        if offset:
            headers["Range"] = f"bytes={offset}-"
            logger.info("Resuming %s from byte %d", self.url, offset)
        try:
            with self.session.get(
                self.url, headers=headers, stream=True, timeout=self.timeout
            ) as resp:
                if resp.status_code == 416 and offset:
                    self._unsatisfiable_range(resp, offset)
                    return
                _raise_for_status(resp)
                expected = self._receive(resp, offset)
        except requests.RequestException as exc:
            raise _AttemptError(_describe(exc, self.timeout), retry=_is_transient(exc)) from exc
        self._finish(expected)

    def _receive(self, resp: requests.Response, offset: int) -> int | None:
        """Write the body to the part file; return the expected size of the whole file."""
        length = _int_header(resp, "Content-Length")
        encoded = resp.headers.get("Content-Encoding", "identity").lower() != "identity"
        if resp.status_code == 206:
            start, total = _parse_content_range(resp.headers.get("Content-Range"))
            if start != offset:
                self.part.unlink(missing_ok=True)
                sent = "no valid Content-Range" if start is None else f"bytes from {start}"
                raise _AttemptError(
                    f"asked for bytes from {offset}, the server sent {sent}; "
                    "starting again from zero",
                    retry=True,
                )
            expected = total if total is not None else _plus(offset, length)
            mode = "ab"
        else:
            if offset:
                logger.info("%s ignores Range requests; downloading from byte 0", self.url)
                offset = 0
            expected = None if encoded else length
            mode = "wb"
        if encoded:
            expected = None  # Content-Length counts compressed bytes
        assert self.task is not None
        self.progress.update(self.task, total=expected, completed=offset)
        with self.part.open(mode) as fh:
            try:
                for chunk in resp.iter_content(CHUNK_SIZE):
                    fh.write(chunk)
                    self.progress.advance(self.task, len(chunk))
            finally:
                fh.flush()
                os.fsync(fh.fileno())
        return expected

    def _unsatisfiable_range(self, resp: requests.Response, offset: int) -> None:
        """Handle HTTP 416 to a resume: the part file may already hold the whole file."""
        match = _UNSATISFIED_RANGE.fullmatch(resp.headers.get("Content-Range", "").strip())
        if match and int(match[1]) == offset:
            logger.info("%s was already complete", self.part)
            self._finish(offset)
            return
        self.part.unlink(missing_ok=True)
        raise _AttemptError(
            f"HTTP 416 to a resume from byte {offset} (the file on the server is shorter); "
            "starting again from zero",
            retry=True,
        )

    def _finish(self, expected: int | None) -> None:
        """Check the part file and move it onto ``dest``."""
        size = self.part.stat().st_size
        if expected is not None and size < expected:
            raise _AttemptError(f"truncated body: received {size} of {expected} bytes", retry=True)
        if expected is not None and size > expected:
            self.part.unlink()
            raise _AttemptError(
                f"received {size} bytes, more than the {expected} announced; "
                "starting again from zero",
                retry=True,
            )
        if self.sha256 is not None:
            found = sha256_file(self.part)
            if found != self.sha256:
                self.part.unlink()
                self.mismatches += 1
                raise _AttemptError(
                    f"sha256 mismatch: expected {self.sha256}, found {found} "
                    f"({size} bytes); the publisher may have replaced the file, or a proxy "
                    "altered it",
                    retry=self.mismatches == 1,
                    free=True,
                )
        os.replace(self.part, self.dest)

    def clean_up(self, failure: _AttemptError) -> None:
        """After giving up: drop a part file that cannot be resumed usefully.

        A non-empty part file is kept after transient failures (timeouts, resets, truncation,
        5xx) so that running the same command again resumes it; it is deleted after a
        permanent failure (4xx), and an empty one is always deleted.
        """
        if not self.part.is_file():
            return
        if not failure.retry or self.part.stat().st_size == 0:
            self.part.unlink()
        else:
            logger.warning(
                "Kept %d bytes in %s; running again resumes the download",
                self.part.stat().st_size,
                self.part,
            )


# --------------------------------------------------------------------------------------------
# Retry loop and helpers
# --------------------------------------------------------------------------------------------


def _retrying(
    attempt: Callable[[], _T],
    *,
    url: str,
    retries: int,
    backoff: float,
    sleep: Sleep | None,
    save_as: str | None,
    on_give_up: Callable[[_AttemptError], None] | None = None,
) -> _T:
    """Call ``attempt`` until it succeeds, a failure is not retryable, or attempts run out."""
    pause = time.sleep if sleep is None else sleep
    made = 0  # requests made
    counted = 0  # attempts used up (a checksum mismatch's one retry is free)
    while True:
        made += 1
        try:
            return attempt()
        except _AttemptError as failure:
            if not failure.free:
                counted += 1
            if not failure.retry or counted >= retries:
                if on_give_up is not None:
                    on_give_up(failure)
                _give_up(url, made, failure, save_as)
            delay = 0.0 if failure.free else min(backoff * 2 ** (counted - 1), MAX_BACKOFF)
            if failure.retry_after is not None:
                delay = max(delay, failure.retry_after)
            logger.warning(
                "Attempt %d for %s failed: %s; retrying in %.1f s",
                made,
                url,
                failure.reason,
                delay,
            )
            if delay > 0:
                pause(delay)


def _give_up(url: str, attempts: int, failure: _AttemptError, save_as: str | None) -> NoReturn:
    plural = "" if attempts == 1 else "s"
    fix = MANUAL_FIX + (f" (save it as {save_as})" if save_as else "")
    message = (
        f"could not download {url} after {attempts} attempt{plural}; last failure: "
        f"{failure.reason}. Council networks often block scripted downloads: {fix}."
    )
    logger.debug("%s", message)
    raise DownloadError(message, url=url, attempts=attempts, last_failure=failure.reason)


def _raise_for_status(resp: requests.Response, *, said: str = "") -> None:
    """Turn an HTTP error status into a retryable or permanent :class:`_AttemptError`.

    ``said``, when given, is what the server answered, kept in a permanent refusal's message.
    """
    code = resp.status_code
    if code < 400:
        return
    reason = f"HTTP {code} {resp.reason or ''}".rstrip()
    if code == 429 or code >= 500:
        raise _AttemptError(
            reason, retry=True, retry_after=_retry_after(resp.headers.get("Retry-After"))
        )
    if code in (401, 403, 407):
        why = "the server or a proxy refuses this request"
    elif code in (404, 410):
        why = "the address is wrong or the file has moved"
    else:
        why = "the request was refused"
    told = f"; the server said: {said}" if said else ""
    raise _AttemptError(f"{reason} (not retried: {why}{told})", retry=False)


def _arcgis_failure(error: object) -> _AttemptError:
    """Turn an ArcGIS REST ``{"error": {...}}`` body into a failure, retryable for 429 and 5xx."""
    if not isinstance(error, dict):
        return _AttemptError(f"API error: {error!r}", retry=False)
    code = error.get("code")
    message = error.get("message") or "no message"
    details = [str(d) for d in error.get("details") or [] if d]
    text = f"ArcGIS API error {code}: {message}"
    if details:
        text += f" ({'; '.join(details)})"
    retry = isinstance(code, int) and (code == 429 or code >= 500)
    return _AttemptError(text, retry=retry)


def _retry_after(value: str | None) -> float | None:
    """Seconds asked by a ``Retry-After`` header (seconds or HTTP date), capped; else None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _is_transient(exc: requests.RequestException) -> bool:
    """Network failures worth another attempt (not malformed URLs or redirect loops)."""
    return isinstance(
        exc,
        requests.Timeout
        | requests.ConnectionError
        | requests.exceptions.ChunkedEncodingError
        | requests.exceptions.ContentDecodingError,
    )


def _describe(exc: requests.RequestException, timeout: Timeout) -> str:
    """Say what went wrong in one line, from the innermost cause requests wraps."""
    root = _root_cause(exc)
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    if isinstance(exc, requests.ConnectTimeout):
        return f"timed out connecting (no answer within the connect timeout of {connect} s)"
    if isinstance(exc, requests.Timeout) or isinstance(root, TimeoutError):
        return f"timed out (no data within the read timeout of {read} s)"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return f"connection closed before the whole body arrived ({root})"
    if isinstance(exc, requests.exceptions.SSLError):
        return (
            f"TLS error ({root}); if your network inspects HTTPS, set REQUESTS_CA_BUNDLE to "
            "your organisation's certificate bundle"
        )
    if isinstance(exc, requests.exceptions.ProxyError):
        return f"proxy error ({root}); check HTTPS_PROXY and NO_PROXY"
    if isinstance(root, socket.gaierror):
        return f"host name not found ({root}); no network, or a proxy is needed (set HTTPS_PROXY)"
    if isinstance(exc, requests.ConnectionError):
        return f"connection failed ({root})"
    return f"{type(exc).__name__}: {exc}"


def _root_cause(exc: BaseException) -> BaseException:
    """Innermost exception under requests' and urllib3's wrappers (causes, ``reason``, args)."""
    seen = {id(exc)}
    current = exc
    while True:
        inner = current.__cause__ or getattr(current, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((a for a in current.args if isinstance(a, BaseException)), None)
        if inner is None or id(inner) in seen:
            return current
        seen.add(id(inner))
        current = inner


def _add_user_agent(headers: dict[str, str], session: requests.Session) -> None:
    """Send :data:`USER_AGENT` unless the caller's session set a User-Agent of its own."""
    current = session.headers.get("User-Agent")
    if current is None or current == requests.utils.default_user_agent():
        headers["User-Agent"] = USER_AGENT


def _parse_content_range(value: str | None) -> tuple[int | None, int | None]:
    """``bytes 100-199/1000`` -> ``(100, 1000)``; total None when ``*``; start None if bad."""
    match = _CONTENT_RANGE.fullmatch((value or "").strip())
    if match is None:
        return None, None
    total = None if match[3] == "*" else int(match[3])
    return int(match[1]), total


def _int_header(resp: requests.Response, name: str) -> int | None:
    try:
        value = int(resp.headers.get(name, ""))
    except ValueError:
        return None
    return value if value >= 0 else None


def _plus(offset: int, length: int | None) -> int | None:
    return None if length is None else offset + length


def _check_url(url: str) -> None:
    if not isinstance(url, str) or urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ValueError(f"url must be an http:// or https:// address, got {url!r}")


def _check_sha256(sha256: str | None) -> str | None:
    if sha256 is None:
        return None
    normalised = sha256.strip().lower()
    if not _SHA256.fullmatch(normalised):
        raise ValueError(f"sha256 must be 64 hex digits, got {sha256!r}")
    return normalised


def _defaults(
    timeout: Timeout | None, retries: int | None, backoff: float | None
) -> tuple[Timeout, int, float]:
    """Fill in unset arguments from :mod:`ingest.settings` (read now, not at import)."""
    timeout = settings.HTTP_TIMEOUT if timeout is None else timeout
    retries = settings.HTTP_RETRIES if retries is None else retries
    backoff = settings.HTTP_BACKOFF if backoff is None else backoff
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
        raise ValueError(f"retries must be an integer of at least 1, got {retries!r}")
    if not backoff >= 0:
        raise ValueError(f"backoff must be a number of seconds >= 0, got {backoff!r}")
    return timeout, retries, float(backoff)
