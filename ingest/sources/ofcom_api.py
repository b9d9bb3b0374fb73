"""Ofcom Connected Nations API: mobile and fixed coverage of every premises of a postcode.

Where the data comes from
-------------------------
- Publisher: Ofcom, through its API developer portal (https://api.ofcom.org.uk). Sign up,
  subscribe to the Connected Nations products (Ofcom approves each subscription) and copy the
  subscription key into the environment variable :data:`KEY_VARIABLE` (``OFCOM_API_KEY``).
- Endpoints (:data:`ENDPOINTS`) are added to the base address :data:`DEFAULT_API_URL`, or to
  ``DIM_OFCOM_API_URL`` when set (a council proxy, or a test server on 127.0.0.1).
- Level: **premises** (UPRN), asked one **postcode** at a time.
- Limits: 100 calls a minute and 50,000 a month on the Basic tier (:data:`CALLS_PER_MINUTE`,
  :data:`CALLS_PER_MONTH`).

Terms of use, and how this module keeps to them
-----------------------------------------------
Ofcom's API terms (2025 edition; re-read the current text at sign-up) ask for Ofcom's
attribution beside any display (:data:`ATTRIBUTION`), forbid changing the information, allow
caching "for performance reasons" for **no longer than one month**, and forbid caching or
aggregating it "to build a partial or full dataset of your own" (clause 4.3.6). So:

- every answer is cached at most :data:`MAX_CACHE_DAYS` days (``DIM_OFCOM_API_CACHE_DAYS`` may
  lower it; a longer period needs a recorded permission that grants it); expired answers are
  deleted by every run that opens the cache and never read;
- a bulk fetch of a place's postcodes, the only source of ward figures, refuses to run without
  a permission reference from Ofcom (:func:`record_permission`), kept with the cache and in
  the store's manifest;
- the address text is dropped from every answer before it is written anywhere, and no UPRN
  leaves the cache: the store holds ward figures only;
- the subscription key travels in a request header only: it is never written to the cache,
  the manifest, a log or an error message.

How the answers map to our names
--------------------------------
Mobile answers (:data:`MOBILE_FIELDS`): 32 ratings ``{Operator}{Service}{Place}[No4g]`` become
``{operator}_{service}_{place}[_no4g]`` (``EEDataIndoor`` -> ``ee_data_indoor``), integers 0
to 4 (:data:`geo.thresholds.MOBILE_RATINGS`). Broadband answers (:data:`BROADBAND_FIELDS`):
the maximum predicted speeds in Mbit/s, ``-1`` where none is predicted. Both carry ``UPRN``
(read as 64-bit: UPRNs run to 12 digits although the schema says int32) and ``PostCode``.

Answers come in the documented shape ``{"PostCode", "Availability": [...], "DBName"}``, or, as
one client library reports, as one bare premises object or an array of them. Any other shape,
a missing field or a value out of range is an :class:`~ingest._errors.IngestError` naming the
answer, the premises and the field: when Ofcom replaces the API (its legacy mobile API closes
on 30 November 2026), this module is the one place to change.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import requests
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from geo.postcodes import POSTCODE_PATTERN
from geo.thresholds import MOBILE_RATINGS
from ingest import settings
from ingest._errors import IngestError
from ingest._http import ApiRefusedError, DownloadError, call_api, env_key, env_url

#: Environment variable holding the subscription key.
KEY_VARIABLE = "OFCOM_API_KEY"
#: Environment variable that replaces :data:`DEFAULT_API_URL` (a proxy, a test server).
URL_VARIABLE = "DIM_OFCOM_API_URL"
#: Environment variable that lowers the cache period below :data:`MAX_CACHE_DAYS`.
CACHE_DAYS_VARIABLE = "DIM_OFCOM_API_CACHE_DAYS"
#: Base address of Ofcom's API gateway.
DEFAULT_API_URL = "https://api-proxy.ofcom.org.uk"
#: Header that carries the key (Azure API Management).
KEY_HEADER = "Ocp-Apim-Subscription-Key"
#: Path of each endpoint under the base address; ``{postcode}`` has no space, upper case.
ENDPOINTS = {
    "mobile": "/mobile/coverage/{postcode}",
    "broadband": "/broadband/coverage/{postcode}",
}
#: Basic tier limits.
CALLS_PER_MINUTE = 100
CALLS_PER_MONTH = 50_000
#: Longest time an answer may be cached without a permission granting longer (clause 4.3.6).
MAX_CACHE_DAYS = 30
#: Shown beside every figure from the API (terms, clauses 4.2.1-2; check the wording at sign-up).
ATTRIBUTION = "Source: Ofcom Connected Nations API (coverage by premises). © Ofcom."
#: Where a council gets a key, said whenever one is missing or refused.
HOW_TO_GET_A_KEY = (
    "sign up at Ofcom's API developer portal (https://api.ofcom.org.uk), subscribe to the "
    "Connected Nations mobile and broadband products (Ofcom approves each subscription), then "
    f"set the key in the environment: export {KEY_VARIABLE}=<your key> (Windows: "
    f"set {KEY_VARIABLE}=<your key>)"
)
#: Why a bulk fetch needs Ofcom's permission, and how to ask for it.
PERMISSION_NEEDED = (
    "Clause 4.3.6 of Ofcom's API terms forbids caching or aggregating the information 'to "
    "build a partial or full dataset of your own', and ward figures are such a dataset. A "
    "council can ask Ofcom for written permission (through the API developer portal's contact "
    "form, or its Connected Nations team), describing the use: ward figures of one authority "
    "for digital inclusion planning, no per-premises data published. Then record Ofcom's "
    'reference with --ofcom-permission "<reference>" (and --retention-days if the permission '
    "sets how long data may be kept)."
)

_OPERATORS = {"EE": "ee", "H3": "three", "TF": "o2", "VO": "vodafone"}
#: Operator column prefix -> the network's name a resident knows.
OPERATOR_NAMES = {"ee": "EE", "three": "Three", "o2": "O2", "vodafone": "Vodafone"}

#: Mobile answer field -> our column: operator, service, place, and ``No4g`` (the rating if 4G
#: were not counted: what 2G and 3G alone give).
MOBILE_FIELDS: dict[str, str] = {
    f"{op}{service}{place}{suffix}": (
        f"{name}_{service.lower()}_{place.lower()}{'_no4g' if suffix else ''}"
    )
    for op, name in _OPERATORS.items()
    for service in ("Voice", "Data")
    for place in ("Outdoor", "Indoor")
    for suffix in ("", "No4g")
}

#: Broadband answer field -> our column (maximum predicted speed, Mbit/s; -1 = none).
BROADBAND_FIELDS: dict[str, str] = {
    "MaxBbPredictedDown": "basic_down_mbit",
    "MaxBbPredictedUp": "basic_up_mbit",
    "MaxSfbbPredictedDown": "superfast_down_mbit",
    "MaxSfbbPredictedUp": "superfast_up_mbit",
    "MaxUfbbPredictedDown": "ultrafast_down_mbit",
    "MaxUfbbPredictedUp": "ultrafast_up_mbit",
    "MaxPredictedDown": "max_down_mbit",
    "MaxPredictedUp": "max_up_mbit",
}
_FIELDS = {"mobile": MOBILE_FIELDS, "broadband": BROADBAND_FIELDS}

#: Fields of a premises that are personal data and are dropped on reading.
ADDRESS_FIELDS = ("AddressShortDescription",)
#: Largest UPRN (12 digits).
_MAX_UPRN = 999_999_999_999
#: States of a cached answer: found (200), not found (404, never asked again), failed.
FOUND, NOT_FOUND, FAILED = "found", "not found", "failed"


def api_url() -> str:
    """Return the API's base address: ``DIM_OFCOM_API_URL``, else :data:`DEFAULT_API_URL`."""
    return env_url(URL_VARIABLE, DEFAULT_API_URL)


