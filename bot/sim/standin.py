"""A local stand-in for the LINE Messaging API: the tests' LINE, and the simulator's (`sim`).

It is a real HTTP server (aiohttp, own thread and event loop), so sync tests, async tests and
subprocesses of the bot can all point ``LINE_API_BASE_URL`` at it. It rejects what LINE rejects
(see "LINE facts" in DESIGN.md) -- the SDK does not check all of it, the bot must -- and records
every request so tests can assert on what the bot really sent.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"
LOADING = "/v2/bot/chat/loading/start"
QUOTA = "/v2/bot/message/quota"
CONSUMPTION = "/v2/bot/message/quota/consumption"
RICH_MENU_PATH = re.compile(
    r"^/v2/bot/(?:richmenu(?:/(?P<id>[^/]+))?(?P<tail>/content)?|user/(?P<all>all)/richmenu(?:/(?P<id2>[^/]+))?)$"
)
MAX_RICH_MENU_NAME = 300
MAX_CHAT_BAR_TEXT = 14
MAX_RICH_MENU_AREAS = 20
MAX_RICH_MENUS = 1000
MAX_RICH_MENU_IMAGE = 1024 * 1024  # bytes
RICH_MENU_ACTIONS = ("postback", "message", "uri", "datetimepicker", "richmenuswitch", "camera",
                     "cameraRoll", "location", "clipboard")  # fmt: skip
MONTHLY_QUOTA = 200  # the free plan's pushes a month (コミュニケーションプラン)

MAX_MESSAGES = 5
REPLY_TOKEN_LIFE = 60.0  # seconds: LINE's reply tokens expire about a minute after the event
MAX_TEXT_UTF16 = 5000
MAX_FLEX_ALT = 1500
MAX_TEMPLATE_ALT = 400
MAX_QUICK_REPLY_ITEMS = 13
MAX_LABEL = 20
MAX_ACTION_TEXT = 300  # postback data / displayText, message action text
MAX_QUOTE_TOKEN = 255
MESSAGE_TYPES = ("text", "sticker", "image", "flex", "template")
DATETIME_MODES = ("date", "time", "datetime")
PICKER_FORMATS = {"date": "%Y-%m-%d", "time": "%H:%M", "datetime": "%Y-%m-%dT%H:%M"}
PICKER_EARLIEST, PICKER_LATEST = datetime(1900, 1, 1), datetime(2100, 12, 31, 23, 59)
INPUT_OPTIONS = ("closeRichMenu", "openRichMenu", "openKeyboard", "openVoice")
UUID_RE = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE
)

UNAUTHORIZED = (
    "Authentication failed. Confirm that the access token in the authorization header is valid."
)
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."  # LINE's two 429s
MONTHLY_LIMIT = "You have reached your monthly limit."

Problem = tuple[str, str]  # (message, property), LINE's "details" entries


@dataclass
class Recorded:
    """One request as the stand-in saw it. Header names are lower-cased; ``json`` is None when the
    body was not JSON; ``status`` is 0 while the request is still being answered; ``answer`` is
    the error's ``message``, ``answered_at`` the time.time() of the answer."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any
    status: int
    answer: str = ""
    answered_at: float = 0.0
    raw: bytes = field(default=b"", repr=False)  # the body as sent (rich-menu images)
    data_host: bool = False  # arrived at the content host (api-data.line.me's stand-in)

    @property
    def rate_limited(self) -> bool:
        """Refused by the rate limit (not the monthly quota)."""
        return self.status == 429 and self.answer == RATE_LIMITED

    def texts(self) -> list[str]:
        """What the user would read: text of text messages, altText of flex/template ones."""
        body = self.json if isinstance(self.json, dict) else {}
        messages = body.get("messages")
        out: list[str] = []
        for m in messages if isinstance(messages, list) else []:
            if not isinstance(m, dict):
                continue
            key = "text" if m.get("type") == "text" else "altText"
            if m.get("type") in ("text", "flex", "template") and isinstance(m.get(key), str):
                out.append(m[key])
        return out


