"""The floor of the stack, for the benchmark: the smallest echo bot line-bot-sdk v3 + FastAPI
+ uvicorn allow. Verify the signature, parse, reply inline. Run: python -m tests.echo_bot PORT"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI, Request, Response
from linebot.v3.messaging import (
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import MessageEvent, TextMessageContent

parser = WebhookParser(os.environ["LINE_CHANNEL_SECRET"])
api: AsyncMessagingApi


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    global api
    config = Configuration(host=os.environ["LINE_API_BASE_URL"],
                           access_token=os.environ["LINE_CHANNEL_ACCESS_TOKEN"])  # fmt: skip
    client = AsyncApiClient(config)
    api = AsyncMessagingApi(client)
    yield
    await client.close()


app = FastAPI(lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/callback")
async def callback(request: Request) -> Response:
    body = (await request.body()).decode()
    for event in parser.parse(body, request.headers.get("x-line-signature", "")):
        if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
            await api.reply_message(ReplyMessageRequest(
                reply_token=event.reply_token, messages=[TextMessage(text=event.message.text)]))  # fmt: skip
    return Response("{}", media_type="application/json")


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
