"""``python -m bot`` is the same as the ``spotbot`` command."""

from bot.cli import main

main()
