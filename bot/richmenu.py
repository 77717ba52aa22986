"""The bot's rich menu: its definition from content/richmenu.yaml, and `python -m bot
richmenu`, which makes it LINE's default for every user.

The menu is created, its image uploaded to the content host (LINE_API_DATA_BASE_URL), set as
the default, and only then are the menus made before (same name) deleted: a failed run leaves
the old menu in place, and two runs leave one menu."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    RichMenuRequest,
)

from bot.line.client import proxy_for

log = logging.getLogger(__name__)
MAX_CHAT_BAR = 14


@dataclass(frozen=True, slots=True)
class MenuSpec:
    name: str
    chat_bar_text: str
    width: int
    height: int
    columns: int
    image: Path
    areas: list[dict[str, Any]]  # label, icon, action (LINE's JSON)

    def rows(self) -> int:
        return -(-len(self.areas) // self.columns)

    def bounds(self, index: int) -> dict[str, int]:
        """The area's rectangle: the grid's cell, the last column and row taking the rest."""
        col, row = index % self.columns, index // self.columns
        w, h = self.width // self.columns, self.height // self.rows()
        x, y = col * w, row * h
        width = self.width - x if col == self.columns - 1 else w
        height = self.height - y if row == self.rows() - 1 else h
        return {"x": x, "y": y, "width": width, "height": height}

    def request(self) -> dict[str, Any]:
        """The rich menu object LINE's `POST /v2/bot/richmenu` takes."""
        return {
            "size": {"width": self.width, "height": self.height},
            "selected": False,
            "name": self.name,
            "chatBarText": self.chat_bar_text,
            "areas": [{"bounds": self.bounds(i), "action": dict(a["action"])}
                      for i, a in enumerate(self.areas)],
        }  # fmt: skip


def load_spec(content_dir: Path) -> MenuSpec:
    data = yaml.safe_load((content_dir / "richmenu.yaml").read_text(encoding="utf-8"))
    size = data["size"]
    return MenuSpec(
        name=str(data["name"]),
        chat_bar_text=str(data["chatBarText"]),
        width=int(size["width"]),
        height=int(size["height"]),
        columns=int(data.get("columns", 3)),
        image=content_dir / str(data["image"]),
        areas=list(data["areas"]),
    )


def image_type(data: bytes) -> str:
    return "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"


def install(spec: MenuSpec, base_url: str, data_base_url: str, access_token: str) -> str:
    """Create the menu, upload its image, make it the default, delete the earlier ones made
    by this command (same name). Returns the new menu's id. Raises the SDK's ApiException
    when LINE refuses a step (the earlier menu then stays the default)."""
    image = spec.image.read_bytes()
    api_config = _config(base_url, access_token)
    data_config = _config(data_base_url, access_token)
    with ApiClient(api_config) as client, ApiClient(data_config) as data_client:
        api, blob = MessagingApi(client), MessagingApiBlob(data_client)
        menu_id = api.create_rich_menu(RichMenuRequest.from_dict(spec.request())).rich_menu_id
        try:
            blob.set_rich_menu_image(menu_id, image,
                                     _headers={"Content-Type": image_type(image)})  # fmt: skip
            api.set_default_rich_menu(menu_id)
        except Exception:
            api.delete_rich_menu(menu_id)  # not left half-made
            raise
        for old in api.get_rich_menu_list().richmenus:
            if old.name == spec.name and old.rich_menu_id != menu_id:
                api.delete_rich_menu(old.rich_menu_id)
                log.info("old rich menu deleted", extra={"rich_menu": old.rich_menu_id})
    return menu_id


def _config(url: str, token: str) -> Configuration:
    config = Configuration(host=url.rstrip("/"), access_token=token)
    config.proxy = proxy_for(config.host)
    return config
