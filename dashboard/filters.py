"""The one filter model behind every view, every URL and every export.

``Filters`` is a frozen dataclass whose fields *are* the declarative table (after Datasette's
``filters.py``): each field's metadata holds a *kind* that knows how to parse a raw string
(from a URL or a CLI flag), print it back, turn it into a Polars expression and say in plain
English what it keeps. The URL query string, the dashboard controls and ``claimboard export``
flags are all read through the same ``Filters.from_params``, so the same filter gives the
same rows everywhere.

List columns: a claim's setting is lists (``model_sizes``, ``gpu_counts``, ``hardware``, and its
canonical ``baselines``). A value filter matches a claim when any of its values is chosen (a vLLM
filter finds a claim against "PEFT and vLLM"); a range filter when any of its values is in range
(a claim measured at 7B and 70B is in ``size=..13``). A claim with no value (an empty list) fails
a range on that axis unless ``unknown=keep``.

Scopes: "rows" fields filter every view; "selection" (the compared papers) only narrows the
side-by-side view; "view" fields (tab, axes) choose how rows are drawn and filter nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode, urlsplit

import polars as pl

from etl.schemas import GPU_COUNT_RANGE, METRICS

TABS = ("landscape", "side", "baselines", "table")
TAB_LABELS = {"landscape": "Landscape", "side": "Side by side", "baselines": "Baselines", "table": "Claims"}
#: x-axis choice -> (claims column, axis title); model size and GPU count are list columns (a
#: claim measured at several sizes has one point per size)
X_AXES = {
    "model_size": ("model_sizes", "Model size (parameters)"),
    "gpus": ("gpu_counts", "GPU count"),
    "published": ("published", "Published"),
}
#: colour-by choice -> claims column ("hardware" is the claim's own list of devices: coloured by the first)
COLOR_BY = {"metric": "metric", "hardware": "hardware", "baseline": "baseline"}
KEEP = "keep"  # unknown=keep: a range filter keeps claims with no value on its axis
MAX_PAPERS = 8
MAX_ITEMS = 50
MAX_TEXT = 200
MAX_COMPLAINTS = 20  # "not understood" messages listed for one link
MAX_QUERY = 250_000  # characters of a URL query string read at all (the request body limit is 1 MB)
MAX_SORT = 3  # sort keys of the claims table (a client cannot ask for thousands)
#: claims-table columns that sort (URL ``sort=multiplier:desc``)
SORTABLE = ("title", "metric", "multiplier", "baseline", "hardware", "model_size", "gpu_count", "sentence", "warning")
PREVIOUS = "previous"


# ---------------------------------------------------------------- value types and helpers


@dataclass(frozen=True)
class Span:
    """A closed range; either end may be open (None)."""

    lo: Any = None
    hi: Any = None

    def __bool__(self) -> bool:
        return self.lo is not None or self.hi is not None


@dataclass(frozen=True)
class Context:
    """What a filter may need beyond the frame: paper ids an earlier snapshot already had, and the
    rows a kind keeps when its frame's owner computed them (``precomputed(kind, value)``: a Boolean
    mask over the frame the expression filters, or None for the kind's own expression; a Board
    matches the search text it does not keep mapped, and "new since", itself)."""

    known_paper_ids: Callable[[str | dt.date], Collection[str]] = lambda since: ()
    keep_unknown: bool = False  # a range over a list column keeps claims with no value (unknown=keep)
    precomputed: Callable[[Any, Any], pl.Series | None] = lambda kind, value: None


def join_words(items: Iterable[str], conjunction: str) -> str:
    """["a", "b", "c"] -> "a, b and c"."""
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def clip(raw: str, limit: int = 60) -> str:
    """A raw value short enough to quote back in a message."""
    return raw if len(raw) <= limit else raw[:limit] + f"… ({len(raw):,} characters)"


def parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected 1 or 0")


def parse_positive(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise ValueError("expected a positive number")
    return value


SIZE_SUFFIXES = {"": 1.0, "b": 1.0, "m": 1e-3, "t": 1e3}  # model sizes are in billions: "7", "7B", "70b", "350M", "1T"


def parse_size(raw: str) -> float:
    """A model size in billions of parameters, with an optional B/M/T suffix (any case)."""
    text = raw.strip().lower()
    suffix = text[-1:] if text[-1:] in ("b", "m", "t") else ""
    try:
        value = float(text[: len(text) - len(suffix)]) * SIZE_SUFFIXES[suffix]
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise ValueError("expected a positive size like 7, 7B, 350M or 1T")
    return value


def parse_count(raw: str) -> int:
    digits = raw.strip()
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 9 and 1 <= int(digits) <= GPU_COUNT_RANGE[1]):
        raise ValueError(f"expected a whole number from 1 to {GPU_COUNT_RANGE[1]}")
    return int(digits)


def parse_date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError("expected a date like 2024-06-30") from None


def format_number(value: float) -> str:
    """Shortest text that parses back to the same float: 7.0 -> "7", 0.35 -> "0.35"."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def format_params(billions: float) -> str:
    """7 -> "7B", 0.125 -> "125M", 1000 -> "1T"."""
    if billions >= 1000:
        return f"{billions / 1000:g}T"
    if billions < 1:
        return f"{billions * 1000:g}M"
    return f"{billions:g}B"


