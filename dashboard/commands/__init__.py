"""The dashboard's subcommands of `claimboard` (the command table is etl/cli.py): one module each,
exposing ``configure(parser)`` and ``run(args) -> int``."""
