"""A Stripe-shaped and an Intercom-shaped API on 127.0.0.1, served from in-memory objects.

Real HTTP (a threaded ``http.server``), so the api source is tested through
httpx exactly as in production. It honours what the source relies on:

- Stripe (under ``/stripe``): ``GET /v1/<resource>/<id>``; lists with
  ``limit``, ``starting_after``, ``has_more``, ``created[gte|gt|lte|lt]``,
  ``status`` (canceled left out unless ``all``), ``type`` with ``*`` or
  ``types[]`` for ``/v1/events``; ``/v1/prices`` (with its tiers, as
  ``expand[]=data.tiers`` gives them); subscriptions and invoices embed only
  the first ``nested_limit`` items or lines, the rest being listed at
  ``/v1/subscription_items?subscription=`` and ``/v1/invoices/<id>/lines``.
  Objects are served as stored, so a test chooses their API version's shape.
- Intercom (under ``/intercom``): ``per_page`` and opaque ``starting_after``
  cursors in ``pages.next``; ``POST /conversations/search`` and
  ``/tickets/search`` on ``updated_at >``; ``GET /events`` per contact, newest
  first, whose ``pages.next`` is a URL; ``GET /surveys/responses`` with
  ``created_since``.

Every request is logged (method, path, query, JSON body, headers), and faults
can be queued for the next requests to a path: a status with headers, a delay
(shorter or longer than the client's timeout), a connection dropped without
an answer, or a page that repeats the last object of the page before (a list
that shifted under a concurrent write).
"""

from __future__ import annotations

import base64
import fnmatch
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass
class Request:
    service: str  # stripe or intercom
    method: str
    path: str  # without the /stripe or /intercom prefix
    query: dict[str, str]  # the last value of each parameter
    body: Any
    headers: dict[str, str]
    lists: dict[str, list[str]] = field(default_factory=dict)  # every value of each parameter


@dataclass
class Fault:
    path: str  # a path prefix, e.g. /v1/customers
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a timeout when longer than the client's)
    times: int = 1
    drop: bool = False  # close the connection without answering
    repeat: bool = False  # the next page starts one object early, repeating the previous page's last


class _Stop(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([offset]).encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(cursor.encode()))[0])
    except (ValueError, IndexError, TypeError) as error:
        raise _Stop(400, {"type": "error.list", "errors": [{"code": "parameter_invalid"}]}) from error


