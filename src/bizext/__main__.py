"""`python -m bizext` is the same as the `bizext` command."""

from bizext.cli import main

main()
