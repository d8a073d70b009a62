"""`python -m handregen …`, the same as the `handregen` console script."""

from handregen.cli import main

main()
