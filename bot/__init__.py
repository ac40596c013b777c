"""spotbot: an automated crypto spot-trading daemon with risk guards."""

__version__ = "0.1.0"
