"""The pages, by area. Each route's access rule is its `Viewer` dependency (see `web.auth`)."""

from web.views import accounts, admin, feeds, hubs, planning, plans

ROUTERS = [accounts.router, admin.router, hubs.router, planning.router, plans.router, feeds.router]
