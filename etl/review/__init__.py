"""Review stage: readers' corrections applied to the claims, the review queue, the spreadsheet
round trip and the reviewed papers as gold.

- ``corrections``: the record (``Correction``, ``Anchor``), the file (read, append under a lock);
  ``record_decision`` is the one call that appends a decision.
- ``apply``: claims + corrections -> corrected claims (+ origin columns), rejected claims, and
  each correction's status (applied / stale / invalid / superseded); pure frame functions.
- ``queue``: the claims ordered by what most needs a human.
- ``sheet``: the queue as CSV and the filled-in CSV back as corrections (all or nothing).
- ``gold``: the reviewed papers in the gold format of tests/fixtures/GUIDE.md.
"""

from etl.review.apply import (
    CORRECTION_COLUMNS,
    ORIGIN_COLUMNS,
    Applied,
    apply_corrections,
    empty_corrections,
    review_claims,
)
from etl.review.corrections import (
    ACTIONS,
    CORRECTIONS_FILE,
    EDITABLE_FIELDS,
    Anchor,
    BadLine,
    Correction,
    CorrectionError,
    CorrectionsFile,
    append_corrections,
    corrections_path,
    file_sha256,
    make_correction,
    read_corrections,
    record_decision,
)

__all__ = [
    "ACTIONS", "CORRECTIONS_FILE", "CORRECTION_COLUMNS", "EDITABLE_FIELDS", "ORIGIN_COLUMNS", "Anchor", "Applied",
    "BadLine", "Correction", "CorrectionError", "CorrectionsFile", "append_corrections", "apply_corrections",
    "corrections_path", "empty_corrections", "file_sha256", "make_correction", "read_corrections",
    "record_decision", "review_claims",
]