# --- validation: pure functions returning LINE-style problems ------------------------------------


def _utf16_len(s: str) -> int:
    """LINE counts text length in UTF-16 code units: an emoji outside the BMP counts as 2."""
    return len(s.encode("utf-16-le")) // 2


def _nonempty_str(v: Any) -> bool:
    return isinstance(v, str) and v != ""


def _required(obj: dict[str, Any], keys: tuple[str, ...], where: str) -> list[Problem]:
    prefix = f"{where}." if where else ""
    return [("May not be empty", prefix + k) for k in keys if not _nonempty_str(obj.get(k))]


def _check_len(v: Any, lo: int, hi: int, where: str, required: bool = True) -> list[Problem]:
    if v is None and not required:
        return []
    if not isinstance(v, str):
        return [("Must be a string", where)]
    if not lo <= len(v) <= hi:
        return [(f"Length must be between {lo} and {hi}", where)]
    return []


def _check_action(a: Any, where: str, label_required: bool) -> list[Problem]:
    """Action checks; labels are limited (and required) for quick reply and template actions."""
    if not isinstance(a, dict):
        return [("Must be an object", where)]
    kind = a.get("type")
    out: list[Problem] = []
    if not _nonempty_str(kind):
        out.append(("May not be empty", f"{where}.type"))
    if label_required:
        out += _check_len(a.get("label"), 1, MAX_LABEL, f"{where}.label")
    if kind == "postback":
        out += _check_len(a.get("data"), 0, MAX_ACTION_TEXT, f"{where}.data")
        out += _check_len(a.get("displayText"), 1, MAX_ACTION_TEXT, f"{where}.displayText", False)
        option = a.get("inputOption")
        if option is not None and option not in INPUT_OPTIONS:
            out.append((f"Must be one of {list(INPUT_OPTIONS)}", f"{where}.inputOption"))
        out += _check_len(a.get("fillInText"), 0, MAX_ACTION_TEXT, f"{where}.fillInText", False)
    elif kind == "message":
        out += _check_len(a.get("text"), 1, MAX_ACTION_TEXT, f"{where}.text")
    elif kind == "datetimepicker":
        out += _check_len(a.get("data"), 0, MAX_ACTION_TEXT, f"{where}.data")
        if a.get("mode") not in DATETIME_MODES:
            out.append((f"Must be one of {list(DATETIME_MODES)}", f"{where}.mode"))
        else:
            out += _check_picker(a, where)
    elif kind == "uri":
        out += _check_len(a.get("uri"), 1, 1000, f"{where}.uri")
    return out


def _check_picker(a: dict[str, Any], where: str) -> list[Problem]:
    """initial, min and max in the mode's own format (datetime: 2026-11-21T08:00), between
    1900 and 2100, and min < max with initial between them, as LINE requires."""
    fmt = PICKER_FORMATS[a["mode"]]
    out: list[Problem] = []
    values: dict[str, datetime] = {}
    for key in ("initial", "min", "max"):
        if key not in a:
            continue
        at = _picker_time(a[key], fmt)
        if at is None:
            out.append((f"Must be in the format {fmt} between 1900 and 2100", f"{where}.{key}"))
        else:
            values[key] = at
    lo, hi, at = values.get("min"), values.get("max"), values.get("initial")
    if lo is not None and hi is not None and not lo < hi:
        out.append(("Must be later than min", f"{where}.max"))
    if at is not None and ((lo is not None and at < lo) or (hi is not None and at > hi)):
        out.append(("Must be between min and max", f"{where}.initial"))
    return out


def _picker_time(v: Any, fmt: str) -> datetime | None:
    try:
        at = datetime.strptime(v, fmt) if isinstance(v, str) else None
    except ValueError:
        return None
    return at if at is not None and PICKER_EARLIEST <= at <= PICKER_LATEST else None


