"""The HTTP API's routes (FastAPI): health, status, the journal's records, the config, halt and resume.

- ``GET /health``: 200 while the process serves. ``GET /ready``: 200 when the last tick is recent, the
  audit DB answers and (on an exchange) the venue answered; else 503 naming the failing checks.
- ``GET /api/v1/status``, ``/trades``, ``/orders``, ``/fills``, ``/decisions``, ``/equity`` (paged:
  ``limit`` up to 500, ``offset``; filtered by ``symbol``, ``since``, ``until``), ``/config`` (secrets
  masked).
- ``GET /``: the dashboard, one self-contained page (no CDN) that polls the endpoints below.
- ``POST /api/v1/halt`` (``flatten``, ``reason``) and ``/api/v1/resume`` (``reason``): need
  ``Authorization: Bearer <api.token>`` (compared in constant time); with no token configured they
  answer 403. With ``api.protect_reads`` the reads need it too. CORS is off (no cross-origin headers).
"""

import hmac
from datetime import UTC, datetime
from importlib.resources import files
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel, Field

from bot import __version__
from bot.app.api.metrics import metrics_text
from bot.app.api.service import MAX_PAGE, ApiService
from bot.app.api.service import Query as RecordQuery
from bot.domain import TradingState

_bearer = HTTPBearer(auto_error=False)
DASHBOARD = (files("bot.app.api") / "dashboard.html").read_text(encoding="utf-8")
# The page loads nothing from elsewhere (it works offline) and talks to this origin only.
CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'"


class HaltRequest(BaseModel):
    reason: str = Field("kill_switch", min_length=1, max_length=200)
    flatten: bool = False


class ResumeRequest(BaseModel):
    reason: str = Field("resumed", min_length=1, max_length=200)


def record_query(
    symbol: Annotated[str | None, Query(max_length=40, description="e.g. BTC/USDT")] = None,
    since: Annotated[datetime | None, Query(description="ISO-8601, inclusive; no zone means UTC")] = None,
    until: Annotated[datetime | None, Query(description="ISO-8601, exclusive; no zone means UTC")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> RecordQuery:
    """The paging and filter parameters of the record endpoints."""
    return RecordQuery(symbol, _aware(since), _aware(until), limit, offset)


PageQuery = Annotated[RecordQuery, Depends(record_query)]


def create_api(service: ApiService, *, token: str | None, token_name: str, protect_reads: bool) -> FastAPI:
    """The API over ``service``; ``token`` guards the commands (and the reads with ``protect_reads``)."""
    api = FastAPI(title="spotbot", version=__version__, docs_url="/docs", redoc_url=None)

    def authorized(credentials: HTTPAuthorizationCredentials | None) -> None:
        if token is None:
            raise HTTPException(403, "the write endpoints are off: set SPOTBOT_API__TOKEN to turn them on")
        given = credentials.credentials if credentials is not None else ""
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(
                401, "a valid bearer token is required", headers={"WWW-Authenticate": "Bearer"}
            )

    def writer(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        authorized(credentials)

    def reader(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        if protect_reads:
            authorized(credentials)

    Reads = Depends(reader)

    @api.get("/", include_in_schema=False)
    def dashboard() -> HTMLResponse:
        return HTMLResponse(DASHBOARD, headers={"Content-Security-Policy": CSP})

    @api.get("/health", summary="200 while the process serves")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/ready", summary="200 when ticking, the DB answers and the venue answered; else 503")
    def ready() -> JSONResponse:
        checks = service.readiness()
        failing = [name for name, check in checks.items() if not check["ok"]]
        body = {"ready": not failing, "failing": failing, "checks": checks}
        return JSONResponse(body, status_code=503 if failing else 200)

    @api.get("/api/v1/status", dependencies=[Reads])
    def status() -> dict[str, Any]:
        return service.status()

    @api.get("/api/v1/trades", dependencies=[Reads], summary="closed round trips and their journal, by close")
    def trades(query: PageQuery) -> dict[str, Any]:
        return service.trades(query)

    @api.get("/api/v1/orders", dependencies=[Reads], summary="this run's orders, by creation time")
    def orders(query: PageQuery) -> dict[str, Any]:
        return service.orders(query)

    @api.get("/api/v1/fills", dependencies=[Reads])
    def fills(query: PageQuery) -> dict[str, Any]:
        return service.fills(query)

    @api.get("/api/v1/decisions", dependencies=[Reads], summary="every guard's decision on every intent")
    def decisions(query: PageQuery) -> dict[str, Any]:
        return service.decisions(query)

    @api.get("/api/v1/equity", dependencies=[Reads], summary="the equity curve (symbol is ignored)")
    def equity(query: PageQuery) -> dict[str, Any]:
        return service.equity(query)

    @api.get(
        "/api/v1/risk", dependencies=[Reads], summary="intents by verdict, denials and resizes by reason"
    )
    def risk() -> dict[str, Any]:
        return service.risk()

    @api.get("/metrics", dependencies=[Reads], summary="Prometheus text format", response_class=Response)
    def metrics() -> Response:
        return Response(metrics_text(service), media_type=CONTENT_TYPE_LATEST)

    @api.get("/api/v1/config", dependencies=[Reads], summary="the effective settings, secrets masked")
    def config() -> dict[str, Any]:
        return service.config()

    @api.post("/api/v1/halt", dependencies=[Depends(writer)], summary="kill switch, as spotbot halt")
    def halt(request: HaltRequest) -> dict[str, Any]:
        actor = f"api:{token_name}"
        return service.set_trading_state(TradingState.HALTED, request.reason, actor, flatten=request.flatten)

    @api.post(
        "/api/v1/resume", dependencies=[Depends(writer)], summary="enter trades again, as spotbot resume"
    )
    def resume(request: ResumeRequest) -> dict[str, Any]:
        return service.set_trading_state(
            TradingState.ACTIVE, request.reason, f"api:{token_name}", flatten=False
        )

    @api.exception_handler(Exception)
    def failed(_request: Request, exc: Exception) -> JSONResponse:  # never a traceback, never a secret
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)

    return api


def _aware(moment: datetime | None) -> datetime | None:
    """A time without a zone is UTC (as everywhere in spotbot)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
