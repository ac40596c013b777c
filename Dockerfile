# syntax=docker/dockerfile:1
# Multi-stage: build a wheel (and its dependencies' wheels) in a full image, install them into a slim
# runtime that runs as a non-root user. Config and data are volumes; the default command is the daemon
# on the built-in offline paper config, so `docker run spotbot` works with no network and no keys.

FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY strategies ./strategies
COPY risk ./risk
RUN python -m pip wheel --wheel-dir /wheels ".[postgres]"

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin spotbot
COPY --from=build /wheels /wheels
RUN python -m pip install --no-index --find-links /wheels "spotbot[postgres]" && rm -rf /wheels
WORKDIR /app
COPY --chown=spotbot:spotbot config ./config
RUN mkdir -p /app/data && chown spotbot:spotbot /app/data
USER spotbot
# /app/config: your TOML files (mount read-only); /app/data: the SQLite audit DB and log file.
# Secrets come from the environment (SPOTBOT_EXCHANGE__API_KEY, ...) or files in /run/secrets.
VOLUME ["/app/config", "/app/data"]
# The HTTP API (config [api], on in config/paper.toml) listens on every interface of the container:
# publish it with -p 8080:8080, and set SPOTBOT_API__TOKEN (halt/resume over HTTP; a warning without).
ENV SPOTBOT_API__HOST=0.0.0.0 SPOTBOT_API__PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/ready', timeout=4)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["spotbot"]
CMD ["run", "--config", "config/paper.toml", "--log-format", "json"]