def api_key() -> str:
    """Return the subscription key from ``OFCOM_API_KEY``.

    Raises
    ------
    IngestError
        No key is set, with how to get one.
    """
    return env_key(KEY_VARIABLE, source="ofcom-api", how_to_get=HOW_TO_GET_A_KEY)


def api_postcode(postcode: str) -> str:
    """Write a postcode as the API wants it: no space, upper case (``"M15 4AB"``: ``"M154AB"``)."""
    return "".join(postcode.split()).upper()


# --------------------------------------------------------------------------------------------
# Reading answers
# --------------------------------------------------------------------------------------------


def _premises_list(body: Any, endpoint: str, source: str) -> list[dict[str, Any]]:
    """Return the premises objects of an answer in any of the shapes the API is known to give."""
    if isinstance(body, dict) and isinstance(body.get("Availability"), list):
        items = body["Availability"]
    elif isinstance(body, dict) and "UPRN" in body:
        items = [body]
    elif isinstance(body, list):
        items = body
    else:
        found = type(body).__name__ if not isinstance(body, dict) else f"keys {sorted(body)[:8]}"
        raise IngestError(
            f"{source}: the {endpoint} answer has a shape this version does not know ({found}); "
            "expected an object with 'Availability' (a list of premises), one premises object "
            "with 'UPRN', or a list of premises objects. Ofcom may have changed its API: see "
            "ingest/sources/ofcom_api.py."
        )
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise IngestError(
                f"{source}: premises {number} of the {endpoint} answer is a JSON "
                f"{type(item).__name__}; expected an object with 'UPRN' and the "
                f"{endpoint} fields."
            )
    return items


