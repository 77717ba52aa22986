"""Wait a night, end to end: the real webhook app, the real store, the stand-in LINE API, and
the dispatcher both in-process and as `python -m bot dispatch` / `serve` processes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.content import load_content
from bot.dispatcher import Dispatcher
from bot.line.client import Messenger
from bot.sim.standin import LineStandIn
from bot.store import repo
from bot.store.db import Database
from bot.store.models import Draft, Reminder, User
from tests.helpers import (
    REPO,
    SECRET,
    TOKEN,
    AppServer,
    ServeProcess,
    payload,
    postback_event,
    sign,
    text_event,
    unfollow_event,
)

JST = ZoneInfo("Asia/Tokyo")
NIGHT = datetime(2026, 11, 20, 1, 40, tzinfo=JST)
MORNING = datetime(2026, 11, 20, 8, 0, tzinfo=JST)
RISKY = "なんで急に冷たくなったの？最後に一回だけ会って話したい。お願いだから返事して"


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def dispatch(settings: Settings, now: datetime) -> int:
    """One in-process dispatch round against the stand-in, like `dispatch --now`."""

    async def run() -> int:
        messenger = Messenger(settings.line_api_base_url, TOKEN)
        await messenger.start()
        db = Database(settings.database_url)
        try:
            content = load_content(settings.content_dir)
            return await Dispatcher(db, content, messenger, settings).run_once(now)
        finally:
            await messenger.close()
            db.dispose()

    return asyncio.run(run())


def dispatch_cli(settings: Settings, now: datetime) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": settings.line_api_base_url, "DATABASE_URL": settings.database_url}  # fmt: skip
    return subprocess.run([sys.executable, "-m", "bot", "dispatch", "--now", now.isoformat()],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)  # fmt: skip


def hold_overnight(server: AppServer, line: LineStandIn, user: str = "Unight") -> dict:
    """A risky draft at 01:40, then the 朝 button. Returns the nudge reply's JSON."""
    server.post(payload(text_event(user, f"これ送っていい？「{RISKY}」", ts=ms(NIGHT))))
    assert line.wait_for(
        lambda s: (
            len([r for r in s.replies() if user in str(r.json)]) >= 0 and len(s.replies()) >= 1
        )
    )
    nudge = line.replies()[-1].json
    items = nudge["messages"][-1]["quickReply"]["items"]
    morning = next(i["action"] for i in items if "朝" in i["action"]["label"])
    assert morning["type"] == "postback"
    count = len(line.replies())
    server.post(payload(postback_event(user, morning["data"], ts=ms(NIGHT + timedelta(minutes=1)))))
    assert line.wait_for(lambda s: len(s.replies()) == count + 1)
    return nudge


def test_risky_draft_at_night_comes_back_once_next_morning(
    server: AppServer, line, settings
) -> None:
    nudge = hold_overnight(server, line)
    text = "\n".join(line.replies()[0].texts())
    assert "一晩置いてから送ろう" in text
    assert "なんで急に冷たくなったの" in text  # the reason quotes the draft
    assert "01:40" in text  # and names the late hour
    assert "預かった" in line.replies()[-1].texts()[0]
    assert nudge["messages"]

    assert dispatch(settings, NIGHT + timedelta(hours=1)) == 0  # 02:40: nothing yet
    assert line.pushes() == []
    assert dispatch(settings, MORNING) == 1
    [push] = line.pushes()
    assert push.json["to"] == "Unight"
    assert RISKY in push.texts()  # the exact draft, word for word
    labels = [i["action"]["label"] for i in push.json["messages"][-1]["quickReply"]["items"]]
    assert labels == ["送った", "書き直す", "やめておく"]
    assert dispatch(settings, MORNING + timedelta(minutes=5)) == 0
    assert dispatch(settings, MORNING + timedelta(days=2)) == 0
    assert len(line.pushes()) == 1


def test_the_outcome_is_recorded(server: AppServer, line, settings, core) -> None:
    hold_overnight(server, line)
    dispatch(settings, MORNING)
    [push] = line.pushes()
    dropped = next(i["action"] for i in push.json["messages"][-1]["quickReply"]["items"]
                   if i["action"]["label"] == "やめておく")  # fmt: skip
    count = len(line.replies())
    server.post(
        payload(postback_event("Unight", dropped["data"], ts=ms(MORNING + timedelta(minutes=3))))
    )
    assert line.wait_for(lambda s: len(s.replies()) == count + 1)
    with core.db.session() as s:
        draft = s.execute(select(Draft)).scalar_one()
    assert (draft.status, draft.outcome) == ("returned", "dropped")