class FakeApis:
    """Both fake services on one local server; start with ``with FakeApis() as apis:``."""

    def __init__(
        self, stripe_key: str = "sk_test_fake", intercom_token: str = "tok_fake", nested_limit: int = 2
    ):
        self.stripe_key = stripe_key
        self.intercom_token = intercom_token
        self.nested_limit = nested_limit
        self.stripe: dict[str, list[dict[str, Any]]] = {
            "customers": [],
            "subscriptions": [],
            "invoices": [],
            "prices": [],
        }
        self.stripe_events: list[dict[str, Any]] = []
        self.intercom: dict[str, list[dict[str, Any]]] = {
            "companies": [],
            "contacts": [],
            "conversations": [],
            "tickets": [],
            "surveys": [],
        }
        self.contact_events: dict[str, list[dict[str, Any]]] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    # Lifecycle and test helpers

    def __enter__(self) -> FakeApis:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def stripe_base(self) -> str:
        return f"{self.root}/stripe"

    @property
    def intercom_base(self) -> str:
        return f"{self.root}/intercom"

    def fail(
        self,
        path: str,
        status: int = 500,
        headers: dict[str, str] | None = None,
        *,
        times: int = 1,
        delay: float = 0.0,
        drop: bool = False,
    ) -> None:
        """Answer the next ``times`` requests whose path starts with ``path`` with this fault."""
        with self._lock:
            self.faults.append(Fault(path, status, headers or {}, delay, times, drop=drop))

    def repeat_boundary(self, path: str, times: int = 1) -> None:
        """The next ``times`` follow-up pages of ``path`` start one object early, as a list does when an
        object is inserted before the cursor between two requests."""
        with self._lock:
            self.faults.append(Fault(path, status=0, times=times, repeat=True))

    def logged(self, path: str = "/", method: str | None = None, service: str | None = None) -> list[Request]:
        """Requests (faulted ones included) whose path starts with ``path``."""
        with self._lock:
            return [
                r
                for r in self.requests
                if r.path.startswith(path) and method in (None, r.method) and service in (None, r.service)
            ]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    # HTTP plumbing

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        apis = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without this, delayed ACKs stall each answer 40 ms.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                pass

            def do_GET(self) -> None:
                apis._serve(self, "GET")

            def do_POST(self) -> None:
                apis._serve(self, "POST")

        return Handler

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        lists = parse_qs(parts.query)
        query = {k: v[-1] for k, v in lists.items()}
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length)) if length else None
        service, _, path = parts.path.lstrip("/").partition("/")
        path = "/" + path
        follow_up = (
            "starting_after" in query
            or "page_token" in query
            or (isinstance(body, dict) and (body.get("pagination") or {}).get("starting_after"))
        )
        with self._lock:
            self.requests.append(
                Request(service, method, path, query, body, dict(handler.headers.items()), lists)
            )
            fault = next(
                (
                    f
                    for f in self.faults
                    if path.startswith(f.path) and f.times > 0 and (follow_up or not f.repeat)
                ),
                None,
            )
            if fault:
                fault.times -= 1
        repeat = bool(fault and fault.repeat)
        if fault and fault.drop:
            handler.close_connection = True
            handler.connection.close()
            return
        try:
            if fault and fault.delay:
                time.sleep(fault.delay)
            if fault and fault.status:
                raise _Stop(fault.status, {"error": {"message": "injected fault"}}, fault.headers)
            if service == "stripe":
                status, answer = 200, self._stripe(handler, method, path, query, lists, repeat)
            elif service == "intercom":
                status, answer = 200, self._intercom(handler, method, path, query, body, repeat)
            else:
                raise _Stop(404, {"error": "unknown service"})
            headers: dict[str, str] = {}
        except _Stop as stop:
            status, answer, headers = stop.status, stop.body, stop.headers
        payload = json.dumps(answer).encode()
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            pass  # the client gave up (a timeout fault)

    @staticmethod
    def _check_bearer(handler: BaseHTTPRequestHandler, secret: str, error: Any) -> None:
        if handler.headers.get("Authorization") != f"Bearer {secret}":
            raise _Stop(401, error)

    # Stripe

    def _stripe(
        self,
        handler: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: dict[str, str],
        lists: dict[str, list[str]],
        repeat: bool,
    ) -> Any:
        self._check_bearer(handler, self.stripe_key, {"error": {"type": "invalid_request_error"}})
        if method != "GET":
            raise _Stop(405, {"error": {"message": "read only"}})
        if path == "/v1/events":
            if "type" in query and "types[]" in lists:
                raise _Stop(400, {"error": {"message": "type and types are mutually exclusive"}})
            if "types[]" in lists:
                events = [e for e in self.stripe_events if e["type"] in lists["types[]"]]
            else:
                pattern = query.get("type", "*")
                events = [e for e in self.stripe_events if fnmatch.fnmatchcase(e["type"], pattern)]
            return self._stripe_list(path, events, query, repeat=repeat)
        if path == "/v1/subscription_items":
            sub = self._find(self.stripe["subscriptions"], query.get("subscription"))
            return self._stripe_list(path, sub["items"]["data"], query, ordered=False)
        if path.startswith("/v1/invoices/") and path.endswith("/lines"):
            invoice = self._find(self.stripe["invoices"], path.split("/")[3])
            return self._stripe_list(path, invoice["lines"]["data"], query, ordered=False)
        resource, _, key = path.removeprefix("/v1/").partition("/")
        if resource in self.stripe and key:
            return self._embed(self._find(self.stripe[resource], key))
        if resource not in self.stripe:
            raise _Stop(404, {"error": {"message": f"Unrecognized request URL (GET: {path})"}})
        objects = self.stripe[resource]
        if resource == "subscriptions":
            status = query.get("status")
            if status is None:
                objects = [o for o in objects if o["status"] != "canceled"]
            elif status != "all":
                objects = [o for o in objects if o["status"] == status]
        if resource == "prices" and "data.tiers" not in lists.get("expand[]", []):
            objects = [{k: v for k, v in o.items() if k != "tiers"} for o in objects]  # tiers only on request
        page = self._stripe_list(path, objects, query, repeat=repeat)
        page["data"] = [self._embed(o) for o in page["data"]]
        return page

    @staticmethod
    def _find(objects: list[dict[str, Any]], key: str | None) -> dict[str, Any]:
        for obj in objects:
            if obj["id"] == key:
                return obj
        raise _Stop(404, {"error": {"message": f"No such object: {key}"}})

    def _embed(self, obj: dict[str, Any]) -> dict[str, Any]:
        """As Stripe does: only the first page of a nested list, with has_more."""
        obj = json.loads(json.dumps(obj))
        for key in ("items", "lines"):
            if key in obj:
                data = obj[key]["data"]
                obj[key] = {
                    "object": "list",
                    "data": data[: self.nested_limit],
                    "has_more": len(data) > self.nested_limit,
                }
        return obj

    @staticmethod
    def _stripe_list(
        path: str,
        objects: list[dict[str, Any]],
        query: dict[str, str],
        ordered: bool = True,
        repeat: bool = False,
    ) -> dict[str, Any]:
        if "starting_after" in query and "ending_before" in query:
            raise _Stop(
                400, {"error": {"message": "starting_after and ending_before are mutually exclusive"}}
            )
        limit = int(query.get("limit", 10))
        if not 1 <= limit <= 100:
            raise _Stop(400, {"error": {"message": "limit must be between 1 and 100"}})

        def created(obj: dict[str, Any]) -> int:
            # Tests plant bad records (created: "yesterday"); the fake still has to order them.
            return obj["created"] if isinstance(obj.get("created"), int) else 0

        if ordered:
            objects = sorted(objects, key=lambda o: (created(o), o["id"]), reverse=True)
        for op, test in (("gte", int.__ge__), ("gt", int.__gt__), ("lte", int.__le__), ("lt", int.__lt__)):
            if f"created[{op}]" in query:
                bound = int(query[f"created[{op}]"])
                objects = [o for o in objects if test(created(o), bound)]
        start = 0
        if "starting_after" in query:
            ids = [o["id"] for o in objects]
            if query["starting_after"] not in ids:
                raise _Stop(400, {"error": {"message": f"No such object: {query['starting_after']}"}})
            start = ids.index(query["starting_after"]) + 1 - repeat
        data = objects[start : start + limit]
        return {"object": "list", "url": path, "has_more": start + limit < len(objects), "data": data}

    # Intercom

    def _intercom(
        self,
        handler: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        repeat: bool = False,
    ) -> Any:
        self._check_bearer(
            handler, self.intercom_token, {"type": "error.list", "errors": [{"code": "unauthorized"}]}
        )
        if handler.headers.get("Intercom-Version") is None:
            raise _Stop(400, {"type": "error.list", "errors": [{"code": "intercom_version_missing"}]})
        if method == "POST" and path in ("/conversations/search", "/tickets/search"):
            return self._search(path.split("/")[1], body or {}, repeat)
        if method == "GET" and path in ("/companies", "/contacts"):
            return self._cursor_list(self.intercom[path[1:]], query, "data", "list", repeat=repeat)
        if method == "GET" and path == "/surveys/responses":
            since = int(query.get("created_since", 0))
            responses = [r for r in self.intercom["surveys"] if r["created_at"] >= since]
            return self._cursor_list(responses, query, "data", "list")
        if method == "GET" and path == "/events":
            return self._events(query)
        raise _Stop(404, {"type": "error.list", "errors": [{"code": "not_found"}]})

    @staticmethod
    def _cursor_list(
        objects: list[dict[str, Any]],
        query: dict[str, str],
        key: str,
        type_: str,
        per_page: int | None = None,
        cursor: str | None = None,
        repeat: bool = False,
    ) -> dict[str, Any]:
        per_page = per_page or int(query.get("per_page", 50))
        start = _offset(cursor if cursor is not None else query.get("starting_after")) - repeat
        data = objects[start : start + per_page]
        pages: dict[str, Any] = {
            "type": "pages",
            "page": start // per_page + 1,
            "per_page": per_page,
            "total_pages": max(1, -(-len(objects) // per_page)),
        }
        if start + per_page < len(objects):
            pages["next"] = {"page": pages["page"] + 1, "starting_after": _cursor(start + per_page)}
        return {"type": type_, key: data, "total_count": len(objects), "pages": pages}

    def _search(self, resource: str, body: dict[str, Any], repeat: bool = False) -> dict[str, Any]:
        q = body.get("query") or {}
        if q.get("field") != "updated_at" or q.get("operator") != ">":
            raise _Stop(400, {"type": "error.list", "errors": [{"code": "query_invalid"}]})
        matching = [o for o in self.intercom[resource] if o.get("updated_at", 0) > int(q["value"])]
        matching.sort(key=lambda o: (o.get("updated_at", 0), o["id"]))
        pagination = body.get("pagination") or {}
        return self._cursor_list(
            matching,
            {},
            resource,
            f"{resource[:-1]}.list",
            int(pagination.get("per_page", 20)),
            pagination.get("starting_after"),
            repeat,
        )

    def _events(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("type") != "user" or "intercom_user_id" not in query:
            raise _Stop(400, {"type": "error.list", "errors": [{"code": "parameter_not_found"}]})
        contact = query["intercom_user_id"]
        events = sorted(self.contact_events.get(contact, []), key=lambda e: e["created_at"], reverse=True)
        per_page = int(query.get("per_page", 15))
        start = _offset(query.get("page_token"))
        answer: dict[str, Any] = {
            "type": "event.list",
            "events": events[start : start + per_page],
            "pages": {},
        }
        if start + per_page < len(events):
            following = {
                "type": "user",
                "intercom_user_id": contact,
                "per_page": per_page,
                "page_token": _cursor(start + per_page),
            }
            answer["pages"]["next"] = f"{self.intercom_base}/events?{urlencode(following)}"
        return answer
