"""One module per `claimboard` subcommand, each with ``configure(parser)`` and ``run(args) -> int``."""
