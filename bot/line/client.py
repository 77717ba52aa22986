"""The Messaging API calls the bot makes (reply, push, loading indicator), through
line-bot-sdk's async client. Outcomes are classified, counted and logged here; nothing raises
into the caller, so a failed send never takes a worker down."""

from __future__ import annotations

import enum
import logging
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    Message,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import ApiException

from bot import metrics
from bot.logs import user_ref

log = logging.getLogger(__name__)
TIMEOUT = aiohttp.ClientTimeout(total=10)
REPLY_PATH = "/v2/bot/message/reply"
PUSH_PATH = "/v2/bot/message/push"
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


@dataclass(frozen=True, slots=True)
class Quota:
    """LINE's figures for this month's pushes: `limit` None means no limit."""

    limit: int | None
    used: int

    @property
    def left(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


class SendResult(enum.Enum):
    OK = "ok"
    DUPLICATE = "duplicate"  # 409: a push with this retry key was already accepted
    QUOTA = "quota"  # 429 monthly limit: retrying will not help this month
    RATE_LIMITED = "rate_limited"  # 429 rate limit: too many requests this second, retry soon
    RETRY = "retry"  # 5xx, network: try again later
    EXPIRED = "expired"  # 400 "Invalid reply token": expired, or used already
    REJECTED = "rejected"  # other 4xx: the request itself is wrong


def classify_error(exc: BaseException) -> SendResult:
    if isinstance(exc, ApiException):
        status = exc.status or 0
        if status == 409:
            return SendResult.DUPLICATE
        if status == 429:  # two kinds, told apart by LINE's message only
            limit = "monthly limit" in _body(exc).lower()
            return SendResult.QUOTA if limit else SendResult.RATE_LIMITED
        if status >= 500:
            return SendResult.RETRY
        if status == 400 and "invalid reply token" in _body(exc).lower():
            return SendResult.EXPIRED
        return SendResult.REJECTED
    return SendResult.RETRY  # network errors, timeouts


def _body(exc: ApiException) -> str:
    return exc.body.decode(errors="replace") if isinstance(exc.body, bytes) else str(exc.body or "")


def _json(messages: Sequence[Message | dict[str, Any]]) -> list[dict[str, Any]]:
    return [m if isinstance(m, dict) else m.to_dict() for m in messages]


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for `url` (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), if any."""
    parts = urlsplit(url)
    if urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return urllib.request.getproxies().get(parts.scheme)


class Messenger:
    """Owns the SDK client. Create it, then `await start()` inside the running event loop."""

    def __init__(self, base_url: str, access_token: str, extra_connections: int = 0) -> None:
        """`extra_connections`: room in the pool for pushes in flight, over the SDK's default
        (5 per core), so a burst of reminders neither waits on nor starves the replies."""
        self._config = Configuration(host=base_url.rstrip("/"), access_token=access_token)
        self._config.proxy = proxy_for(self._config.host)
        self._config.connection_pool_maxsize += extra_connections
        self._client: AsyncApiClient | None = None
        self._api: AsyncMessagingApi | None = None

    async def start(self) -> None:
        self._client = AsyncApiClient(self._config)
        # The SDK's session trusts the environment, so aiohttp re-reads ~/.netrc (on a worker
        # thread) and rescans os.environ for proxies on every request: a third of a reply's
        # cost. The proxy is read once, above; a bearer-token API has no use for netrc.
        rest = self._client.rest_client
        await rest.pool_manager.close()
        rest.pool_manager = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._config.connection_pool_maxsize),
            trust_env=False,
        )
        self._api = AsyncMessagingApi(self._client)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = self._api = None

    @property
    def api(self) -> AsyncMessagingApi:
        if self._api is None:
            raise RuntimeError("Messenger.start() was not awaited")
        return self._api

    async def reply(
        self, reply_token: str, messages: Sequence[Message | dict[str, Any]]
    ) -> SendResult:
        """Reply with SDK message models or their JSON (`render.to_payload`).

        Sent through the SDK client's `call_api`, the layer under `reply_message`: same
        connection pool, auth and ApiException, but without `ReplyMessageRequest.to_dict()`,
        which serializes every message twice through pydantic, nor the response's parsing."""
        body = {"replyToken": reply_token, "messages": _json(messages)}
        try:
            await self._post(REPLY_PATH, body, JSON_HEADERS)
        except (TimeoutError, ApiException, aiohttp.ClientError) as exc:
            return self._failed("reply", exc)
        metrics.SENT.labels("reply").inc()
        return SendResult.OK

    async def push(
        self, to: str, messages: Sequence[Message | dict[str, Any]], retry_key: str
    ) -> SendResult:
        """Push with LINE's retry key: a second push with the same key is answered 409 and not
        delivered twice. Sent like `reply` (a burst of reminders is thousands of pushes)."""
        body = {"to": to, "messages": _json(messages)}
        try:
            await self._post(PUSH_PATH, body, {**JSON_HEADERS, "X-Line-Retry-Key": retry_key})
        except (TimeoutError, ApiException, aiohttp.ClientError) as exc:
            result = self._failed("push", exc, user=to)
            if result is SendResult.DUPLICATE:
                metrics.SENT.labels("push").inc()  # LINE had it already: delivered
            return result
        metrics.SENT.labels("push").inc()
        return SendResult.OK

    async def _post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        await self.api.api_client.call_api(
            path, "POST", header_params=dict(headers), body=body, auth_settings=["Bearer"],
            response_types_map={}, _return_http_data_only=True, _request_timeout=TIMEOUT,
        )  # fmt: skip

    async def quota(self) -> Quota | None:
        """This month's push quota and use (`GET /v2/bot/message/quota` and `/consumption`);
        None when LINE could not be asked (logged)."""
        try:
            quota = await self.api.get_message_quota(_request_timeout=TIMEOUT)
            used = await self.api.get_message_quota_consumption(_request_timeout=TIMEOUT)
        except (TimeoutError, ApiException, aiohttp.ClientError) as exc:
            log.warning("push quota read failed", extra={"error": type(exc).__name__,
                                                         "status": getattr(exc, "status", None)})  # fmt: skip
            return None
        limit = quota.value if quota.type == "limited" else None
        return Quota(limit, used.total_usage)

    async def show_loading(self, chat_id: str, seconds: int = 20) -> None:
        request = ShowLoadingAnimationRequest(chat_id=chat_id, loading_seconds=seconds)
        try:
            await self.api.show_loading_animation(request, _request_timeout=TIMEOUT)
        except (TimeoutError, ApiException, aiohttp.ClientError) as exc:
            self._failed("loading", exc, user=chat_id)

    @staticmethod
    def _failed(kind: str, exc: BaseException, user: str | None = None) -> SendResult:
        result = classify_error(exc)
        status = getattr(exc, "status", None)
        if result is not SendResult.DUPLICATE:
            metrics.SEND_FAILED.labels(kind, result.value).inc()
        log.warning(
            f"{kind} failed",
            extra={
                "result": result.value,
                "status": status,
                "error": type(exc).__name__,
                **({"user": user_ref(user)} if user else {}),
            },
        )
        return result