def minimised(body: Any, endpoint: str, *, source: str) -> Any:
    """Return the answer without the address of any premises, in the shape it came in.

    Parameters
    ----------
    body : object
        Decoded JSON answer of one postcode.
    endpoint : {"mobile", "broadband"}
    source : str
        Where it came from, for errors.

    Returns
    -------
    object
        A copy with :data:`ADDRESS_FIELDS` removed from every premises.

    Examples
    --------
    >>> minimised({"PostCode": "M11AA", "Availability": [{"UPRN": 1,
    ...     "AddressShortDescription": "1 High St"}]}, "mobile", source="x")
    {'PostCode': 'M11AA', 'Availability': [{'UPRN': 1}]}
    """
    items = [
        {k: v for k, v in item.items() if k not in ADDRESS_FIELDS}
        for item in _premises_list(body, endpoint, source)
    ]
    if isinstance(body, dict) and "Availability" in body:
        return {**body, "Availability": items}
    return items[0] if isinstance(body, dict) else items


def db_name(body: Any) -> str | None:
    """Return the database build the answer names (``DBName``), or None when it names none."""
    return str(body["DBName"]) if isinstance(body, dict) and body.get("DBName") else None


def _check_value(value: Any, endpoint: str, where: str, name: str) -> None:
    """One rating (whole number 0-4) or speed (>= 0, or -1 for none), else an error."""
    if endpoint == "mobile":
        ok = isinstance(value, int) and not isinstance(value, bool) and value in MOBILE_RATINGS
        expected = "a whole number rating 0 to 4"
    else:
        ok = (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and (value >= 0 or value == -1)
        )
        expected = "a speed in Mbit/s, 0 or more, or -1 for none predicted"
    if not ok:
        raise IngestError(f"{where}: field {name!r} is {value!r}; expected {expected}.")


def _well_formed(table: pd.DataFrame, endpoint: str) -> bool:
    """Whether every premises has a valid UPRN and every field in range (vectorised)."""
    if table.empty:
        return True
    uprn = table["UPRN"]
    if uprn.dtype.kind != "i" or not uprn.between(1, _MAX_UPRN).all():
        return False
    values = table.drop(columns="UPRN")
    kinds = {dtype.kind for dtype in values.dtypes}
    if endpoint == "mobile":
        return kinds <= {"i"} and bool(values.isin(list(MOBILE_RATINGS)).all().all())
    if not kinds <= {"i", "f"}:
        return False
    numbers = values.to_numpy(np.float64)
    return bool((np.isfinite(numbers) & ((numbers >= 0) | (numbers == -1))).all())


def _raise_first_fault(
    items: list[dict[str, Any]], endpoint: str, source: str, postcode: str
) -> None:
    """Find the first bad premises of an answer and raise an error naming it and its field."""
    fields = _FIELDS[endpoint]
    for row, item in enumerate(items):
        uprn = item.get("UPRN")
        where = f"{source}: premises {row + 1} (UPRN {uprn!r}) of postcode {postcode}"
        if isinstance(uprn, bool) or not isinstance(uprn, int) or not 0 < uprn <= _MAX_UPRN:
            raise IngestError(
                f"{where}: field 'UPRN' is {uprn!r}; expected a whole number of 1 to 12 digits."
            )
        missing = [name for name in fields if name not in item]
        if missing:
            raise IngestError(
                f"{where}: the {endpoint} answer has no field {missing[0]!r} ({len(missing)} "
                f"of its {len(fields)} fields missing); expected every field of "
                "ingest.sources.ofcom_api."
                + ("MOBILE_FIELDS" if endpoint == "mobile" else "BROADBAND_FIELDS")
            )
        for name in fields:
            _check_value(item[name], endpoint, where, name)
    uprns = pd.Index([item["UPRN"] for item in items])
    if uprns.has_duplicates:
        raise IngestError(
            f"{source}: UPRN {int(uprns[uprns.duplicated()][0])} is listed twice in the "
            f"{endpoint} answer of postcode {postcode}; each premises must be listed once or "
            "it would be counted twice."
        )
    if not _well_formed(pd.DataFrame.from_records(items, columns=["UPRN", *fields]), endpoint):
        raise IngestError(
            f"{source}: the {endpoint} answer of postcode {postcode} mixes types within a "
            "field; expected whole number ratings or numeric speeds throughout."
        )


def read_answer(body: Any, endpoint: str, *, postcode: str, source: str) -> pd.DataFrame:
    """Read one postcode's answer into one row per premises, with no address.

    Parameters
    ----------
    body : object
        Decoded JSON answer (any of the shapes in the module notes).
    endpoint : {"mobile", "broadband"}
    postcode : str
        The postcode asked, as the API wants it (``"M154AB"``).
    source : str
        Where the answer came from (a URL or a cache file), named in errors.

    Returns
    -------
    pandas.DataFrame
        ``postcode`` (as asked), ``uprn`` (int64) and the columns of :data:`MOBILE_FIELDS`
        (int8 ratings) or :data:`BROADBAND_FIELDS` (float64 Mbit/s, -1 = none predicted).

    Raises
    ------
    IngestError
        An unknown shape, a premises without a field, a UPRN that is not a whole number of up
        to 12 digits or listed twice, a rating or speed out of range: the message names the
        source, the premises and the field.

    Examples
    --------
    >>> answer = {"PostCode": "M11AA", "Availability": [
    ...     {"UPRN": 100020416746, "MaxPredictedDown": 80, "MaxPredictedUp": 20,
    ...      **{f: -1 for f in BROADBAND_FIELDS if not f.startswith("MaxPredicted")}}]}
    >>> read_answer(answer, "broadband", postcode="M11AA", source="x")[["uprn", "max_down_mbit"]]
               uprn  max_down_mbit
    0  100020416746           80.0
    """
    if endpoint not in _FIELDS:
        raise ValueError(f"endpoint must be one of {sorted(_FIELDS)}; found {endpoint!r}")
    return read_answers([(postcode, body, source)], endpoint)


