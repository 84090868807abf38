"""Subcommands of the ``icq`` command line (see :mod:`icq.cli`)."""
