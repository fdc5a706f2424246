"""The import desk's pages in `dq serve` (issue 24): upload, sheet and header row, columns, value
mapping, the review grid (Tabulator, vendored; rows served in windows as JSON), the issue list as
plain pages (no JavaScript needed), finish (downloads, approval routing) and submit.

Only parsing and rendering here: the work is dataquality/desk/. Every form carries the session's
CSRF token, and so does every JSON call of the grid (header X-CSRF-Token). The desk's pages allow
scripts and fetches from this server only ('self'); nothing of an upload is rendered unescaped.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from dataquality.desk import actions, finish, intake, jobs
from dataquality.desk.grid import Filters
from dataquality.errors import DQError
from dataquality.i18n import text
from dataquality.issue import to_dicts

DESK_CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
WINDOW = 100
MAX_WINDOW = 1000
UPLOAD_PATH = "/desk/upload"
ISSUES_FIRST_ROWS = 100_000  # a larger sheet opens on the rows with issues



def _of_job(handler: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
    """A desk page of one job: `handler(request, account, csrf, job, ...)` once `job_of` found the
    signed-in clerk's own job (else the response it gives: sign in, forbidden, not found)."""

    @functools.wraps(handler)
    async def page(self: DeskPages, request: Request, *args: Any) -> Response:
        found = await self.job_of(request)
        if isinstance(found, Response):
            return found
        return await handler(self, request, *found, *args)

    return page


def _with_form(handler: Callable[..., Awaitable[Response]]) -> Callable[..., Awaitable[Response]]:
    """A form posted to a desk page of one job: as `_of_job`, with the form once its CSRF token holds."""

    @functools.wraps(handler)
    async def post(self: DeskPages, request: Request, *args: Any) -> Response:
        found = await self.job_of(request)
        if isinstance(found, Response):
            return found
        account, csrf, job = found
        form = await self.form_ok(request, csrf)
        if form is None:
            return self.web.forbidden(request)
        return await handler(self, request, account, csrf, job, form, *args)

    return post