def read_answers(answers: Sequence[tuple[str, Any, str]], endpoint: str) -> pd.DataFrame:
    """Read many answers of one endpoint at once, as :func:`read_answer` reads one.

    Parameters
    ----------
    answers : sequence of (postcode, body, source)
        Each answer with the postcode asked and where it came from.
    endpoint : {"mobile", "broadband"}

    Returns
    -------
    pandas.DataFrame
        As :func:`read_answer`, the answers' premises one after another.
    """
    if endpoint not in _FIELDS:
        raise ValueError(f"endpoint must be one of {sorted(_FIELDS)}; found {endpoint!r}")
    fields = _FIELDS[endpoint]
    lists = [
        (postcode, _premises_list(body, endpoint, source)) for postcode, body, source in answers
    ]
    items = [item for _, premises in lists for item in premises]
    table = pd.DataFrame.from_records(items, columns=["UPRN", *fields], nrows=len(items))
    postcodes = np.repeat([postcode for postcode, _ in lists], [len(p) for _, p in lists])
    table.insert(0, "postcode", postcodes.astype(object) if len(postcodes) else [])
    repeated = table.duplicated(["postcode", "UPRN"])
    if not _well_formed(table.drop(columns="postcode"), endpoint) or repeated.any():
        for postcode, body, source in answers:
            premises = _premises_list(body, endpoint, source)
            _raise_first_fault(premises, endpoint, source, postcode)
    frame = table[list(fields)].set_axis(list(fields.values()), axis=1)
    frame = frame.astype(np.int8 if endpoint == "mobile" else np.float64)
    frame.insert(0, "uprn", table["UPRN"].to_numpy(np.int64))
    frame.insert(0, "postcode", table["postcode"].astype(str))
    return frame.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# The cache
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedAnswer:
    """One postcode's answer as the cache holds it.

    Attributes
    ----------
    postcode : str
        As the API wants it (``"M154AB"``).
    endpoint : {"mobile", "broadband"}
    fetched_at : datetime
        When Ofcom answered (UTC).
    status : {"found", "not found", "failed"}
    body : object
        The answer without addresses (None unless found).
    db_name : str or None
        Ofcom's database build (``DBName``), when the answer names it.
    reason : str or None
        Why the call failed, for ``"failed"``.
    """

    postcode: str
    endpoint: str
    fetched_at: dt.datetime
    status: str
    body: Any = None
    db_name: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Permission:
    """Ofcom's permission for a bulk fetch, as recorded with a place's cache.

    Attributes
    ----------
    reference : str
        Ofcom's reference (a letter, an e-mail, a case number).
    recorded_at : str
        When it was recorded (ISO 8601, UTC).
    retention_days : int or None
        How long the permission lets the answers be kept; None: the terms' 30 days.
    synthetic : bool
        The demo's synthetic cache: not Ofcom's information, so no permission or expiry applies.
    """

    reference: str
    recorded_at: str
    retention_days: int | None = None
    synthetic: bool = False


_PERMISSION_FILE = "permission.json"


def place_cache(la_code: str, root: Path | None = None) -> Path:
    """Folder of one place's bulk fetch: ``<cache>/ofcom_api/<la_code>``."""
    return (root if root is not None else settings.cache_dir() / "ofcom_api") / la_code


def live_cache(root: Path | None = None) -> Path:
    """Folder of the app's live lookups: ``<cache>/ofcom_api/live``."""
    return (root if root is not None else settings.cache_dir() / "ofcom_api") / "live"


