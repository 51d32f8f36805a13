"""One module per area of the dashboard, each with `router(kit) -> APIRouter`."""
