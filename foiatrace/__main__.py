"""`python -m foiatrace`: the same as the `foiatrace` command."""

from foiatrace.cli import run

run()
