"""`make screenshot`: the README's picture of the simulator (docs/sim.png), taken in headless
Chromium after a short conversation: advice drawn as a card, a draft and its quick replies."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bot.config import Settings
from bot.sim.app import build_app, sim_settings
from bot.sim.standin import LineStandIn
from tests.browser import chromium
from tests.helpers import REPO, AppServer, free_port
from tests.test_sim_browser import answered, bot_bubbles, say

RISKY = "なんで急に冷たくなったの？最後に一回だけ会って話したい"


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp, LineStandIn(access_token="sim-token") as standin:
        settings = sim_settings(Settings(_env_file=None, database_url=f"sqlite:///{tmp}/s.db"),
                                standin)  # fmt: skip
        port = free_port()
        server = AppServer(build_app(settings, standin, f"http://127.0.0.1:{port}/callback"),
                           port).start()  # fmt: skip
        driver = chromium()
        try:
            driver.set_window_size(1000, 900)
            driver.get(server.url + "/")
            answered(driver, 0)
            for text in ("元カノに復縁を断られた。もう一度連絡してもいい？",
                         f"これ送っていい？「{RISKY}」"):  # fmt: skip
                before = len(bot_bubbles(driver))
                say(driver, text)
                answered(driver, before)
            driver.save_screenshot(str(out))
        finally:
            driver.quit()
            server.stop()
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "sim.png")
