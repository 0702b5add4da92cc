"""The web process: the API and the console in one FastAPI app, served by uvicorn."""

import ipaddress
import logging
import socket
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from copydesk.serve import api, console

log = logging.getLogger("copydesk.serve")

DESCRIPTION = """The archive and the pipeline of copydesk: the CLI's queries over HTTP.

Reads are open to whoever reaches the bind address (loopback unless set). Writes (submit,
retry, replay) need `Authorization: Bearer <COPYDESK_API_TOKEN>`; with no token set on the
server they are off. Listings are paged: pass a page's `next_cursor` as `cursor`."""


async def _invalid(request: Request, error: Exception) -> JSONResponse:
    """A 422 whose `detail` says in one line which parameter was wrong and how."""
    assert isinstance(error, RequestValidationError)
    problems = ["{}: {}".format(".".join(str(part) for part in item["loc"]), item["msg"])
                for item in error.errors()]
    return JSONResponse(status_code=422, content={"detail": "; ".join(problems),
                                                  "errors": jsonable_encoder(error.errors())})


def create_app() -> FastAPI:
    """The API under /api (OpenAPI at /docs), the console at /, its files under /static."""
    # FastAPIOffline: FastAPI whose /docs and /redoc load Swagger UI and ReDoc from files its
    # package ships, not from a CDN, so the pages work where the archive has no internet.
    app = FastAPIOffline(title="copydesk", version="0.1.0", description=DESCRIPTION)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.include_router(api.router)
    app.include_router(console.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app


def run_server(host: str, port: int) -> None:
    """Serve until stopped (one process: the database is the shared state)."""
    import uvicorn

    if not ipaddress.ip_address(socket.gethostbyname(host)).is_loopback:
        log.warning("listening on %s: the archive can be read by anyone who reaches this port; "
                    "writes still need COPYDESK_API_TOKEN", host)
    uvicorn.run(create_app(), host=host, port=port, log_level="info")
