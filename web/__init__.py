"""The hub workspace: hubplan in the browser, on a real database (`hubplan serve`).

Layers inside: `tables` and `db` (the schema, engines, migrations), `auth` (accounts, roles,
sessions, CSRF, the access rule of every route), `hubs` and `diff` (uploads become
versions), `jobs` and `worker` (planning in a worker process), `plans` and `feeds` (what
a stored plan shows and serves), `views` (the pages), `app` (putting them together).
Nothing in `models` or `scheduler` imports this package.
"""
