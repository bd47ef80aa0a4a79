"""One-paper extraction in the contract's output shape, for the phrasing-class tests (issue 11)."""

from __future__ import annotations

from etl.extract import extract_record
from etl.contract import record_to_output


def out(text: str, title: str = "") -> dict:
    """`claimboard extract`'s output object for one abstract."""
    return record_to_output("p", extract_record(title, text))


def claims(text: str, title: str = "") -> list[dict]:
    return out(text, title)["claims"]


def one(text: str, title: str = "") -> dict:
    (claim,) = claims(text, title)
    return claim