def test_dispatch_command_line(server: AppServer, line, settings) -> None:
    hold_overnight(server, line)
    early = dispatch_cli(settings, NIGHT + timedelta(hours=1))
    assert early.returncode == 0 and early.stdout.strip() == "0"
    due = dispatch_cli(settings, MORNING)
    assert due.returncode == 0 and due.stdout.strip() == "1", due.stderr
    assert dispatch_cli(settings, MORNING).stdout.strip() == "0"
    assert len(line.pushes()) == 1
    bad = dispatch_cli(settings, MORNING)
    assert bad.returncode == 0


def test_line_failing_twice_then_delivered_once(server: AppServer, line, settings) -> None:
    hold_overnight(server, line)
    line.fail_next("/v2/bot/message/push", 500, count=2)
    assert dispatch(settings, MORNING) == 0
    assert dispatch(settings, MORNING + timedelta(seconds=10)) == 0  # backing off: not retried yet
    assert dispatch(settings, MORNING + timedelta(minutes=1)) == 0  # second failure
    assert dispatch(settings, MORNING + timedelta(minutes=5)) == 1
    attempts = [r for r in line.requests if r.path == "/v2/bot/message/push"]
    assert [r.status for r in attempts] == [500, 500, 200]
    assert len({r.headers["x-line-retry-key"] for r in attempts}) == 1  # one stable key
    assert dispatch(settings, MORNING + timedelta(hours=1)) == 0


def test_monthly_limit_is_recorded_not_retried_forever(
    server: AppServer, line, settings, core
) -> None:
    hold_overnight(server, line)
    line.monthly_limit(True)
    assert dispatch(settings, MORNING) == 0
    line.monthly_limit(False)
    for hours in (1, 5, 24):
        assert dispatch(settings, MORNING + timedelta(hours=hours)) == 0
    assert len([r for r in line.requests if r.path == "/v2/bot/message/push"]) == 1
    with core.db.session() as s:
        reminder = s.execute(select(Reminder)).scalar_one()
    assert (reminder.status, reminder.last_error) == ("failed", "quota")


def test_crash_after_the_push_left_is_not_sent_twice(
    server: AppServer, line, settings, core
) -> None:
    """kill -9 between LINE accepting the push and the store recording it: the row stays
    `sending`; after the lease it is retried with the same key, LINE says 409, done."""
    hold_overnight(server, line)
    with core.db.session() as s:
        [due] = repo.claim_due(s, MORNING, timedelta(minutes=2))
    content = load_content(settings.content_dir)

    async def push_then_die() -> None:
        from bot.line.render import to_messages
        from bot.reminders import compose

        messenger = Messenger(settings.line_api_base_url, TOKEN)
        await messenger.start()
        await messenger.push(due.line_user_id, to_messages(*compose(content, due)), due.retry_key)
        await messenger.close()

    asyncio.run(push_then_die())  # ...and the process "dies" before recording it
    assert dispatch(settings, MORNING + timedelta(minutes=1)) == 0  # still leased
    assert dispatch(settings, MORNING + timedelta(minutes=3)) == 1  # re-claimed: 409 = delivered
    assert len(line.pushes()) == 1
    assert [r.status for r in line.requests if r.path == "/v2/bot/message/push"] == [200, 409]


def test_server_killed_right_after_holding_still_delivers(line, tmp_path) -> None:
    db_url = f"sqlite:///{tmp_path / 'kill.db'}"
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": line.base_url, "DATABASE_URL": db_url}  # fmt: skip
    proc = ServeProcess(env, "--no-dispatcher").start()
    import httpx

    def post(body: bytes) -> None:
        r = httpx.post(
            proc.url + "/callback", content=body, headers={"x-line-signature": sign(body)}
        )
        assert r.status_code == 200

    post(payload(text_event("Ukill", f"下書き：{RISKY}", ts=ms(NIGHT))))
    assert line.wait_for(lambda s: len(s.replies()) == 1, timeout=10)
    post(payload(postback_event("Ukill", "hold:morning", ts=ms(NIGHT + timedelta(minutes=1)))))
    assert line.wait_for(lambda s: len(s.replies()) == 2, timeout=10)
    proc.kill()  # SIGKILL, no shutdown
    settings = Settings(line_api_base_url=line.base_url, database_url=db_url, _env_file=None)
    assert dispatch(settings, MORNING) == 1
    assert RISKY in line.pushes()[0].texts()