def _walk_actions(node: Any, where: str, label_required: bool) -> list[Problem]:
    """Find actions nested anywhere in flex contents or a template: LINE checks them all."""
    out: list[Problem] = []
    if isinstance(node, list):
        for i, child in enumerate(node):
            out += _walk_actions(child, f"{where}[{i}]", label_required)
    elif isinstance(node, dict):
        for key, child in node.items():
            if key in ("action", "defaultAction"):
                out += _check_action(child, f"{where}.{key}", label_required and key == "action")
            elif key == "actions" and isinstance(child, list):
                for i, a in enumerate(child):
                    out += _check_action(a, f"{where}.actions[{i}]", label_required)
            else:
                out += _walk_actions(child, f"{where}.{key}", label_required)
    return out


def _check_quick_reply(qr: Any, where: str) -> list[Problem]:
    if not isinstance(qr, dict) or not isinstance(qr.get("items"), list):
        return [("Must be an object with an items array", where)]
    items = qr["items"]
    if len(items) > MAX_QUICK_REPLY_ITEMS:
        return [(f"Size must be between 0 and {MAX_QUICK_REPLY_ITEMS}", f"{where}.items")]
    out: list[Problem] = []
    for i, item in enumerate(items):
        at = f"{where}.items[{i}]"
        if not isinstance(item, dict) or item.get("type") != "action":
            out.append(("Must be an object of type 'action'", at))
        else:
            out += _check_action(item.get("action"), f"{at}.action", label_required=True)
    return out


def _check_message(m: Any, where: str) -> list[Problem]:
    if not isinstance(m, dict):
        return [("Must be an object", where)]
    kind = m.get("type")
    if kind not in MESSAGE_TYPES:
        return [(f"Must be one of {list(MESSAGE_TYPES)}", f"{where}.type")]
    out: list[Problem] = []
    if kind == "text":
        text = m.get("text")
        if not _nonempty_str(text):
            out.append(("May not be empty", f"{where}.text"))
        elif _utf16_len(text) > MAX_TEXT_UTF16:
            out.append((f"Length must be between 0 and {MAX_TEXT_UTF16}", f"{where}.text"))
    elif kind == "sticker":
        out += _required(m, ("packageId", "stickerId"), where)
    elif kind == "image":
        out += _required(m, ("originalContentUrl", "previewImageUrl"), where)
    elif kind == "flex":
        out += _check_len(m.get("altText"), 1, MAX_FLEX_ALT, f"{where}.altText")
        if not isinstance(m.get("contents"), dict):
            out.append(("Must be an object", f"{where}.contents"))
        else:
            out += _walk_actions(m["contents"], f"{where}.contents", label_required=False)
    elif kind == "template":
        out += _check_len(m.get("altText"), 1, MAX_TEMPLATE_ALT, f"{where}.altText")
        if not isinstance(m.get("template"), dict):
            out.append(("Must be an object", f"{where}.template"))
        else:
            out += _walk_actions(m["template"], f"{where}.template", label_required=True)
    if "quoteToken" in m:  # LINE quotes only in text and sticker messages
        if kind not in ("text", "sticker"):
            out.append(("Must not be set for this message type", f"{where}.quoteToken"))
        elif not _nonempty_str(m["quoteToken"]) or len(m["quoteToken"]) > MAX_QUOTE_TOKEN:
            out.append(("The quote token is invalid", f"{where}.quoteToken"))
    if "quickReply" in m:
        out += _check_quick_reply(m["quickReply"], f"{where}.quickReply")
    return out


def _check_messages(messages: Any) -> list[Problem]:
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
        return [(f"Size must be between 1 and {MAX_MESSAGES}", "messages")]
    return [p for i, m in enumerate(messages) for p in _check_message(m, f"messages[{i}]")]