# ---------------------------------------------------------------- filter kinds


@dataclass(frozen=True)
class AnyOf:
    """Several values of one column (repeated URL key); a row matches any of them."""

    column: str
    phrase: str  # "{}" is replaced by the values joined with `conjunction`
    conjunction: str = "or"
    choices: tuple[str, ...] | None = None
    max_items: int = MAX_ITEMS
    default: tuple = ()
    multiple = True

    def parse_one(self, raw: str) -> str:
        value = raw.strip()
        if not value or len(value) > MAX_TEXT:
            raise ValueError("empty or too long")
        if self.choices is None:
            return value
        for choice in self.choices:
            if choice.lower() == value.lower():
                return choice
        raise ValueError(f"not one of {', '.join(self.choices)}")

    def format_one(self, value: str) -> str:
        return value

    def expr(self, value: tuple, context: Context) -> pl.Expr:
        return pl.col(self.column).is_in(list(value))

    def describe(self, value: tuple) -> str:
        return self.phrase.format(join_words(value, self.conjunction))


@dataclass(frozen=True)
class Between:
    """A range over one column, written ``lo..hi`` (either side may be empty, ``8`` is ``8..8``)."""

    column: str
    parse_end: Callable[[str], Any]
    format_end: Callable[[Any], str]
    phrase: str  # "{}" is replaced by "7B–70B", "at least 7B", "at most 70B" or "7B"
    words: Callable[[Any], str] = str  # an end as shown in a sentence
    lower: str = "at least"
    upper: str = "at most"
    scale: float | None = None  # column value = written value * scale
    default: Span = Span()
    multiple = False

    def parse_one(self, raw: str) -> Span:
        lo_raw, sep, hi_raw = raw.strip().partition("..")
        if not sep:
            hi_raw = lo_raw
        lo = self.parse_end(lo_raw) if lo_raw.strip() else None
        hi = self.parse_end(hi_raw) if hi_raw.strip() else None
        if lo is not None and hi is not None and lo > hi:
            raise ValueError("lower end above upper end")
        return Span(lo, hi)

    def format_one(self, value: Span) -> str:
        if value.lo == value.hi:
            return self.format_end(value.lo)
        return "..".join("" if end is None else self.format_end(end) for end in (value.lo, value.hi))

    def expr(self, value: Span, context: Context) -> pl.Expr:
        column = pl.col(self.column)
        conditions = []
        if value.lo is not None:
            conditions.append(column >= self.in_column_units(value.lo))
        if value.hi is not None:
            conditions.append(column <= self.in_column_units(value.hi))
        return pl.all_horizontal(conditions)

    def in_column_units(self, end: Any) -> Any:
        return end * self.scale if self.scale is not None else end

    def describe(self, value: Span) -> str:
        if value.lo is not None and value.hi is not None:
            span = self.words(value.lo) if value.lo == value.hi else f"{self.words(value.lo)}–{self.words(value.hi)}"
        elif value.lo is not None:
            span = f"{self.lower} {self.words(value.lo)}"
        else:
            span = f"{self.upper} {self.words(value.hi)}"
        return self.phrase.format(span)


@dataclass(frozen=True)
class AnyOfList(AnyOf):
    """Several values matched against a list column: a row matches when any of its values is one of them."""

    def expr(self, value: tuple, context: Context) -> pl.Expr:
        return pl.col(self.column).list.eval(pl.element().is_in(list(value))).list.any().fill_null(False)


