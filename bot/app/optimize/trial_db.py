"""The throwaway audit DBs of an optimize run's backtests: each a fresh copy of one migrated, empty
database, all behind one SQLAlchemy engine per process.

SQLAlchemy keeps compiled statements per engine. With an engine per backtest, every statement a run
writes and its report reads was compiled again for each of a trial's four backtests (the cold compile
was a few times the statement's run). Here the engine stays and the file under it changes:
:meth:`TrialDatabases.fresh` copies the template to the backtest's own folder, points new connections
at it and drops the pooled ones, which still point at the previous file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import Engine

from bot.adapters.audit.engine import make_engine
from bot.adapters.audit.migrate import upgrade

DB_NAME = "audit.sqlite"


class TrialDatabases:
    def __init__(self, folder: Path) -> None:
        self._template = folder / "empty.sqlite"
        upgrade(f"sqlite:///{self._template}")  # migrated once; each backtest gets a copy
        self._current = str(self._template)
        self._engine: Engine | None = None
        self._pid = 0

    def fresh(self, folder: str | Path) -> tuple[str, Engine]:
        """A new, migrated, empty audit DB in ``folder``: its URL (for the run's record) and the engine
        that now connects to it."""
        path = Path(folder) / DB_NAME
        shutil.copyfile(self._template, path)
        engine = self._engine_here()
        self._current = str(path)
        engine.dispose()  # pooled connections of the previous backtest: closed, new ones open ``path``
        return f"sqlite:///{path}", engine

    def _engine_here(self) -> Engine:
        """This process's engine. A forked worker inherits the parent's with its pooled connections: it
        lets go of them without closing them (the parent's) and opens an engine of its own."""
        if self._engine is not None and self._pid != os.getpid():
            self._engine.dispose(close=False)
            self._engine = None
        if self._engine is None:
            self._engine = make_engine(f"sqlite:///{self._template}", sqlite_path=lambda: self._current)
            self._pid = os.getpid()
        return self._engine