def _check_loading(body: dict[str, Any]) -> list[Problem]:
    out: list[Problem] = []
    if not _nonempty_str(body.get("chatId")):
        out.append(("May not be empty", "chatId"))
    secs = body.get("loadingSeconds")
    if secs is not None and (
        not isinstance(secs, int) or isinstance(secs, bool) or not 5 <= secs <= 60 or secs % 5
    ):
        out.append(("Must be an integer between 5 and 60 and a multiple of 5", "loadingSeconds"))
    return out


# --- rich menus ----------------------------------------------------------------------------------


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, read from its header; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if not data.startswith(b"\xff\xd8"):
        return None
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start of frame
            return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(
                data[i + 5 : i + 7], "big"
            )
        i += 2 + length
    return None


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_rich_menu(menu: Any) -> list[Problem]:
    """LINE's rules for a rich menu object: size, name, chat bar text, areas in bounds,
    actions of the types a rich menu takes."""
    if not isinstance(menu, dict):
        return [("Must be an object", "")]
    out: list[Problem] = []
    size = menu.get("size")
    width = size.get("width") if isinstance(size, dict) else None
    height = size.get("height") if isinstance(size, dict) else None
    if not (_int(width) and _int(height) and 800 <= width <= 2500 and height >= 250
            and width / height >= 1.45):  # fmt: skip
        out.append(("Must be 800 to 2500 wide, at least 250 high, width/height >= 1.45", "size"))
        width = height = None
    if not isinstance(menu.get("selected"), bool):
        out.append(("Must be a boolean", "selected"))
    out += _check_len(menu.get("name"), 1, MAX_RICH_MENU_NAME, "name")
    out += _check_len(menu.get("chatBarText"), 1, MAX_CHAT_BAR_TEXT, "chatBarText")
    areas = menu.get("areas")
    if not isinstance(areas, list) or not 1 <= len(areas) <= MAX_RICH_MENU_AREAS:
        return [*out, (f"Size must be between 1 and {MAX_RICH_MENU_AREAS}", "areas")]
    for i, area in enumerate(areas):
        at = f"areas[{i}]"
        bounds = area.get("bounds") if isinstance(area, dict) else None
        if not isinstance(bounds, dict) or not all(
            _int(bounds.get(k)) and bounds[k] >= 0 for k in ("x", "y", "width", "height")
        ):
            out.append(("Must have x, y, width and height, non-negative integers", f"{at}.bounds"))
        elif width is not None and (
            bounds["width"] == 0 or bounds["height"] == 0
            or bounds["x"] + bounds["width"] > width or bounds["y"] + bounds["height"] > height
        ):  # fmt: skip
            out.append(("Must be within the rich menu's size", f"{at}.bounds"))
        action = area.get("action") if isinstance(area, dict) else None
        if not isinstance(action, dict) or action.get("type") not in RICH_MENU_ACTIONS:
            out.append((f"Must be one of {list(RICH_MENU_ACTIONS)}", f"{at}.action.type"))
        else:
            out += _check_action(action, f"{at}.action", label_required=False)
    return out


def _error(status: int, message: str, problems: list[Problem] | None = None) -> web.Response:
    body: dict[str, Any] = {"message": message}
    if problems:
        body["details"] = [{"message": m, "property": p} for m, p in problems]
    return web.json_response(body, status=status)


def _invalid(problems: list[Problem]) -> web.Response:
    return _error(400, f"The request body has {len(problems)} error(s)", problems)


