"""`python -m dozvon`: the same as the `dozvon` command."""

from dozvon.cli import main

main()
