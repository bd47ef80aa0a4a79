"""The filter model: URL round trip, bad values, sentences, and the rows it keeps."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.data import claims_view
from dashboard.filters import COLOR_BY, MAX_PAPERS, SORTABLE, TABS, X_AXES, Context, Filters, Span
from support.stores import HOSTILE_TITLE, NEW_PAPER_IDS, handmade_tables
from etl.schemas import METRICS


@pytest.fixture(scope="module")
def claims() -> pl.DataFrame:
    tables = handmade_tables("run")
    return claims_view(tables["claims"], tables["papers"])


def ids(frame: pl.DataFrame, column: str = "paper_id") -> set[str]:
    return set(frame[column].to_list())


# ---------------------------------------------------------------- URL round trip

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30).map(str.strip).filter(bool)
positive = st.floats(min_value=1e-3, max_value=1e5, allow_nan=False, allow_infinity=False)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1))


def spans(ends):
    return st.tuples(st.none() | ends, st.none() | ends).map(lambda p: Span(*sorted(p)) if None not in p else Span(*p))


filters_strategy = st.builds(
    Filters,
    metric=st.lists(st.sampled_from(METRICS), unique=True, max_size=3).map(tuple),
    baseline=st.lists(names, unique=True, max_size=3).map(tuple),
    hardware=st.lists(names, unique=True, max_size=2).map(tuple),
    size=spans(positive),
    gpus=spans(st.integers(1, 100_000)),
    published=spans(dates),
    systems=st.booleans(),
    better=st.booleans(),
    new=st.none() | st.just("previous") | dates,
    q=st.text(max_size=40).map(lambda s: " ".join(s.split())),
    papers=st.lists(names, unique=True, max_size=MAX_PAPERS).map(tuple),
    tab=st.sampled_from(TABS),
    x=st.sampled_from(list(X_AXES)),
    color=st.sampled_from(list(COLOR_BY)),
    focus=names | st.just(""),
    sort=st.lists(st.sampled_from([f"{c}:{d}" for c in SORTABLE for d in ("asc", "desc")]), max_size=3,
                  unique_by=lambda key: key.split(":")[0]).map(tuple),
)


@settings(max_examples=300)
@given(filters_strategy)
def test_every_filter_round_trips_through_the_url(filters):
    parsed = Filters.from_query(filters.to_query())
    assert parsed.ignored == []
    assert parsed.filters == filters


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_any_query_string_parses_without_raising(query):
    parsed = Filters.from_query(query)
    assert isinstance(parsed.filters, Filters)


def test_default_view_has_an_empty_query():
    assert Filters().to_query() == ""
    assert Filters.from_query("").filters == Filters()
    assert Filters.from_query(None).filters == Filters()


def test_query_is_readable_and_a_whole_url_is_accepted():
    filters = Filters(metric=("throughput",), baseline=("vLLM",), size=Span(7, 70), gpus=Span(None, 8))
    assert filters.to_query() == "?metric=throughput&baseline=vLLM&size=7..70&gpus=..8"
    assert Filters.from_query("http://127.0.0.1:8050/?metric=throughput&baseline=vLLM&size=7..70&gpus=..8").filters == filters


# ---------------------------------------------------------------- bad values


@pytest.mark.parametrize(
    ("query", "expected", "complaint"),
    [
        ("gpus=abc", Filters(), "gpus='abc'"),
        ("gpus=0..8", Filters(), "gpus='0..8'"),
        ("gpus=8.5", Filters(), "whole number"),
        ("size=70..7", Filters(), "lower end above upper end"),
        ("size=-3..", Filters(), "positive"),
        ("size=nan", Filters(), "positive"),
        ("published=2024-13-01..", Filters(), "date like"),
        ("metric=bogus&metric=Latency", Filters(metric=("latency",)), "metric='bogus'"),
        ("tab=nope", Filters(), "tab='nope'"),
        ("x=height", Filters(), "x='height'"),
        ("systems=maybe", Filters(), "systems='maybe'"),
        ("new=yesterday", Filters(), "new='yesterday'"),
        ("colour=red", Filters(), "unknown parameter “colour”"),
        ("q=" + "a" * 500, Filters(), "longer than"),
    ],
)
def test_bad_values_fall_back_to_defaults_and_are_reported(query, expected, complaint):
    parsed = Filters.from_query(query)
    assert parsed.filters == expected
    assert any(complaint in line for line in parsed.ignored), parsed.ignored


def test_good_values_survive_next_to_bad_ones():
    parsed = Filters.from_query("?metric=throughput&gpus=lots&baseline=vLLM&tab=side")
    assert parsed.filters == Filters(metric=("throughput",), baseline=("vLLM",), tab="side")
    assert len(parsed.ignored) == 1


def test_at_most_eight_papers_are_compared():
    parsed = Filters.from_query("&".join(f"papers=p{i}" for i in range(10)))
    assert parsed.filters.papers == tuple(f"p{i}" for i in range(MAX_PAPERS))
    assert parsed.ignored == [f"papers: only the first {MAX_PAPERS} values are used"]


def test_repeated_values_count_once_and_a_single_number_is_an_exact_range():
    filters = Filters.from_query("metric=latency&metric=latency&gpus=8").filters
    assert filters.metric == ("latency",)
    assert filters.gpus == Span(8, 8)
    assert filters.to_query() == "?metric=latency&gpus=8"


# ---------------------------------------------------------------- describe()


@pytest.mark.parametrize(
    ("query", "sentence"),
    [
        ("", "All claims"),
        (
            "metric=throughput&metric=latency&baseline=vLLM&size=7..70&gpus=..8",
            "Throughput and latency claims against vLLM, on 7B–70B models, with at most 8 GPUs",
        ),
        ("metric=memory&baseline=vLLM&baseline=TGI&hardware=A100", "Memory claims against vLLM or TGI, measured on A100"),
        ("size=0.125..&gpus=64..", "All claims on at least 125M models, with at least 64 GPUs"),
        ("size=1000&gpus=8", "All claims on 1T models, with 8 GPUs"),
        ("published=2024-01-01..2024-06-30", "All claims published 2024-01-01–2024-06-30"),
        ("published=..2024-06-30&systems=1&better=1", "All claims published until 2024-06-30, from systems papers, claiming an improvement"),
        ("new=previous&q=paged%20attention", "All claims from papers new since the previous snapshot, matching “paged attention”"),
        ("new=2026-11-16", "All claims from papers new since 2026-11-16"),
        ("tab=side&papers=a&papers=b&metric=speedup", "Speedup claims from 2 selected papers"),
        ("tab=landscape&papers=a&papers=b&metric=speedup", "Speedup claims"),
    ],
)
def test_describe_says_which_claims_are_shown(query, sentence):
    assert Filters.from_query(query).filters.describe() == sentence


# ---------------------------------------------------------------- rows


def test_metric_baseline_and_hardware_keep_matching_rows(claims):
    rows = Filters(metric=("throughput", "latency"), baseline=("vLLM",)).apply(claims)
    assert set(rows["metric"]) == {"throughput"} and set(rows["baseline"]) == {"vLLM"}
    assert ids(rows) == {"2401.00001", "2401.00002", "2401.00007"}
    assert ids(Filters(hardware=("H100",)).apply(claims)) == {"2401.00002", "2401.00004"}


def test_ranges_are_inclusive_and_drop_unknown_values(claims):
    assert ids(Filters(size=Span(7, 70)).apply(claims)) == {"2401.00001", "2401.00002", "2401.00003", "2401.00007"}
    assert ids(Filters(gpus=Span(None, 8)).apply(claims)) == {"2401.00001", "2401.00002", "2401.00003", "2401.00005"}
    published = Filters(published=Span(dt.date(2024, 2, 1), dt.date(2024, 4, 20))).apply(claims)
    assert ids(published) == {"2401.00002", "2401.00003", "2401.00004"}


def test_flags_keep_systems_papers_and_improvements(claims):
    assert "2401.00006" not in ids(Filters(systems=True).apply(claims))
    better = Filters(better=True).apply(claims)
    assert better["better"].all() and better.height == claims.height - 1


def test_search_is_case_insensitive_over_title_system_and_sentence(claims):
    assert ids(Filters(q="PAGED kv").apply(claims)) == {"2401.00001"}  # title
    assert ids(Filters(q="specdecode").apply(claims)) == {"2401.00007"}  # system
    assert ids(Filters(q="llama.cpp").apply(claims)) == {"2401.00005"}  # sentence, literal dot
    assert ids(Filters(q="<script>").apply(claims)) == {"2401.00003"}
    assert HOSTILE_TITLE in Filters(q="<script>").apply(claims)["title"].to_list()


def test_new_since_keeps_papers_the_earlier_snapshot_lacked(claims):
    older = set(claims["paper_id"]) - NEW_PAPER_IDS
    context = Context(known_paper_ids=lambda since: older if since == "previous" else ())
    assert ids(Filters(new="previous").apply(claims, context)) == NEW_PAPER_IDS
    assert ids(Filters(new=dt.date(2020, 1, 1)).apply(claims, context)) == ids(claims)


def test_compared_papers_narrow_only_the_side_by_side_view(claims):
    picked = Filters(papers=("2401.00001", "2401.00004"))
    assert picked.apply(claims).height == claims.height
    assert ids(picked.replace(tab="side").apply(claims)) == {"2401.00001", "2401.00004"}


def test_no_match_gives_an_empty_frame_not_an_error(claims):
    assert Filters(baseline=("nobody",), gpus=Span(1, 1)).apply(claims).is_empty()


@pytest.mark.parametrize(("raw", "expected"), [("7B", 7), ("70b", 70), (" 13 ", 13), ("350M", 0.35), ("1T", 1000), ("1.5b", 1.5)])
def test_model_sizes_accept_b_m_t_suffixes(raw, expected):
    """13: "7B" and "70b" in the size fields and URLs."""
    from dashboard.filters import parse_size

    assert parse_size(raw) == pytest.approx(expected)
    assert Filters.from_query("?size=7B..70b").filters.size == Span(7, 70)


def test_typed_inputs_are_checked_like_the_url_with_a_message_beside_them():
    from dashboard import layout

    def messages(**typed):
        values = layout.control_values(Filters())
        ids = [c.id + ("" if c.prop == "value" else "." + c.prop) for c in layout.CONTROLS]
        for key, value in typed.items():
            values[ids.index(key)] = value
        return dict(zip(layout.CHECKED_FIELDS, layout.input_messages(values), strict=True))

    out = messages(**{"f-gpus-lo": "-3"})
    assert "gpus" in out["gpus"] and "whole number" in out["gpus"] and not out["size"]
    out = messages(**{"f-size-lo": "70", "f-size-hi": "7"})
    assert "lower end above upper end" in out["size"]
    assert messages(**{"f-size-lo": "7B", "f-size-hi": "70b"}) == dict.fromkeys(layout.CHECKED_FIELDS, "")
