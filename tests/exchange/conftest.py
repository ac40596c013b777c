"""Makes the ``fake_exchange`` fixture available to tests in this folder."""

from tests.fake_exchange.fixture import fake_exchange

__all__ = ["fake_exchange"]
