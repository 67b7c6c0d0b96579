"""`python -m bot` does what the `posom` console script does."""

from bot.cli import main

main()