def test_serve_dispatches_in_process(line, tmp_path) -> None:
    db_url = f"sqlite:///{tmp_path / 'inproc.db'}"
    db = Database(db_url)
    db.migrate()
    now = datetime.now(JST)
    with db.session() as s:
        user = repo.lock_user(s, "Uinproc", now)
        repo.hold_draft(s, user, "おはよう、元気？", [], now - timedelta(minutes=1), now)
    db.dispose()
    env = {"LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_API_BASE_URL": line.base_url, "DATABASE_URL": db_url}  # fmt: skip
    proc = ServeProcess(env).start()
    try:
        assert line.wait_for(lambda s: len(s.pushes()) == 1, timeout=15)
    finally:
        proc.stop()
    assert "おはよう、元気？" in line.pushes()[0].texts()


def test_unfollow_before_morning_pushes_nothing(server: AppServer, line, settings, core) -> None:
    hold_overnight(server, line)
    server.post(payload(unfollow_event("Unight", ts=ms(NIGHT + timedelta(hours=2)))))
    server.settle()
    assert dispatch(settings, MORNING) == 0
    assert line.pushes() == []
    with core.db.session() as s:
        assert s.execute(select(Draft)).first() is None and s.execute(select(User)).first() is None


def test_cancel_calls_off_the_held_draft(server: AppServer, line, settings, core) -> None:
    hold_overnight(server, line)
    count = len(line.replies())
    server.post(
        payload(
            text_event(
                "Unight",
                "やっぱりリマインドいらない、キャンセルで",
                ts=ms(NIGHT + timedelta(minutes=5)),
            )
        )
    )
    assert line.wait_for(lambda s: len(s.replies()) == count + 1)
    assert "取り消した" in line.replies()[-1].texts()[0]
    assert dispatch(settings, MORNING) == 0
    with core.db.session() as s:
        assert s.execute(select(Draft)).first() is None


def test_a_picked_time_from_the_datetime_picker(server: AppServer, line, settings) -> None:
    server.post(payload(text_event("Upick", f"下書き：{RISKY}", ts=ms(NIGHT))))
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    items = line.replies()[0].json["messages"][-1]["quickReply"]["items"]
    picker = next(i["action"] for i in items if i["action"]["type"] == "datetimepicker")
    server.post(payload(postback_event("Upick", picker["data"], {"datetime": "2026-11-21T19:30"},
                                       ts=ms(NIGHT + timedelta(minutes=1)))))  # fmt: skip
    assert line.wait_for(lambda s: len(s.replies()) == 2)
    assert "19:30" in line.replies()[1].texts()[0]
    assert dispatch(settings, datetime(2026, 11, 21, 19, 0, tzinfo=JST)) == 0
    assert dispatch(settings, datetime(2026, 11, 21, 19, 30, tzinfo=JST)) == 1


def test_a_light_daytime_draft_passes_without_a_nudge(server: AppServer, line) -> None:
    noon = datetime(2026, 11, 20, 12, 30, tzinfo=JST)
    server.post(
        payload(text_event("Ulight", "「元気にしてる？」って送ってもいいかな", ts=ms(noon)))
    )
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    text = "\n".join(line.replies()[0].texts())
    assert "一晩置いてから" not in text and "追いLINE" in text


@pytest.mark.postgres
def test_two_dispatchers_on_postgresql_send_each_reminder_once(postgres_url, line) -> None:
    db = Database(postgres_url)
    db.migrate()
    with db.session() as s:
        for n in range(40):
            user = repo.lock_user(s, f"Upg{n:03d}", NIGHT)
            repo.hold_draft(s, user, f"下書き{n}", ["late"], MORNING, NIGHT)
    db.dispose()
    line.set_delay("/v2/bot/message/push", 0.02)
    settings = Settings(line_api_base_url=line.base_url, database_url=postgres_url, _env_file=None)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(dispatch(settings, MORNING)))
               for _ in range(2)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pushes = line.pushes()
    assert sum(results) == 40 and len(pushes) == 40
    assert len({p.json["to"] for p in pushes}) == 40