class DeskPages:
    """Handlers of /desk over the inbox's app state (`web`: store, policy, config, settings, pages)."""

    def __init__(self, web: Any, state_dir: Any) -> None:
        self.web, self.state_dir = web, state_dir

    # --- helpers -------------------------------------------------------------------------------

    def page(self, request: Request, name: str, status: int = 200, **ctx: Any) -> Response:
        response = self.web.page(request, name, status=status, **ctx)
        response.headers["Content-Security-Policy"] = DESK_CSP
        return response

    async def signed(self, request: Request) -> tuple[Any, str] | Response:
        found = await self.web.current(request)
        if isinstance(found, Response):
            return found
        account, csrf = found
        if not jobs.may_use_desk(account):
            return self.page(request, "message.html", status=403, account=account, csrf=csrf,
                             title=text("web.forbidden", self.web.lang(request)),
                             message=text("desk.clerks_only", self.web.lang(request)))
        return account, csrf

    def error(self, request: Request, account: Any, csrf: str, exc: DQError, status: int = 422) -> Response:
        status = 404 if exc.key.endswith("not_found") else status
        return self.page(request, "message.html", status=status, account=account, csrf=csrf,
                         title=text("desk.page.problem", self.web.lang(request)), message=exc.message(self.web.lang(request)))

    async def job_of(self, request: Request) -> tuple[Any, str, jobs.Job] | Response:
        found = await self.signed(request)
        if isinstance(found, Response):
            return found
        account, csrf = found
        try:
            job = await run_in_threadpool(jobs.get, self.web.store, self.state_dir, request.path_params["id"], account)
        except DQError as exc:
            return self.error(request, account, csrf, exc)
        return account, csrf, job

    def bench(self, job: jobs.Job) -> Any:
        return actions.bench_of(self.web.store, job, self.web.config)

    async def form_ok(self, request: Request, csrf: str) -> Any:
        form = await request.form()
        return form if self.web.csrf_ok(csrf, form) else None

    def json_ok(self, request: Request, csrf: str) -> bool:
        given = request.headers.get("x-csrf-token", "")
        return bool(given) and hmac.compare_digest(given.encode(), csrf.encode())

    # --- upload --------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        found = await self.signed(request)
        if isinstance(found, Response):
            return found
        account, csrf = found
        listed = await run_in_threadpool(jobs.listing, self.web.store, self.state_dir, account)
        return self.page(request, "desk_home.html", account=account, csrf=csrf, jobs=listed, error=None)

    async def upload(self, request: Request) -> Response:
        found = await self.signed(request)
        if isinstance(found, Response):
            return found
        account, csrf = found
        form = await request.form(max_part_size=self.web.settings.max_upload_bytes)
        if not self.web.csrf_ok(csrf, form):
            return self.web.forbidden(request)
        upload = form.get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return await self._home_error(request, account, csrf, text("desk.page.choose_file", self.web.lang(request)))
        try:
            job, known = await run_in_threadpool(intake.create, self.web.store, self.state_dir, self.web.config, account,
                                                 upload.file, upload.filename, None, self.web.settings.desk_expire_hours,
                                                 self.web.settings.max_upload_bytes)
        except DQError as exc:
            return await self._home_error(request, account, csrf, exc.message(self.web.lang(request)))
        if known is not None:
            return RedirectResponse(f"/desk/{job.id}/review?remembered=1", status_code=303)
        return RedirectResponse(f"/desk/{job.id}/sheet", status_code=303)

    async def _home_error(self, request: Request, account: Any, csrf: str, message: str) -> Response:
        listed = await run_in_threadpool(jobs.listing, self.web.store, self.state_dir, account)
        return self.page(request, "desk_home.html", status=422, account=account, csrf=csrf, jobs=listed, error=message)

    # --- sheet and header row ------------------------------------------------------------------

    @_of_job
    async def sheet(self, request: Request, account: Any, csrf: str, job: jobs.Job, error: str | None = None, status: int = 200) -> Response:
        bench = await run_in_threadpool(self.bench, job)
        table = bench.tables[0]
        names, rows = await run_in_threadpool(intake.preview, job.path, table.sheet, table.header_row)
        lang = self.web.lang(request)
        entities = [(name, schema.label(lang)) for name, schema in self.web.config.schemas.items()]
        return self.page(request, "desk_sheet.html", status=status, account=account, csrf=csrf, job=job, table=table,
                         sheets=names, rows=rows, entities=entities, error=error,
                         tables=[(t.sheet, t.entity, t.header_row, len(t)) for t in bench.tables])

    @_with_form
    async def choose_sheet(self, request: Request, account: Any, csrf: str, job: jobs.Job, form: Any) -> Response:
        sheet = str(form.get("sheet") or "") or None
        row = str(form.get("header_row") or "").strip()
        entity = str(form.get("entity") or "") or None
        try:
            header_row = int(row) if row else None
            await run_in_threadpool(intake.choose, self.web.store, self.web.config, job, sheet, header_row, entity)
        except ValueError:
            return await self.sheet(request, text("desk.bad_header_row", self.web.lang(request), row=row[:12]), 422)
        except DQError as exc:
            return await self.sheet(request, exc.message(self.web.lang(request)), 422)
        return RedirectResponse(f"/desk/{job.id}/columns", status_code=303)

    # --- columns -------------------------------------------------------------------------------

    @_of_job
    async def columns(self, request: Request, account: Any, csrf: str, job: jobs.Job) -> Response:
        from dataquality.load.mapping import sheet_entries

        lang = self.web.lang(request)
        bench = await run_in_threadpool(self.bench, job)
        table = bench.tables[0]
        [entry] = sheet_entries([table], self.web.config, lang)
        samples = {c: table.data[f].dropna().head(3).tolist() for f, c in table.columns.items() if f in table.data.columns}
        schema = self.web.config.schemas[table.entity]
        fields = [(name, spec.label(lang)) for name, spec in schema.fields.items()]
        return self.page(request, "desk_columns.html", account=account, csrf=csrf, job=job, table=table, entry=entry,
                         samples=samples, fields=fields)

    @_with_form
    async def confirm_columns(self, request: Request, account: Any, csrf: str, job: jobs.Job, form: Any) -> Response:
        bench = await run_in_threadpool(self.bench, job)
        table = bench.tables[0]
        from dataquality.load.mapping import sheet_entries

        [entry] = sheet_entries([table], self.web.config, "en")
        schema = self.web.config.schemas[table.entity]
        chosen: dict[str, str | None] = {}
        for col in entry["columns"]:
            value = str(form.get(f"col_{col['letter']}") or "")
            chosen[col["header"]] = value if value in schema.fields else None
        try:
            await run_in_threadpool(intake.confirm, self.web.store, self.web.config, account, job, table, chosen,
                                    dict(job.choice.get("values") or {}))
        except DQError as exc:
            return self.error(request, account, csrf, exc)
        return RedirectResponse(f"/desk/{job.id}/values", status_code=303)

    # --- enumeration values --------------------------------------------------------------------

    @_of_job
    async def values(self, request: Request, account: Any, csrf: str, job: jobs.Job) -> Response:
        bench = await run_in_threadpool(self.bench, job)
        unknown = await run_in_threadpool(actions.unknown_values, bench, 0)
        if not unknown:
            return RedirectResponse(f"/desk/{job.id}/review", status_code=303)
        return self.page(request, "desk_values.html", account=account, csrf=csrf, job=job, unknown=unknown)

    @_with_form
    async def map_values(self, request: Request, account: Any, csrf: str, job: jobs.Job, form: Any) -> Response:
        bench = await run_in_threadpool(self.bench, job)
        unknown = await run_in_threadpool(actions.unknown_values, bench, 0)
        mapping: dict[str, dict[str, str]] = {}
        for n, u in enumerate(unknown):
            value = str(form.get(f"map_{n}") or "")
            if value in u["allowed"]:
                mapping.setdefault(u["field"], {})[u["value"]] = value
        await run_in_threadpool(self._map_values, account, job, bench, mapping)
        return RedirectResponse(f"/desk/{job.id}/review", status_code=303)

    def _map_values(self, account: Any, job: jobs.Job, bench: Any, mapping: dict[str, dict[str, str]]) -> None:
        table = bench.tables[0]
        values = {**(job.choice.get("values") or {})}
        for field, pairs in mapping.items():
            values[field] = {**values.get(field, {}), **pairs}
            actions.map_values(self.web.store, self.web.config, account, job, 0, field, pairs)
        if job.confirmed:  # remembered with the layout, for the next upload of it
            from dataquality.desk import layouts

            columns = dict(job.choice["sheets"][0].get("columns") or {}) if job.choice.get("sheets") else {}
            layouts.remember(self.web.store, layouts.Layout(intake.key_of(table), table.entity, table.header_row,
                                                            tuple(intake.sheet_headers(table)), columns, values), account.name)
            # Only the remembered values change: the loaded workbench (same mapping) stays as it is.
            jobs.set_choice(self.web.store, job, {**job.choice, "values": values}, True, job.layout_key)

    # --- review --------------------------------------------------------------------------------

    @_of_job
    async def review(self, request: Request, account: Any, csrf: str, job: jobs.Job) -> Response:
        lang = self.web.lang(request)
        bench = await run_in_threadpool(self.bench, job)
        table = bench.tables[0]
        schema = self.web.config.schemas[table.entity]
        counts = await run_in_threadpool(bench.grid.issue_counts, 0)
        meta = {"id": job.id, "sheet": table.sheet, "lang": lang,
                "columns": [{"field": f, "title": f"{table.columns[f]} · {schema.fields[f.split('#')[0]].label(lang)}"
                                      if f.split("#")[0] in schema.fields else f} for f in table.data.columns],
                "texts": {k: text(f"desk.page.{k}", lang) for k in ("row", "fix_cell", "no_issues", "rechecked",
                                                                       "preview_title", "apply", "cancel", "nothing_to_fix",
                                                                       "applied", "undone", "failed")}}
        return self.page(request, "desk_review.html", account=account, csrf=csrf, job=job, table=table, meta=meta,
                         counts=counts, remembered=request.query_params.get("remembered") == "1",
                         issues_first=len(table) > ISSUES_FIRST_ROWS)

    async def rows(self, request: Request) -> Response:
        found = await self.job_of(request)
        if isinstance(found, Response):
            return found
        _, _, job = found
        q = request.query_params
        try:
            size = min(max(int(q.get("size") or WINDOW), 1), MAX_WINDOW)
            page = max(int(q.get("page") or 1), 1)
        except ValueError:
            return JSONResponse({"error": "bad page"}, status_code=422)
        filters = _filters(q)
        bench = await run_in_threadpool(self.bench, job)
        window = await run_in_threadpool(bench.window, 0, (page - 1) * size, size, filters, self.web.lang(request))
        return JSONResponse({"last_page": max(1, -(-window["total"] // size)), "last_row": window["total"],
                             "data": window["rows"]})

    @_of_job
    async def cell(self, request: Request, account: Any, csrf: str, job: jobs.Job) -> Response:
        if not self.json_ok(request, csrf):
            return JSONResponse({"error": text("web.bad_csrf", self.web.lang(request))}, status_code=403)
        try:
            body = await request.json()
            row, field, value = int(body["row"]), str(body["field"]), body.get("value")
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": text("desk.bad_cell", self.web.lang(request))}, status_code=422)
        value = None if value is None else str(value)
        try:
            _, issues = await run_in_threadpool(actions.edit_cell, self.web.store, self.web.config, account, job,
                                                job_sheet(self, job), row, field, value)
        except DQError as exc:
            return JSONResponse({"error": exc.message(self.web.lang(request))}, status_code=422)
        lang = self.web.lang(request)
        return JSONResponse({"row": row, "issues": [_mark(d) for d in to_dicts(issues, lang)]})

    @_of_job
    async def fix(self, request: Request, account: Any, csrf: str, job: jobs.Job) -> Response:
        """Preview or apply certain fixes: JSON from the grid, or a form from the plain issue list."""
        is_json = request.headers.get("content-type", "").startswith("application/json")
        if is_json:
            if not self.json_ok(request, csrf):
                return JSONResponse({"error": text("web.bad_csrf", self.web.lang(request))}, status_code=403)
            try:
                body = dict(await request.json())
            except (ValueError, TypeError):
                body = {}
        else:
            form = await self.form_ok(request, csrf)
            if form is None:
                return self.web.forbidden(request)
            body = {k: str(v) for k, v in form.items() if k != "csrf"}
        scope = str(body.get("scope") or "all")
        row = _int(body.get("row"))
        bench = await run_in_threadpool(self.bench, job)
        try:
            proposed = await run_in_threadpool(actions.proposed_fixes, bench, scope, 0, row, body.get("field") or None,
                                               body.get("rule") or None)
            preview = str(body.get("preview") or "").lower() in ("1", "true")
            count = len(proposed) if preview else await run_in_threadpool(actions.apply_fixes, self.web.store, self.web.config,
                                                                          account, job, proposed)
        except DQError as exc:
            if is_json:
                return JSONResponse({"error": exc.message(self.web.lang(request))}, status_code=422)
            return self.error(request, account, csrf, exc)
        if is_json:
            return JSONResponse({"count": count, "applied": not preview,
                                 "fixes": [{"row": p.row, "column": p.column, "field": p.field, "old": p.old, "new": p.new,
                                            "rules": list(p.rules)} for p in proposed[:500]]})
        return RedirectResponse(f"/desk/{job.id}/issues?fixed={count}", status_code=303)

    @_of_job
    async def undo(self, request: Request, account: Any, csrf: str, job: jobs.Job) -> Response:
        is_json = request.headers.get("content-type", "").startswith("application/json")
        if is_json and not self.json_ok(request, csrf):
            return JSONResponse({"error": text("web.bad_csrf", self.web.lang(request))}, status_code=403)
        if not is_json and await self.form_ok(request, csrf) is None:
            return self.web.forbidden(request)
        cells = await run_in_threadpool(actions.undo, self.web.store, self.web.config, account, job)
        if is_json:
            return JSONResponse({"cells": cells})
        return RedirectResponse(f"/desk/{job.id}/issues?undone={cells}", status_code=303)

    @_of_job
    async def issues(self, request: Request, account: Any, csrf: str, job: jobs.Job) -> Response:
        """The issue list as plain pages: no JavaScript needed."""
        q = request.query_params
        page = max(_int(q.get("page")) or 1, 1)
        filters = _filters(q)
        bench = await run_in_threadpool(self.bench, job)
        total, listed = await run_in_threadpool(bench.grid.issue_page, 0, (page - 1) * WINDOW, WINDOW, filters,
                                                self.web.lang(request))
        counts = await run_in_threadpool(bench.grid.issue_counts, 0)
        return self.page(request, "desk_issues.html", account=account, csrf=csrf, job=job, issues=listed, total=total,
                         page=page, pages=max(1, -(-total // WINDOW)), counts=counts, filters=filters,
                         fixed=q.get("fixed"), undone=q.get("undone"))

    # --- finish --------------------------------------------------------------------------------

    @_of_job
    async def download(self, request: Request, account: Any, csrf: str, job: jobs.Job) -> Response:
        bench = await run_in_threadpool(self.bench, job)
        try:
            path, name = await run_in_threadpool(finish.download, self.web.store, self.web.config, bench,
                                                 request.query_params.get("kind", "fixed"), self.web.lang(request))
        except DQError as exc:
            return self.error(request, account, csrf, exc)
        return FileResponse(path, filename=name, media_type="application/octet-stream")

    @_of_job
    async def finish_page(self, request: Request, account: Any, csrf: str, job: jobs.Job, result: Any = None) -> Response:
        bench = await run_in_threadpool(self.bench, job)
        error, routed = None, []
        try:
            routed = await run_in_threadpool(finish.compare, self.web.store, self.web.config, self.web.policy, bench,
                                             self.web.settings.baseline)
        except DQError as exc:
            error = exc.message(self.web.lang(request))
        roles = {r.code: r.label(self.web.lang(request)) for r in self.web.policy.roles}
        counts = await run_in_threadpool(bench.grid.issue_counts, 0)
        return self.page(request, "desk_finish.html", account=account, csrf=csrf, job=job, routed=routed, error=error,
                         roles=roles, result=result, counts=counts)

    @_of_job
    async def submit(self, request: Request, account: Any, csrf: str, job: jobs.Job) -> Response:
        if await self.form_ok(request, csrf) is None:
            return self.web.forbidden(request)
        bench = await run_in_threadpool(self.bench, job)
        try:
            result = await run_in_threadpool(finish.submit, self.web.store, self.state_dir, self.web.config, self.web.policy,
                                             account, job, bench, self.web.settings.baseline)
        except DQError as exc:
            return self.error(request, account, csrf, exc, 409)
        return await self.finish_page(request, result)

    def routes(self) -> list[Route]:
        return [
            Route("/desk", self.home, methods=["GET"]),
            Route(UPLOAD_PATH, self.upload, methods=["POST"]),
            Route("/desk/{id}/sheet", self.sheet, methods=["GET"]),
            Route("/desk/{id}/sheet", self.choose_sheet, methods=["POST"]),
            Route("/desk/{id}/columns", self.columns, methods=["GET"]),
            Route("/desk/{id}/columns", self.confirm_columns, methods=["POST"]),
            Route("/desk/{id}/values", self.values, methods=["GET"]),
            Route("/desk/{id}/values", self.map_values, methods=["POST"]),
            Route("/desk/{id}/review", self.review, methods=["GET"]),
            Route("/desk/{id}/rows", self.rows, methods=["GET"]),
            Route("/desk/{id}/cell", self.cell, methods=["POST"]),
            Route("/desk/{id}/fix", self.fix, methods=["POST"]),
            Route("/desk/{id}/undo", self.undo, methods=["POST"]),
            Route("/desk/{id}/issues", self.issues, methods=["GET"]),
            Route("/desk/{id}/download", self.download, methods=["GET"]),
            Route("/desk/{id}/finish", self.finish_page, methods=["GET"]),
            Route("/desk/{id}/submit", self.submit, methods=["POST"]),
        ]


def job_sheet(pages: DeskPages, job: jobs.Job) -> str | None:
    return pages.bench(job).tables[0].sheet


def _int(value: Any) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _filters(q: Any) -> Filters:
    severity = q.get("severity") or None
    return Filters(with_issues=q.get("with_issues") in ("1", "true", "on"), rule=(q.get("rule") or None),
                   field=(q.get("field") or None), severity=severity if severity in ("error", "warning", "info") else None)


def _mark(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in ("field", "rule", "severity", "message", "hint", "fixable", "fixed_value")}