@dataclass(frozen=True)
class ListBetween(Between):
    """A range over a list column: a row matches when any of its values is in range; a row with
    no value (empty list) matches only when the context keeps unknowns (``unknown=keep``)."""

    def expr(self, value: Span, context: Context) -> pl.Expr:
        element = pl.element()
        conditions = []
        if value.lo is not None:
            conditions.append(element >= self.in_column_units(value.lo))
        if value.hi is not None:
            conditions.append(element <= self.in_column_units(value.hi))
        column = pl.col(self.column)
        inside = column.list.eval(pl.all_horizontal(conditions)).list.any().fill_null(False)
        return inside | (column.list.len().fill_null(0) == 0) if context.keep_unknown else inside


@dataclass(frozen=True)
class KeepUnknown:
    """``unknown=keep``: range filters on model size and GPU count keep the claims that state no
    value there instead of dropping them. Filters nothing by itself (``Filters.expression``
    hands it to the ranges through the context)."""

    choices: tuple[str, ...] = (KEEP,)
    default: str = ""
    multiple = False

    def parse_one(self, raw: str) -> str:
        value = raw.strip().lower()
        if value in ("", "drop", "0", "no"):
            return ""
        if value in ("keep", "1", "yes"):
            return KEEP
        raise ValueError("expected keep (or drop)")

    def format_one(self, value: str) -> str:
        return value

    def expr(self, value: str, context: Context) -> pl.Expr:
        return pl.lit(True)

    def describe(self, value: str) -> str:
        return "keeping claims with an unknown model size or GPU count"


@dataclass(frozen=True)
class Selection(AnyOf):
    """Chosen rows by id: described by how many, since ids mean nothing to a reader."""

    def describe(self, value: tuple) -> str:
        return f"from {len(value)} selected paper{'s' if len(value) > 1 else ''}"


@dataclass(frozen=True)
class Flag:
    """An on/off switch; on keeps rows where a boolean column is true."""

    column: str
    phrase: str
    default: bool = False
    multiple = False

    def parse_one(self, raw: str) -> bool:
        return parse_bool(raw)

    def format_one(self, value: bool) -> str:
        return "1"

    def expr(self, value: bool, context: Context) -> pl.Expr:
        return pl.col(self.column)

    def describe(self, value: bool) -> str:
        return self.phrase


@dataclass(frozen=True)
class Contains:
    """Case-insensitive substring search over a prepared lower-case text column."""

    column: str
    default: str = ""
    multiple = False

    def parse_one(self, raw: str) -> str:
        value = " ".join(raw.split())
        if len(value) > MAX_TEXT:
            raise ValueError(f"longer than {MAX_TEXT} characters")
        return value

    def format_one(self, value: str) -> str:
        return value

    def expr(self, value: str, context: Context) -> pl.Expr:
        mask = context.precomputed(self, value)
        return pl.lit(mask) if mask is not None else pl.col(self.column).str.contains(value.lower(), literal=True)

    def describe(self, value: str) -> str:
        return f"matching “{value}”"


@dataclass(frozen=True)
class NewSince:
    """Papers whose id an earlier snapshot did not have: the previous one, or the last before a date."""

    column: str = "paper_id"
    default: Any = None
    multiple = False

    def parse_one(self, raw: str) -> str | dt.date:
        value = raw.strip().lower()
        return PREVIOUS if value in (PREVIOUS, "prev") else parse_date(value)

    def format_one(self, value: str | dt.date) -> str:
        return str(value)

    def expr(self, value: str | dt.date, context: Context) -> pl.Expr:
        mask = context.precomputed(self, value)
        if mask is not None:
            return pl.lit(mask)
        known = context.known_paper_ids(value)
        known = known if isinstance(known, pl.Series) else pl.Series(list(known), dtype=pl.String)
        return ~pl.col(self.column).is_in(known.implode())

    def describe(self, value: str | dt.date) -> str:
        return "from papers new since " + ("the previous snapshot" if value == PREVIOUS else str(value))


@dataclass(frozen=True)
class ViewOption:
    """How rows are shown (tab, axes, focus): part of the URL, never a row filter."""

    choices: tuple[str, ...] | None  # None: free text
    default: str
    multiple = False

    def parse_one(self, raw: str) -> str:
        value = raw.strip()
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"not one of {', '.join(self.choices)}")
        if len(value) > MAX_TEXT:
            raise ValueError("too long")
        return value

    def format_one(self, value: str) -> str:
        return value