def test_checkins_wait_out_quiet_hours(settings, line) -> None:
    db = Database(settings.database_url)
    db.migrate()
    late = datetime(2026, 11, 20, 23, 0, tzinfo=JST)
    with db.session() as s:
        user = repo.lock_user(s, "Uquiet", late)
        repo.schedule_checkin(s, user, late - timedelta(hours=1), "冷却期間の半分まで来たよ", late)
    db.dispose()
    assert dispatch(settings, late) == 0  # 23:00: not a time to push what nobody timed
    assert dispatch(settings, datetime(2026, 11, 21, 7, 59, tzinfo=JST)) == 0
    assert dispatch(settings, datetime(2026, 11, 21, 8, 0, tzinfo=JST)) == 1
    assert line.pushes()[0].texts() == ["冷却期間の半分まで来たよ"]


def test_the_picker_offers_only_times_the_bot_accepts(server: AppServer, line, settings) -> None:
    """At 01:40:30 the picker starts at the suggested morning, allows from 01:41 (now, rounded
    up) to the hold limit a month on; LINE (the stand-in) accepts the bounds; a time past
    `max` sent anyway is refused and a time at `min` is held."""
    at = NIGHT + timedelta(seconds=30)
    server.post(payload(text_event("Ubound", f"下書き：{RISKY}", ts=ms(at))))
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    items = line.replies()[0].json["messages"][-1]["quickReply"]["items"]
    picker = next(i["action"] for i in items if i["action"]["type"] == "datetimepicker")
    assert picker["initial"] == "2026-11-20T08:00"
    assert picker["min"] == "2026-11-20T01:41"
    assert picker["max"] == "2026-12-20T01:40"
    server.post(payload(postback_event("Ubound", picker["data"], {"datetime": "2026-12-20T01:41"},
                                       ts=ms(at + timedelta(seconds=10)))))  # fmt: skip
    assert line.wait_for(lambda s: len(s.replies()) == 2)
    assert "選べない" in line.replies()[1].texts()[0]
    menu = line.replies()[1].json["messages"][-1]["quickReply"]["items"]
    assert any(i["action"]["type"] == "datetimepicker" for i in menu)  # asked again
    server.post(payload(postback_event("Ubound", picker["data"], {"datetime": picker["min"]},
                                       ts=ms(at + timedelta(seconds=20)))))  # fmt: skip
    assert line.wait_for(lambda s: len(s.replies()) == 3)
    assert "1:41" in "".join(line.replies()[2].texts())
    assert dispatch(settings, datetime(2026, 11, 20, 1, 41, tzinfo=JST)) == 1


def quick_action(reply: dict, label: str) -> dict:
    items = reply["messages"][-1]["quickReply"]["items"]
    return next(i["action"] for i in items if i["action"]["label"] == label)


def test_rewrite_opens_the_keyboard_with_the_draft_in_it(server: AppServer, line) -> None:
    server.post(payload(text_event("Ukb", f"下書き：{RISKY}", ts=ms(NIGHT))))
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    rewrite = quick_action(line.replies()[0].json, "書き直す")
    assert rewrite["inputOption"] == "openKeyboard"
    assert rewrite["fillInText"] == RISKY  # the draft itself, to edit
    server.post(
        payload(postback_event("Ukb", rewrite["data"], ts=ms(NIGHT + timedelta(minutes=1))))
    )
    assert line.wait_for(lambda s: len(s.replies()) == 2)
    assert "入力欄" in line.replies()[1].texts()[0]
    edited = (
        "なんで急に冷たくなったの？一回だけ話したい。返事はいつでもいいよ"  # edited in the keyboard
    )
    server.post(payload(text_event("Ukb", edited, ts=ms(NIGHT + timedelta(minutes=3)))))
    assert line.wait_for(lambda s: len(s.replies()) == 3)
    again = quick_action(line.replies()[2].json, "書き直す")
    assert again["fillInText"] == edited  # read as the new draft


