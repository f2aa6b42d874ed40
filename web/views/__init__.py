"""The pages, by area. Each route's access rule is its `Viewer` dependency (see `web.auth`)."""

from web.views import accounts, admin, drafts, editor, feeds, hubedits, hubs, planning, plans

ROUTERS = [
    accounts.router,
    admin.router,
    hubs.router,
    planning.router,
    editor.router,
    hubedits.router,
    drafts.router,
    plans.router,
    feeds.router,
]
