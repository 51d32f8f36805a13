"""The ASGI application: webhooks, public pages and (in `serve`) the background workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles

from admin.api.common import validation_problem
from admin.api.router import api_router
from admin.dashboard import dashboard_router
from admin.headers import SecurityHeaders
from admin.kit import STATIC
from admin.public import public_router
from bot.clock import start_background_clock
from bot.container import Container
from bot.desks.build import dashboard_services
from bot.group_commit import GroupCommit
from bot.runtime import StatusService, run_workers, settle_heap
from bot.staff import StaffService
from storage.db import is_reachable
from webhooks.telegram import telegram_router
from webhooks.twilio import twilio_router


def create_app(container: Container, with_workers: bool = False) -> FastAPI:
    """The web process; `with_workers` adds the dispatcher, sweeper and polling (serve)."""
    settings = container.settings

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        settle_heap()  # what start-up built lives as long as the process: keep it out of GC
        if not with_workers:
            yield
            return
        stop = asyncio.Event()
        workers = asyncio.create_task(
            run_workers(container, stop, poll=settings.telegram_mode == "polling")
        )
        clock = start_background_clock(container)
        try:
            yield
        finally:
            clock.shutdown(wait=False)
            stop.set()
            await workers

    app = FastAPI(title="Early Learning Communities bot", version="0.1.0", lifespan=lifespan)
    https = (settings.public_base_url or "").startswith("https://")
    app.add_middleware(SecurityHeaders, https=https)
    config = container.engine.config
    services = dashboard_services(container)
    # Webhooks that arrive together are received in one transaction (group commit).
    inbound = GroupCommit(container.inbound, batches=settings.inbound_batches)
    # Webhooks first: routes are matched in order, and a provider's calls are most of the
    # traffic; behind the dashboard's routes, matching cost a webhook call 14% of its CPU.
    app.include_router(
        telegram_router(
            inbound,
            settings.telegram_webhook_secret,
            settings.telegram_webhook_secret_previous,
        ),
        include_in_schema=False,
    )
    app.include_router(
        twilio_router(
            inbound,
            StatusService(container),
            settings.twilio_auth_token,
            settings.public_base_url,
            settings.twilio_auth_token_previous,
        ),
        include_in_schema=False,
    )
    app.include_router(
        public_router(
            database_ok=lambda: is_reachable(container.database),
            languages=config.languages,
            notice_version=config.privacy_notice_version,
        ),
        include_in_schema=False,
    )
    app.include_router(
        dashboard_router(
            StaffService(container.sessions, container.clock),
            container.secret_key,
            secure_cookies=https,
            communities=config.communities,
            languages=config.languages,
            services=services,
        ),
        include_in_schema=False,  # /openapi.json documents the API only
    )
    app.mount("/admin/static", StaticFiles(directory=STATIC), name="admin-static")
    app.include_router(api_router(services, config.communities))
    app.add_exception_handler(RequestValidationError, validation_problem)
    return app
