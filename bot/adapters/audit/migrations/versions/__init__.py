"""Migration scripts; Alembic skips this file when scanning revisions."""