@dataclass(frozen=True)
class SortKeys:
    """The claims table's sort: ``sort=multiplier:desc&sort=title`` (at most ``MAX_SORT`` keys)."""

    choices: tuple[str, ...] = SORTABLE
    max_items: int = MAX_SORT
    default: tuple = ()
    multiple = True

    def parse_one(self, raw: str) -> str:
        column, _, direction = raw.strip().partition(":")
        direction = direction or "asc"
        if column not in self.choices:
            raise ValueError(f"not a sortable column ({', '.join(self.choices)})")
        if direction not in ("asc", "desc"):
            raise ValueError("direction is asc or desc")
        return f"{column}:{direction}"

    def format_one(self, value: str) -> str:
        return value.removesuffix(":asc")


def sort_specs(keys: Iterable[str]) -> list[dict]:
    """``("multiplier:desc",)`` -> ``[{"column_id": "multiplier", "direction": "desc"}]``."""
    return [dict(zip(("column_id", "direction"), key.split(":", 1), strict=True)) for key in keys]


def param(kind: Any, help: str, scope: str = "rows", metavar: str | None = None) -> Any:
    """A Filters field: its kind, CLI help and scope live in the field metadata."""
    return field(default=kind.default, metadata={"kind": kind, "help": help, "scope": scope, "metavar": metavar})


# ---------------------------------------------------------------- the model


class Parsed(NamedTuple):
    filters: Filters
    ignored: list[str]  # one plain-English line per value that was dropped