def test_a_draft_over_300_characters_is_asked_for_again(server: AppServer, line) -> None:
    long = RISKY + "。ずっと考えてた" * 40
    server.post(payload(text_event("Ulong", f"下書き：{long}", ts=ms(NIGHT))))
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    rewrite = quick_action(line.replies()[0].json, "書き直す")
    assert "inputOption" not in rewrite and "fillInText" not in rewrite
    server.post(
        payload(postback_event("Ulong", rewrite["data"], ts=ms(NIGHT + timedelta(minutes=1))))
    )
    assert line.wait_for(lambda s: len(s.replies()) == 2)
    assert "書けたらまた見せて" in line.replies()[1].texts()[0]


def test_the_morning_rewrite_opens_the_keyboard_too(server: AppServer, line, settings) -> None:
    hold_overnight(server, line)
    assert dispatch(settings, MORNING) == 1
    rewrite = quick_action(line.pushes()[-1].json, "書き直す")
    assert rewrite["inputOption"] == "openKeyboard" and rewrite["fillInText"] == RISKY


def test_held_drafts_are_listed_and_one_can_be_called_off(
    server: AppServer, line, settings
) -> None:
    """預けた下書き (the rich menu's postback): each held draft with the time it comes back,
    and a button per draft; calling off one leaves the other to come back."""
    first, second = RISKY, "会いたい。今から家の近くまで行ってもいい？ずっと待ってる"
    t = NIGHT
    for text, button in ((first, "hold:morning"), (second, "hold:3d")):
        n = len(line.replies())
        server.post(payload(text_event("Ulist", f"下書き：{text}", ts=ms(t))))
        server.post(payload(postback_event("Ulist", button, ts=ms(t + timedelta(seconds=30)))))
        assert line.wait_for(lambda s, n=n: len(s.replies()) == n + 2)
        t += timedelta(minutes=2)
    n = len(line.replies())
    server.post(payload(postback_event("Ulist", "intent:request:show_held", ts=ms(t))))
    assert line.wait_for(lambda s: len(s.replies()) == n + 1)
    listing = line.replies()[-1]
    shown = "\n".join(listing.texts())
    assert "2通" in shown
    assert "① 11月20日(金) 8:00に返す" in shown and first in shown
    assert "② 11月23日(月) 8:00に返す" in shown and second in shown
    cancel_first = quick_action(listing.json, "①を取り消す")
    assert quick_action(listing.json, "②を取り消す")["data"] != cancel_first["data"]
    server.post(
        payload(postback_event("Ulist", cancel_first["data"], ts=ms(t + timedelta(minutes=1))))
    )
    assert line.wait_for(lambda s: len(s.replies()) == n + 2)
    assert "11月20日(金) 8:00に返す予定だった下書きを取り消した" in line.replies()[-1].texts()[0]
    # the same button again: nothing left to call off, said plainly
    server.post(
        payload(postback_event("Ulist", cancel_first["data"], ts=ms(t + timedelta(minutes=2))))
    )
    assert line.wait_for(lambda s: len(s.replies()) == n + 3)
    assert "もう返したか取り消してある" in line.replies()[-1].texts()[0]
    assert dispatch(settings, MORNING) == 0  # the first is not given back
    server.post(payload(postback_event("Ulist", "intent:request:show_held", ts=ms(MORNING))))
    assert line.wait_for(lambda s: len(s.replies()) == n + 4)
    shown = "\n".join(line.replies()[-1].texts())
    assert "1通" in shown and second in shown and first not in shown
    assert dispatch(settings, datetime(2026, 11, 23, 8, 0, tzinfo=JST)) == 1
    assert second in "\n".join(line.pushes()[-1].texts())


def test_a_draft_of_another_user_cannot_be_called_off(server: AppServer, line, core) -> None:
    hold_overnight(server, line, user="Uowner")
    with core.db.session() as s:
        draft_id = s.execute(select(Draft.id)).scalar_one()
    server.post(payload(text_event("Uother", f"下書き：{RISKY}", ts=ms(NIGHT))))
    server.post(
        payload(postback_event("Uother", "hold:morning", ts=ms(NIGHT + timedelta(seconds=5))))
    )
    assert line.wait_for(lambda s: len(s.replies()) == 4)
    server.post(payload(postback_event("Uother", f"held:cancel:{draft_id}",
                                       ts=ms(NIGHT + timedelta(minutes=1)))))  # fmt: skip
    assert line.wait_for(lambda s: len(s.replies()) == 5)
    assert "もう返したか取り消してある" in line.replies()[-1].texts()[0]
    with core.db.session() as s:
        assert s.get(Draft, draft_id) is not None


