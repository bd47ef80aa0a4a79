"""ClaimBoard ETL: ingest -> extract -> normalise -> validate -> store (-> refresh).

Each stage is its own package or module of small frame-to-frame functions; I/O stays at the edges
(ingest reads files, store writes snapshots, cli talks to the terminal).
"""

__version__ = "0.1.0"
