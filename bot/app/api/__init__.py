"""The daemon's HTTP API (FastAPI on uvicorn): see :mod:`bot.app.api.routes`."""