def test_the_morning_push_quotes_the_draft_message(server: AppServer, line, settings) -> None:
    """The draft is given back right under the user's own 1 a.m. message (its quoteToken),
    whether held by the button later or by words in the same message; LINE accepts it."""
    draft = text_event("Uquote", f"下書き：{RISKY}", ts=ms(NIGHT))
    server.post(payload(draft))
    assert line.wait_for(lambda s: len(s.replies()) == 1)
    server.post(
        payload(postback_event("Uquote", "hold:morning", ts=ms(NIGHT + timedelta(minutes=1))))
    )
    same = text_event("Uquote2", "明日の朝これ送りたいから預かっといて「急にごめん、この前借りた本返したい」",
                      ts=ms(NIGHT))  # fmt: skip
    server.post(payload(same))
    assert line.wait_for(lambda s: len(s.replies()) == 3)
    assert dispatch(settings, MORNING) == 2
    pushes = {p.json["to"]: p.json["messages"] for p in line.pushes()}
    for user, event, text in (
        ("Uquote", draft, RISKY),
        ("Uquote2", same, "この前借りた本返したい"),
    ):
        quoted = [m for m in pushes[user] if "quoteToken" in m]
        assert [m["quoteToken"] for m in quoted] == [event["message"]["quoteToken"]]
        assert text in quoted[0]["text"]  # the draft itself, not the intro


def test_a_draft_that_came_without_a_quote_token_is_pushed_without_one(
    server: AppServer, line, settings
) -> None:
    event = text_event("Unoquote", f"下書き：{RISKY}", ts=ms(NIGHT))
    del event["message"]["quoteToken"]  # as from before LINE sent quote tokens
    server.post(payload(event))
    server.post(
        payload(postback_event("Unoquote", "hold:morning", ts=ms(NIGHT + timedelta(minutes=1))))
    )
    assert line.wait_for(lambda s: len(s.replies()) == 2)
    assert dispatch(settings, MORNING) == 1
    assert all("quoteToken" not in m for m in line.pushes()[-1].json["messages"])


def test_a_draft_held_three_days_is_not_called_last_nights(
    server: AppServer, line, settings
) -> None:
    """「3日後の朝」: the push says how long it was held, not 「昨夜」 or 「一晩たって」."""
    server.post(payload(text_event("U3days", f"下書き：{RISKY}", ts=ms(NIGHT))))
    server.post(payload(postback_event("U3days", "hold:3d", ts=ms(NIGHT + timedelta(minutes=1)))))
    assert line.wait_for(lambda s: len(s.replies()) == 2)
    assert dispatch(settings, MORNING + timedelta(days=2)) == 0
    assert dispatch(settings, MORNING + timedelta(days=3)) == 1
    intro, draft, reread = line.pushes()[-1].texts()
    assert draft == RISKY
    assert "3日前" in intro and "昨夜" not in intro
    assert "3日たって" in reread and "一晩" not in reread


def test_a_draft_held_on_a_crisis_night_comes_back_asking_how_they_are(
    server: AppServer, line, settings
) -> None:
    """A draft held the night they said they wanted to disappear: the morning push first asks
    how they are and says the draft can wait, rather than a bright 「おはよう」 and the draft."""
    server.post(payload(text_event("Uhard", "もう消えたい", ts=ms(NIGHT))))
    server.post(payload(text_event("Uhard", f"下書き：{RISKY}",
                                   ts=ms(NIGHT + timedelta(minutes=5)))))  # fmt: skip
    server.post(
        payload(postback_event("Uhard", "hold:morning", ts=ms(NIGHT + timedelta(minutes=6))))
    )
    assert line.wait_for(lambda s: len(s.replies()) == 3)
    assert "預かった" in "".join(line.replies()[-1].texts())
    assert dispatch(settings, MORNING) == 1
    intro = line.pushes()[-1].texts()[0]
    assert "休めたかな" in intro and "あとでいい" in intro
    assert "おはよう。昨夜" not in intro