def record_permission(
    folder: Path,
    reference: str,
    *,
    retention_days: int | None = None,
    synthetic: bool = False,
    recorded_at: dt.datetime | None = None,
) -> Permission:
    """Record Ofcom's permission reference with a place's cache (``permission.json``).

    Raises
    ------
    IngestError
        An empty reference (with :data:`PERMISSION_NEEDED`), or a retention under 1 day.
    """
    reference = reference.strip()
    if not reference:
        raise IngestError(f"ofcom-api: no permission reference. {PERMISSION_NEEDED}")
    if retention_days is not None and retention_days < 1:
        raise IngestError(f"ofcom-api: --retention-days must be 1 or more; found {retention_days}.")
    permission = Permission(
        reference,
        (recorded_at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        retention_days,
        synthetic,
    )
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomic(folder / _PERMISSION_FILE, json.dumps(permission.__dict__, indent=1).encode())
    return permission


def read_permission(folder: Path) -> Permission | None:
    """Return the permission recorded with a place's cache, or None when there is none."""
    path = folder / _PERMISSION_FILE
    if not path.is_file():
        return None
    try:
        return Permission(**json.loads(path.read_text("utf-8")))
    except (ValueError, TypeError) as exc:
        raise IngestError(f"{path}: not a permission record this version reads ({exc}).") from exc


def cache_days(permission: Permission | None) -> int:
    """Days an answer may be cached: 30, the permission's period, or less if the user says so.

    Raises
    ------
    IngestError
        ``DIM_OFCOM_API_CACHE_DAYS`` is not a whole number of days, or asks for longer than
        the terms or the recorded permission allow.
    """
    allowed = (
        permission.retention_days if permission and permission.retention_days else MAX_CACHE_DAYS
    )
    text = os.environ.get(CACHE_DAYS_VARIABLE, "").strip()
    if not text:
        return allowed
    try:
        days = int(text)
    except ValueError:
        raise IngestError(
            f"{CACHE_DAYS_VARIABLE}={text!r}: expected a whole number of days."
        ) from None
    if not 1 <= days <= allowed:
        raise IngestError(
            f"{CACHE_DAYS_VARIABLE}={days}: answers may be cached 1 to {allowed} days "
            + (
                "(the recorded permission's period)."
                if allowed != MAX_CACHE_DAYS
                else "(Ofcom's terms, clause 4.3.6: no longer than one month); a longer period "
                "needs Ofcom's permission, recorded with --retention-days."
            )
        )
    return days


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a file whole or not at all (a crash or Ctrl-C leaves no half-written answer)."""
    part = path.with_name(path.name + ".part")
    part.write_bytes(data)
    os.replace(part, path)


@dataclass
class AnswerCache:
    """Answers of one folder (a place's bulk fetch, or the live lookups), expiring.

    Parameters
    ----------
    folder : Path
        ``<folder>/<endpoint>/<POSTCODE>.json.gz``, one gzip-compressed JSON file each.
    max_age_days : int
        Answers fetched longer ago are deleted when met and never returned.
    now : callable, optional
        The current time (UTC); for tests.
    expires : bool, default True
        False for the demo's synthetic cache only.
    """

    folder: Path
    max_age_days: int
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    expires: bool = True

    def path(self, endpoint: str, postcode: str) -> Path:
        """File of one answer."""
        return self.folder / endpoint / f"{postcode}.json.gz"

    def _expired(self, fetched_at: dt.datetime) -> bool:
        return self.expires and self.now() - fetched_at > dt.timedelta(days=self.max_age_days)

    def get(self, endpoint: str, postcode: str) -> CachedAnswer | None:
        """Return the cached answer, or None when absent or expired (an expired one is deleted)."""
        path = self.path(endpoint, postcode)
        if not path.is_file():
            return None
        return self._load(path)

    def _load(self, path: Path) -> CachedAnswer | None:
        try:
            record = json.loads(gzip.decompress(path.read_bytes()))
            answer = CachedAnswer(
                record["postcode"],
                record["endpoint"],
                dt.datetime.fromisoformat(record["fetched_at"]),
                record["status"],
                record.get("body"),
                record.get("db_name"),
                record.get("reason"),
            )
        except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
            raise IngestError(
                f"{path}: not a cached Ofcom API answer this version reads ({exc}); delete the "
                "file and fetch again."
            ) from exc
        if self._expired(answer.fetched_at):
            path.unlink(missing_ok=True)
            return None
        return answer

    def put(self, answer: CachedAnswer) -> None:
        """Store one answer (the body must already be :func:`minimised`)."""
        path = self.path(answer.endpoint, answer.postcode)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {**answer.__dict__, "fetched_at": answer.fetched_at.isoformat(timespec="seconds")}
        _write_atomic(
            path, gzip.compress(json.dumps(record, separators=(",", ":")).encode(), mtime=0)
        )

    def answers(self, endpoint: str) -> Iterator[CachedAnswer]:
        """Every unexpired answer of one endpoint (expired ones are deleted on the way)."""
        for path in sorted((self.folder / endpoint).glob("*.json.gz")):
            answer = self._load(path)
            if answer is not None:
                yield answer

    def purge(self) -> int:
        """Delete every expired answer; return how many."""
        before = sum(1 for _ in self.folder.glob("*/*.json.gz"))
        for endpoint in ENDPOINTS:
            for _ in self.answers(endpoint):
                pass
        return before - sum(1 for _ in self.folder.glob("*/*.json.gz"))


def open_place_cache(folder: Path) -> tuple[AnswerCache, Permission | None]:
    """Open a place's cache with its expiry set from the recorded permission (or the terms)."""
    permission = read_permission(folder)
    synthetic = permission is not None and permission.synthetic
    return (
        AnswerCache(folder, cache_days(permission), expires=not synthetic),
        permission,
    )


# --------------------------------------------------------------------------------------------
# Fetching
# --------------------------------------------------------------------------------------------


@dataclass
class FetchReport:
    """What one run of :func:`fetch` did.

    Attributes
    ----------
    asked : int
        Postcode answers the run set out to get (those already cached are not counted).
    calls : int
        Requests made, retries included.
    found, not_found, failed : int
        Answers of this run by outcome.
    remaining : int
        Answers still to get when the run stopped (at ``max_calls``).
    seconds : float
        Time the run took.
    """

    asked: int = 0
    calls: int = 0
    found: int = 0
    not_found: int = 0
    failed: int = 0
    remaining: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


class _Pace:
    """Start calls at most ``rate`` a minute: each at least ``60 / rate`` s after the last."""

    def __init__(self, rate: float, clock: Callable[[], float], sleep: Callable[[float], object]):
        if not rate > 0:
            raise IngestError(f"ofcom-api: --rate must be above 0 calls a minute; found {rate}.")
        self.gap = 60.0 / rate
        self.clock, self.sleep = clock, sleep
        self.last: float | None = None

    def wait(self) -> None:
        if self.last is not None:
            delay = self.last + self.gap - self.clock()
            if delay > 0:
                self.sleep(delay)
        self.last = self.clock()


def _pending(
    cache: AnswerCache, postcodes: Sequence[str], endpoints: Sequence[str]
) -> list[tuple[str, str]]:
    """(endpoint, postcode) pairs with no settled answer (found or not found) in the cache."""
    todo = []
    for postcode in postcodes:
        for endpoint in endpoints:
            held = cache.get(endpoint, postcode)
            if held is None or held.status == FAILED:
                todo.append((endpoint, postcode))
    return todo


def fetch(
    postcodes: Sequence[str],
    cache: AnswerCache,
    *,
    endpoints: Sequence[str] = tuple(ENDPOINTS),
    key: str,
    base_url: str | None = None,
    rate: float = CALLS_PER_MINUTE,
    max_calls: int | None = None,
    session: requests.Session | None = None,
    console: Console | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] = time.sleep,
    retries: int | None = None,
    backoff: float | None = None,
) -> FetchReport:
    """Ask the API for every postcode not yet answered in the cache, within the rate limit.

    Each answer is written to the cache as soon as it arrives (addresses dropped), so a rerun
    after a crash or Ctrl-C never asks again for a postcode the cache holds. A 404 is cached
    as "not found" and not asked again; a failure after the retries of
    :func:`ingest._http.call_api` is cached as "failed" with its reason and asked again by the
    next run.

    Parameters
    ----------
    postcodes : sequence of str
        Postcodes as the API wants them (:func:`api_postcode`), in the order to ask.
    cache : AnswerCache
    endpoints : sequence of {"mobile", "broadband"}
    key : str
        Subscription key, sent in the :data:`KEY_HEADER` header only.
    base_url : str, optional
        Default :func:`api_url`.
    rate : float, default 100
        Calls a minute at most.
    max_calls : int, optional
        Stop before making more requests than this (the monthly quota is 50,000).
    session, console, clock, sleep, retries, backoff
        HTTP session, progress output, and for tests the clock and sleep.

    Returns
    -------
    FetchReport

    Raises
    ------
    IngestError
        The key is refused (HTTP 401 or 403): the run stops at once, saying how to get one.
    """
    base = (base_url or api_url()).rstrip("/")
    pace = _Pace(rate, clock, sleep)
    todo = _pending(cache, postcodes, endpoints)
    report = FetchReport(asked=len(todo))
    started = clock()
    http = session if session is not None else requests.Session()
    console = console or Console(stderr=True)
    progress = Progress(
        TextColumn("Ofcom API"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[per_minute]:.0f} calls/min"),
        TimeRemainingColumn(),
        console=console,
        disable=console.quiet,
    )
    try:
        with progress:
            task = progress.add_task("answers", total=len(todo), per_minute=0.0)
            for done, (endpoint, postcode) in enumerate(todo):
                if max_calls is not None and report.calls >= max_calls:
                    report.remaining = len(todo) - done
                    break
                pace.wait()
                url = base + ENDPOINTS[endpoint].format(postcode=postcode)
                attempts = retries if retries is not None else settings.HTTP_RETRIES
                if max_calls is not None:  # retries count: the cap is never passed
                    attempts = min(attempts, max_calls - report.calls)
                answer = _ask(url, endpoint, postcode, key, http, attempts, backoff, sleep, report)
                cache.put(answer)
                elapsed = clock() - started
                progress.update(
                    task, advance=1, per_minute=60 * report.calls / elapsed if elapsed > 0 else 0.0
                )
    finally:
        if session is None:
            http.close()
    report.seconds = clock() - started
    return report


def _ask(
    url: str,
    endpoint: str,
    postcode: str,
    key: str,
    http: requests.Session,
    retries: int | None,
    backoff: float | None,
    sleep: Callable[[float], object],
    report: FetchReport,
) -> CachedAnswer:
    """One postcode's answer, as it will be cached."""
    now = dt.datetime.now(dt.UTC)
    try:
        got = call_api(
            url, headers={KEY_HEADER: key}, session=http, retries=retries, backoff=backoff,
            sleep=sleep,
        )  # fmt: skip
    except ApiRefusedError as exc:
        report.calls += 1
        raise IngestError(
            f"ofcom-api: Ofcom refused the API key (HTTP {exc.status}) for {url}: it is wrong, "
            f"expired or not yet approved for this product. To get one, {HOW_TO_GET_A_KEY}."
        ) from None
    except DownloadError as exc:
        report.calls += exc.attempts
        report.failed += 1
        report.failures.append(f"{endpoint} {postcode}: {exc.last_failure}")
        return CachedAnswer(postcode, endpoint, now, FAILED, reason=exc.last_failure)
    report.calls += got.attempts
    if got.status == 404:
        report.not_found += 1
        return CachedAnswer(postcode, endpoint, now, NOT_FOUND)
    try:
        body = minimised(got.body, endpoint, source=url)
        read_answer(body, endpoint, postcode=postcode, source=url)
    except IngestError as exc:
        report.failed += 1
        report.failures.append(f"{endpoint} {postcode}: {exc}")
        return CachedAnswer(postcode, endpoint, now, FAILED, reason=str(exc))
    report.found += 1
    return CachedAnswer(postcode, endpoint, now, FOUND, body, db_name(got.body))


def sample_first(postcodes: pd.DataFrame, per_ward: int, *, seed: int = 0) -> tuple[list[str], int]:
    """Order a place's postcodes with a seeded random sample of each ward first.

    Parameters
    ----------
    postcodes : pandas.DataFrame
        ``postcode`` and ``ward_code`` (a postcode with no ward is its own group, "").
    per_ward : int
        Postcodes drawn in each ward (all of a smaller ward).
    seed : int
        Seed: the same seed draws the same sample, so later runs extend it.

    Returns
    -------
    list of str, int
        Every postcode (as the API wants it), the sample first; and the sample's size.

    Examples
    --------
    >>> pcs = pd.DataFrame({"postcode": ["A1 1AA", "A1 1AB", "A1 1AD"],
    ...                     "ward_code": ["w", "w", "v"]})
    >>> order, n = sample_first(pcs, 1, seed=1)
    >>> n, sorted(order)
    (2, ['A11AA', 'A11AB', 'A11AD'])
    """
    if per_ward < 1:
        raise IngestError(f"ofcom-api: --sample-per-ward must be 1 or more; found {per_ward}.")
    rng = np.random.default_rng(seed)
    codes = postcodes["postcode"].map(api_postcode).to_numpy()
    draw = rng.permutation(len(codes))
    groups = postcodes["ward_code"].fillna("").to_numpy()
    order = pd.DataFrame({"group": groups[draw], "code": codes[draw]})
    rank = order.groupby("group").cumcount().to_numpy()
    sampled = order[rank < per_ward]["code"].tolist()
    rest = order[rank >= per_ward]["code"].tolist()
    return sampled + rest, len(sampled)


def place_postcodes(directory: pd.DataFrame, la_code: str, source: str) -> pd.DataFrame:
    """Return the live postcodes of one authority in a postcode directory, checked.

    Raises
    ------
    IngestError
        The directory holds no postcode of ``la_code``, or a postcode of a shape no UK
        postcode has.
    """
    here = directory[directory["la_code"] == la_code]
    if here.empty:
        raise IngestError(f"ofcom-api: {source} has no live postcode of {la_code}.")
    bad = here[~here["postcode"].str.fullmatch(POSTCODE_PATTERN)]
    if not bad.empty:
        raise IngestError(
            f"{source}: column 'postcode' has {bad['postcode'].iloc[0]!r} (row "
            f"{bad.index[0] + 2}); expected a UK postcode such as 'M15 4AB'."
        )
    return here[["postcode", "ward_code"]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# A place's answers, for the build
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlaceAnswers:
    """What a place's cache holds for its postcodes, read for the build.

    Attributes
    ----------
    premises : pandas.DataFrame
        One row per premises (``postcode``, ``uprn``) of the found answers, mobile and
        broadband columns side by side (NaN where that endpoint has no answer for it). A UPRN
        listed under two postcodes is kept once, under the first in postcode order (counted
        in the summary's ``premises_in_two_postcodes``).
    status : pandas.DataFrame
        One row per asked (endpoint, postcode): ``endpoint``, ``postcode``, ``status``.
    summary : dict
        For the manifest: permission reference, ``DBName`` releases, fetch dates, counts by
        endpoint and outcome, and a SHA-256 of the answers read (which answers a build used).
    """

    premises: pd.DataFrame
    status: pd.DataFrame
    summary: dict[str, Any]


def read_place(folder: Path, postcodes: Sequence[str]) -> PlaceAnswers | None:
    """Read a place's cached answers for its postcodes; None without a permitted bulk fetch.

    Parameters
    ----------
    folder : Path
        The place's cache (:func:`place_cache`).
    postcodes : sequence of str
        The place's live postcodes, as the API wants them.

    Raises
    ------
    IngestError
        Answers are cached but no permission is recorded with them (ward figures need one),
        or a cached answer does not read.
    """
    if not folder.is_dir():
        return None
    cache, permission = open_place_cache(folder)
    if permission is None:
        raise IngestError(
            f"build: {folder} holds Ofcom API answers but no permission record. {PERMISSION_NEEDED}"
        )
    wanted = set(postcodes)
    found: dict[str, list[tuple[str, Any, str]]] = {e: [] for e in ENDPOINTS}
    digest = hashlib.sha256()
    rows, releases, dates = [], set(), []
    for endpoint in ENDPOINTS:
        for answer in cache.answers(endpoint):
            if answer.postcode not in wanted:
                continue
            rows.append((endpoint, answer.postcode, answer.status))
            digest.update(
                json.dumps([endpoint, answer.postcode, answer.status, answer.body]).encode()
            )
            dates.append(answer.fetched_at)
            if answer.status == FOUND:
                if answer.db_name:
                    releases.add(answer.db_name)
                source = str(cache.path(endpoint, answer.postcode))
                found[endpoint].append((answer.postcode, answer.body, source))
    if not rows:
        return None
    status = pd.DataFrame(rows, columns=["endpoint", "postcode", "status"])
    parts = {e: read_answers(bodies, e) for e, bodies in found.items()}
    premises = parts["mobile"].merge(parts["broadband"], on=["postcode", "uprn"], how="outer")
    # A premises listed under two postcodes would be counted twice: keep its first postcode.
    twice = premises.sort_values(["uprn", "postcode"]).duplicated("uprn")
    premises = premises[~twice.reindex(premises.index).to_numpy()].reset_index(drop=True)
    counts = status.groupby(["endpoint", "status"]).size()
    summary = {
        "attribution": ATTRIBUTION,
        "permission": permission.reference,
        "permission_recorded_at": permission.recorded_at,
        "retention_days": cache.max_age_days if cache.expires else None,
        "synthetic": permission.synthetic,
        "db_names": sorted(releases),
        "sha256": digest.hexdigest(),
        "premises_in_two_postcodes": int(twice.sum()),
        "fetched_from": min(dates).date().isoformat(),
        "fetched_to": max(dates).date().isoformat(),
        "postcodes_live": len(wanted),
        "by_endpoint": {
            e: {s: int(counts.get((e, s), 0)) for s in (FOUND, NOT_FOUND, FAILED)}
            for e in ENDPOINTS
        },
    }
    return PlaceAnswers(premises, status, summary)


def live_lookup(
    postcode: str,
    *,
    key: str,
    cache: AnswerCache | None = None,
    base_url: str | None = None,
    session: requests.Session | None = None,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Ask both endpoints about one postcode (the app's postcode search), cached 30 days at most.

    Parameters
    ----------
    postcode : str
        Any spacing or letter case.
    key : str
        Subscription key (header only).
    cache : AnswerCache, optional
        Default: :func:`live_cache`, expiring after :func:`cache_days` (30 at most: a live
        lookup is never under a bulk permission).
    base_url, session
        As for :func:`fetch`.

    Returns
    -------
    pandas.DataFrame, dict
        The postcode's premises (mobile and broadband columns, no address), and each
        endpoint's status (``"found"``, ``"not found"`` or ``"failed: <reason>"``).

    Raises
    ------
    IngestError
        The key is refused.
    """
    code = api_postcode(postcode)
    cache = cache or AnswerCache(live_cache(), min(cache_days(None), MAX_CACHE_DAYS))
    base = (base_url or api_url()).rstrip("/")
    http = session if session is not None else requests.Session()
    found, status = [], {}
    try:
        for endpoint in ENDPOINTS:
            answer = cache.get(endpoint, code)
            if answer is None or answer.status == FAILED:
                url = base + ENDPOINTS[endpoint].format(postcode=code)
                answer = _ask(url, endpoint, code, key, http, None, None, time.sleep, FetchReport())
                cache.put(answer)
            status[endpoint] = answer.status + (f": {answer.reason}" if answer.reason else "")
            if answer.status == FOUND:
                source = str(cache.path(endpoint, code))
                found.append(read_answers([(code, answer.body, source)], endpoint))
    finally:
        if session is None:
            http.close()
    premises = pd.DataFrame(columns=["postcode", "uprn"])
    for part in found:
        premises = premises.merge(part, on=["postcode", "uprn"], how="outer")
    columns = ["postcode", "uprn", *MOBILE_FIELDS.values(), *BROADBAND_FIELDS.values()]
    return premises.reindex(columns=columns), status