@dataclass(frozen=True)
class Filters:
    """Everything that defines a view. Field order is URL order and sentence order."""

    metric: tuple[str, ...] = param(
        AnyOf("metric", "{} claims", "and", choices=tuple(METRICS)), "claims of this metric (repeatable)", metavar="METRIC"
    )
    baseline: tuple[str, ...] = param(
        AnyOfList("baselines", "against {}"),
        "canonical baseline, e.g. vLLM (repeatable); a claim against several matches any of them", metavar="NAME"
    )
    hardware: tuple[str, ...] = param(AnyOfList("hardware", "measured on {}"), "hardware, e.g. A100 (repeatable)", metavar="NAME")
    size: Span = param(
        ListBetween("model_sizes", parse_size, format_number, "on {} models", words=format_params, scale=1e9),
        "model size range in billions of parameters: 7..70, 7B..70B, ..13, 70..",
        metavar="LO..HI",
    )
    gpus: Span = param(
        ListBetween("gpu_counts", parse_count, str, "with {} GPUs"),
        "GPU count range: 1..8, ..8, 64..",
        metavar="LO..HI",
    )
    unknown: str = param(
        KeepUnknown(),
        "keep: the size and GPU ranges keep claims that state no model size / GPU count (default: they are left out)",
        metavar="keep",
    )
    published: Span = param(
        Between("published", parse_date, dt.date.isoformat, "published {}", lower="since", upper="until"),
        "publication date range: 2024-01-01..2024-06-30",
        metavar="FROM..TO",
    )
    systems: bool = param(Flag("is_systems", "from systems papers"), "only papers whose contribution is efficiency")
    better: bool = param(Flag("better", "claiming an improvement"), "only claims of an improvement (no regressions)")
    new: Any = param(NewSince(), "only papers new since the previous snapshot or a date", metavar="previous|DATE")
    q: str = param(Contains("haystack"), "free text in title, system or claim sentence", metavar="TEXT")
    papers: tuple[str, ...] = param(
        Selection("paper_id", "", max_items=MAX_PAPERS),
        f"papers to compare side by side (repeatable, at most {MAX_PAPERS})",
        scope="selection",
        metavar="PAPER_ID",
    )
    tab: str = param(ViewOption(TABS, "landscape"), "view", scope="view")
    x: str = param(ViewOption(tuple(X_AXES), "model_size"), "landscape x axis", scope="view")
    color: str = param(ViewOption(tuple(COLOR_BY), "metric"), "landscape colour", scope="view")
    focus: str = param(ViewOption(None, ""), "baseline whose claims the Baselines view lists", scope="view", metavar="NAME")
    sort: tuple[str, ...] = param(SortKeys(), "claims-table sort, e.g. multiplier:desc (repeatable, at most 3)",
                                  scope="view", metavar="COLUMN[:desc]")

    # ------------------------------------------------------------ parsing and printing

    @classmethod
    def from_params(cls, params: Iterable[tuple[str, str]]) -> Parsed:
        """Parse (key, raw value) pairs; a bad or unknown value is dropped and reported."""
        raws: dict[str, list[str]] = {}
        ignored = []
        known = {f.name: f for f in dataclasses.fields(cls)}
        for key, raw in params:
            if key in known:
                raws.setdefault(key, []).append(raw)
            else:
                ignored.append(f"unknown parameter “{clip(key)}”")
        values = {}
        for name, items in raws.items():
            kind = known[name].metadata["kind"]
            parsed = []
            for raw in items if kind.multiple else items[-1:]:
                try:
                    value = kind.parse_one(raw)
                except (ValueError, TypeError, OverflowError) as err:
                    ignored.append(f"{name}={clip(raw)!r}: {err}")
                    continue
                if value not in parsed:
                    parsed.append(value)
            if kind.multiple:
                if len(parsed) > kind.max_items:
                    ignored.append(f"{name}: only the first {kind.max_items} values are used")
                values[name] = tuple(parsed[: kind.max_items])
            elif parsed:
                values[name] = parsed[0]
        if len(ignored) > MAX_COMPLAINTS:  # a hostile link is not echoed back at length
            ignored[MAX_COMPLAINTS:] = [f"and {len(ignored) - MAX_COMPLAINTS:,} more"]
        return Parsed(cls(**values), ignored)

    @classmethod
    def from_query(cls, query: str | None) -> Parsed:
        """From ``?a=1&b=2``, ``a=1&b=2`` or a whole URL; never raises on bad input."""
        if query is not None and not isinstance(query, str):  # url.search comes from the client
            return Parsed(cls(), [f"the link's query is not text ({type(query).__name__}) and is ignored"])
        query = query or ""
        if len(query) > MAX_QUERY:
            return Parsed(cls(), [f"the link's query is {len(query):,} characters long (at most {MAX_QUERY:,}) and is ignored"])
        if "://" in query:
            query = urlsplit(query).query
        return cls.from_params(parse_qsl(query.lstrip("?"), keep_blank_values=False))

    def to_params(self) -> list[tuple[str, str]]:
        """(key, value) pairs of every field that differs from its default, in field order."""
        pairs = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value == f.default:
                continue
            kind = f.metadata["kind"]
            pairs += [(f.name, kind.format_one(v)) for v in (value if kind.multiple else [value])]
        return pairs

    def to_query(self) -> str:
        """``?metric=throughput&gpus=..8`` (empty string for the default view)."""
        pairs = self.to_params()
        return "?" + urlencode(pairs, safe=".,:") if pairs else ""

    def replace(self, **changes: Any) -> Filters:
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------ rows and words

    def active(self, scopes: Collection[str]) -> list[tuple[dataclasses.Field, Any]]:
        """(field, value) of the set fields in the given scopes."""
        return [
            (f, getattr(self, f.name))
            for f in dataclasses.fields(self)
            if f.metadata["scope"] in scopes and getattr(self, f.name) != f.default
        ]

    def scopes(self) -> tuple[str, ...]:
        """The compared papers narrow the rows only in the side-by-side view."""
        return ("rows", "selection") if self.tab == "side" else ("rows",)

    def expression(self, context: Context = Context()) -> pl.Expr:
        context = dataclasses.replace(context, keep_unknown=self.unknown == KEEP)
        conditions = [f.metadata["kind"].expr(value, context) for f, value in self.active(self.scopes())]
        return pl.all_horizontal(conditions) if conditions else pl.lit(True)

    def apply(self, frame: pl.DataFrame, context: Context = Context()) -> pl.DataFrame:
        """The rows of ``frame`` this view shows (a row with an unknown value fails a range on it,
        unless ``unknown=keep``)."""
        return frame.filter(self.expression(context))

    def describe(self) -> str:
        """One sentence saying which claims are shown, e.g. for a chart caption."""
        phrases = {f.name: f.metadata["kind"].describe(value) for f, value in self.active(self.scopes())}
        subject = phrases.pop("metric", "all claims")
        sentence = " ".join([subject, ", ".join(phrases.values())]).strip()
        return sentence[0].upper() + sentence[1:]


def cli_flag(f: dataclasses.Field) -> str:
    return "--" + f.name.replace("_", "-")


def params_from_mapping(values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """{"metric": ["a", "b"], "q": "x", "gpus": None} -> [("metric", "a"), ("metric", "b"), ("q", "x")]."""
    pairs = []
    for key, value in values.items():
        items = value if isinstance(value, list | tuple) else [value]
        pairs += [(key, str(item)) for item in items if item is not None and item != ""]
    return pairs
