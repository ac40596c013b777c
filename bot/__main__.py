"""``python -m bot`` is the same as the ``spotbot`` command."""

from bot.app.cli import main

main()
