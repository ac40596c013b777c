"""Alembic migrations for the audit database (a regular package so wheels ship ``env.py``)."""