class _TokenBucket:
    """``rate`` tokens a second, at most ``burst`` kept; a request takes one or is refused."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.burst = float(burst if burst is not None else max(1, round(rate * 0.05)))
        self.tokens = self.burst
        self.at = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


# --- the server ----------------------------------------------------------------------------------


class LineStandIn:
    """Fake api.line.me on 127.0.0.1:<free port>. Use as ``with LineStandIn() as line: ...``."""

    def __init__(self, access_token: str = "test-token", quota: int | None = MONTHLY_QUOTA) -> None:
        self.access_token = access_token
        self.quota = quota  # the month's pushes (None: no limit)
        self.used_before = 0  # pushes of the month made before the stand-in started
        self.base_url = ""
        self.data_base_url = ""  # LINE's content host (api-data.line.me): rich-menu images
        self._data_port = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._next_id = 100000000000000000
        self.reset()

    # lifecycle

    def start(self) -> LineStandIn:
        """Serve from a daemon thread with its own loop, so sync and async callers can use it."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        port = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        self.base_url = f"http://127.0.0.1:{port}"
        self.data_base_url = f"http://127.0.0.1:{self._data_port}"
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._loop.close()
        self._loop, self._thread, self._runner = None, None, None

    def __enter__(self) -> LineStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self, port: int = 0, stats: bool = False) -> int:
        app = web.Application()
        if stats:  # not LINE's: lets another process (the benchmark) read the counts
            app.router.add_get("/_standin/stats", self._stats)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        api_port = int(self._runner.addresses[0][1])
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()  # the content host
        self._data_port = int(self._runner.addresses[1][1])
        return api_port

    # knobs and records (called from the test's thread)

    def reset(self) -> None:
        """Forget requests, used tokens and keys, and every injected behaviour."""
        with self._lock:
            self._requests: list[Recorded] = []
            self._failures: dict[str, list[tuple[int, str]]] = {}
            self._delays: dict[str, float] = {}
            self._latency = 0.0
            self._bucket: _TokenBucket | None = None
            self._in_flight: dict[str, int] = {}
            self._peak: dict[str, int] = {}
            self._monthly_limit = False
            self._used_tokens: set[str] = set()
            self._issued_tokens: dict[str, float] = {}
            self._retry_keys: dict[str, tuple[str, list[dict[str, str]]]] = {}
            self._menus: dict[str, dict[str, Any]] = {}
            self._menu_images: dict[str, tuple[str, bytes]] = {}
            self._default_menu: str | None = None

    @property
    def requests(self) -> list[Recorded]:
        """A snapshot of every request, accepted or not, in arrival order."""
        with self._lock:
            return list(self._requests)

    def _accepted(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path and 200 <= r.status < 300]

    def replies(self) -> list[Recorded]:
        return self._accepted(REPLY)

    def pushes(self) -> list[Recorded]:
        return self._accepted(PUSH)

    def loadings(self) -> list[Recorded]:
        return self._accepted(LOADING)

    def issue_reply_token(self, issued_at: float | None = None) -> str:
        """A reply token as LINE puts in a webhook event sent at ``issued_at`` (epoch seconds,
        default now): after ``REPLY_TOKEN_LIFE`` it is refused like an expired one. Tokens the
        stand-in did not issue never expire (only reuse is refused)."""
        token = secrets.token_hex(16)
        with self._lock:
            self._issued_tokens[token] = time.time() if issued_at is None else issued_at
        return token

    def fail_next(self, path: str, status: int, count: int = 1, message: str = "injected") -> None:
        """The next ``count`` requests to ``path`` answer ``status`` before any other check."""
        with self._lock:
            self._failures.setdefault(path, []).extend([(status, message)] * count)

    def monthly_limit(self, on: bool = True) -> None:
        """Pushes answer 429 as when the channel's monthly message quota is spent."""
        with self._lock:
            self._monthly_limit = on

    def set_delay(self, path: str, seconds: float) -> None:
        """Answer ``path`` only after ``seconds`` (to test timeouts and answering webhooks fast)."""
        with self._lock:
            self._delays[path] = seconds

    def set_latency(self, seconds: float) -> None:
        """Answer every request ``seconds`` late: LINE as far away as it is from a server."""
        with self._lock:
            self._latency = seconds

    def rate_limit(self, per_second: float | None, burst: int | None = None) -> None:
        """Refuse pushes over ``per_second`` with LINE's rate-limit 429 (None: no limit). A
        token bucket, as LINE describes its limits, holding ``burst`` (default: 50 ms worth)."""
        with self._lock:
            self._bucket = None if per_second is None else _TokenBucket(per_second, burst)

    def in_flight(self, path: str = PUSH) -> int:
        """Requests to ``path`` received and not yet answered."""
        with self._lock:
            return self._in_flight.get(path, 0)

    def peak_in_flight(self, path: str = PUSH) -> int:
        """The most requests to ``path`` that were being answered at once."""
        with self._lock:
            return self._peak.get(path, 0)

    def wait_for(self, predicate: Callable[[LineStandIn], bool], timeout: float = 5.0) -> bool:
        """Poll until ``predicate(self)``: the bot works after answering its webhook."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate(self):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    # request handling (runs on the server's loop)

    async def _stats(self, _request: web.Request) -> web.Response:
        return web.json_response(self.stats())

    def stats(self) -> dict[str, Any]:
        """Counts for the benchmark. ``rejected`` leaves out the answers a client is meant to
        take in its stride: 409 (already accepted) and the rate limit's 429."""
        requests = self.requests
        pushes = [r for r in requests if r.path == PUSH]
        accepted = [r for r in pushes if 200 <= r.status < 300]
        limited_keys = {r.headers.get("x-line-retry-key") for r in pushes if r.rate_limited}
        delivered_keys = {r.headers.get("x-line-retry-key") for r in accepted}
        return {
            "replies": sum(1 for r in requests if r.path == REPLY and 200 <= r.status < 300),
            "rejected": sum(1 for r in requests if r.status >= 400
                            and r.status != 409 and not r.rate_limited),
            "pushes": len(accepted),
            "pushed_to": len({r.json["to"] for r in accepted}),
            "duplicates": sum(1 for r in pushes if r.status == 409),
            "rate_limited": sum(1 for r in pushes if r.rate_limited),
            "rate_limited_then_delivered": len(limited_keys & delivered_keys),
            "first_push_at": min((r.answered_at for r in accepted), default=None),
            "last_push_at": max((r.answered_at for r in accepted), default=None),
            "peak_in_flight": self.peak_in_flight(PUSH),
        }  # fmt: skip

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body: Any = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            body = None
        headers = {k.lower(): v for k, v in request.headers.items()}
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        data_host = bool(sockname) and sockname[1] == self._data_port
        rec = Recorded(request.method, request.path, headers, body, status=0, raw=raw,
                       data_host=data_host)  # fmt: skip
        path = request.path
        with self._lock:
            self._requests.append(rec)
            delay = self._delays.get(path, 0.0) + self._latency
            # LINE counts a request against the limit when it arrives, and answers it later
            limited = path == PUSH and self._bucket is not None and not self._bucket.take()
            self._in_flight[path] = self._in_flight.get(path, 0) + 1
            self._peak[path] = max(self._peak.get(path, 0), self._in_flight[path])
        try:
            if delay:
                await asyncio.sleep(delay)
            response = _error(429, RATE_LIMITED) if limited else self._answer(rec)
        finally:
            with self._lock:
                self._in_flight[path] -= 1
        response.headers.setdefault("x-line-request-id", str(uuid.uuid4()))
        if response.status >= 400 and isinstance(response, web.Response) and response.body:
            rec.answer = json.loads(response.body).get("message", "")
        rec.answered_at = time.time()
        rec.status = response.status
        return response

    def _answer(self, rec: Recorded) -> web.Response:
        with self._lock:
            injected = self._failures.get(rec.path)
            if injected:
                status, message = injected.pop(0)
                return _error(status, message)
        if RICH_MENU_PATH.match(rec.path):
            if rec.headers.get("authorization") != f"Bearer {self.access_token}":
                return _error(401, UNAUTHORIZED)
            return self._rich_menu(rec)
        if rec.data_host or rec.path not in (REPLY, PUSH, LOADING, QUOTA, CONSUMPTION):
            return _error(404, "Not found")
        if rec.method != ("GET" if rec.path in (QUOTA, CONSUMPTION) else "POST"):
            return _error(405, "Method not allowed")
        if rec.headers.get("authorization") != f"Bearer {self.access_token}":
            return _error(401, UNAUTHORIZED)
        if rec.path == QUOTA:
            if self.quota is None:
                return web.json_response({"type": "none"})
            return web.json_response({"type": "limited", "value": self.quota})
        if rec.path == CONSUMPTION:
            return web.json_response({"totalUsage": self.used_before + len(self.pushes())})
        if not isinstance(rec.json, dict):
            return _error(400, "The request body must be a JSON object")
        if rec.path == LOADING:
            problems = _check_loading(rec.json)
            return _invalid(problems) if problems else web.json_response({}, status=202)
        return self._reply(rec.json) if rec.path == REPLY else self._push(rec.json, rec.headers)

    def _rich_menu(self, rec: Recorded) -> web.Response:
        """The rich-menu endpoints. Images go to and come from the content host only, as on
        LINE (api-data.line.me); everything else to the API host only."""
        m = RICH_MENU_PATH.match(rec.path)
        assert m is not None
        menu_id, tail = m.group("id") or m.group("id2"), m.group("tail")
        if rec.data_host != (tail == "/content"):
            return _error(404, "Not found")
        with self._lock:
            if m.group("all") and menu_id is None:  # the default menu
                if rec.method == "GET":
                    if self._default_menu is None:
                        return _error(404, "no default richmenu")
                    return web.json_response({"richMenuId": self._default_menu})
                if rec.method == "DELETE":
                    self._default_menu = None
                    return web.json_response({})
                return _error(405, "Method not allowed")
            if m.group("all"):
                if rec.method != "POST":
                    return _error(405, "Method not allowed")
                if menu_id not in self._menus:
                    return _error(404, "richmenu not found")
                if menu_id not in self._menu_images:
                    return _error(400, "must upload richmenu image before applying it to user")
                self._default_menu = menu_id
                return web.json_response({})
            if menu_id in (None, "list", "validate"):
                key = menu_id or ""
                if key == "list":
                    if rec.method != "GET":
                        return _error(405, "Method not allowed")
                    return web.json_response({"richmenus": [
                        {"richMenuId": i, **menu} for i, menu in self._menus.items()]})  # fmt: skip
                if rec.method != "POST":
                    return _error(405, "Method not allowed")
                problems = _check_rich_menu(rec.json)
                if problems:
                    return _invalid(problems)
                if key == "validate":
                    return web.json_response({})
                if len(self._menus) >= MAX_RICH_MENUS:
                    return _error(400, "richmenu limit exceeded")
                new_id = f"richmenu-{secrets.token_hex(16)}"
                self._menus[new_id] = rec.json
                return web.json_response({"richMenuId": new_id})
            if menu_id not in self._menus:
                return _error(404, "richmenu not found")
            if tail == "/content":
                return self._menu_image(rec, menu_id)
            if rec.method == "GET":
                return web.json_response({"richMenuId": menu_id, **self._menus[menu_id]})
            if rec.method == "DELETE":
                del self._menus[menu_id]
                self._menu_images.pop(menu_id, None)
                if self._default_menu == menu_id:
                    self._default_menu = None
                return web.json_response({})
            return _error(405, "Method not allowed")

    def _menu_image(self, rec: Recorded, menu_id: str) -> web.Response:
        """Upload (once) or download a menu's image: PNG or JPEG, ≤ 1 MB, the menu's size."""
        if rec.method == "GET":
            if menu_id not in self._menu_images:
                return _error(404, "Not found")
            kind, data = self._menu_images[menu_id]
            return web.Response(body=data, content_type=kind)
        if rec.method != "POST":
            return _error(405, "Method not allowed")
        kind = rec.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind not in ("image/png", "image/jpeg"):
            return _error(415, "Unsupported Media Type: the image must be image/png or image/jpeg")
        if len(rec.raw) > MAX_RICH_MENU_IMAGE:
            return _error(413, "Request Entity Too Large: the image must be at most 1 MB")
        size = _image_size(rec.raw)
        if size is None or ("png" in kind) != rec.raw.startswith(b"\x89PNG"):
            return _error(400, f"The image is not a valid {kind}")
        menu = self._menus[menu_id]["size"]
        if size != (menu["width"], menu["height"]):
            return _error(400, f"The image is {size[0]}x{size[1]}, the rich menu "
                               f"{menu['width']}x{menu['height']}: they must match")  # fmt: skip
        if menu_id in self._menu_images:
            return _error(400, "An image has already been uploaded to the richmenu")
        self._menu_images[menu_id] = (kind, rec.raw)
        return web.json_response({})

    def rich_menus(self) -> dict[str, dict[str, Any]]:
        """The menus that exist, by id."""
        with self._lock:
            return dict(self._menus)

    def default_rich_menu(self) -> str | None:
        with self._lock:
            return self._default_menu

    def rich_menu_image(self, menu_id: str) -> tuple[str, bytes] | None:
        """(content type, bytes) of the menu's image, if one was uploaded."""
        with self._lock:
            return self._menu_images.get(menu_id)

    def _sent(self, body: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
        count = len(body["messages"])
        with self._lock:
            first, self._next_id = self._next_id, self._next_id + count
        sent = [
            {"id": str(first + i), "quoteToken": secrets.token_urlsafe(16)} for i in range(count)
        ]
        return str(uuid.uuid4()), sent

    def _reply(self, body: dict[str, Any]) -> web.Response:
        token = body.get("replyToken")
        problems = _required(body, ("replyToken",), "") + _check_messages(body.get("messages"))
        if problems:
            return _invalid(problems)
        with self._lock:
            issued = self._issued_tokens.get(token)
            expired = issued is not None and time.time() - issued > REPLY_TOKEN_LIFE
            if token in self._used_tokens or expired:
                return _error(400, "Invalid reply token")
            self._used_tokens.add(token)
        request_id, sent = self._sent(body)
        return web.json_response({"sentMessages": sent}, headers={"x-line-request-id": request_id})

    def _push(self, body: dict[str, Any], headers: dict[str, str]) -> web.Response:
        key = headers.get("x-line-retry-key")
        problems = _required(body, ("to",), "") + _check_messages(body.get("messages"))
        if problems:
            return _invalid(problems)
        if key is not None and not UUID_RE.match(key):
            return _error(400, "The value for the 'X-Line-Retry-Key' header is invalid")
        with self._lock:
            if key is not None and key in self._retry_keys:
                accepted_id, sent = self._retry_keys[key]
                return web.json_response(
                    {"message": "The retry key is already accepted", "sentMessages": sent},
                    status=409,
                    headers={"x-line-accepted-request-id": accepted_id},
                )
            if self._monthly_limit:
                return _error(429, MONTHLY_LIMIT)
        request_id, sent = self._sent(body)
        if key is not None:
            with self._lock:
                self._retry_keys[key] = (request_id, sent)
        return web.json_response({"sentMessages": sent}, headers={"x-line-request-id": request_id})


def main() -> None:
    """`python -m bot.sim.standin TOKEN [--latency S] [--push-rate N]`: serve in this
    process (the benchmark runs it apart from its load generator); prints the port, then
    serves until killed."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("token")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    ap.add_argument("--push-rate", type=float, default=None, help="pushes/s before LINE's 429")
    args = ap.parse_args()
    standin = LineStandIn(access_token=args.token)
    standin.set_latency(args.latency)
    standin.rate_limit(args.push_rate)
    loop = asyncio.new_event_loop()
    port = loop.run_until_complete(standin._serve(stats=True))
    print(port, flush=True)
    loop.run_forever()


if __name__ == "__main__":
    main()
