"""Draws the rich menu's image from content/richmenu.yaml: `python -m bot.richmenu_image`
(or `make richmenu-image`) rewrites content/richmenu.png, which is committed.

A build step, not a runtime one: it needs Pillow (a dev dependency) and a CJK font
(`fc-list :lang=ja`; on Debian/Ubuntu `apt-get install fonts-noto-cjk`). LINE takes the
image at the menu's exact size, PNG or JPEG, at most 1 MB; a flat palette keeps it small."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.richmenu import MenuSpec, load_spec

MAX_BYTES = 1024 * 1024
BACKGROUND = "#F7F3EE"
TILE = ("#FFFFFF", "#FBF7F2")
INK = "#3A3A4A"
ACCENT = "#6C7FB8"
LINE_COLOR = "#E2DAD0"


def find_font() -> str:
    """A Japanese sans-serif font file (bold when there is one)."""
    out = subprocess.run(["fc-list", ":lang=ja", "file", "style"], capture_output=True,
                         text=True, check=False).stdout  # fmt: skip
    files = [line.split(":")[0] for line in out.splitlines() if "Sans" in line]
    bold = [f for f in files if "Bold" in f]
    if not files:
        raise SystemExit("no Japanese font found: apt-get install -y fonts-noto-cjk")
    return (bold or files)[0]


def draw(spec: MenuSpec, font_path: str) -> Image.Image:
    image = Image.new("RGB", (spec.width, spec.height), BACKGROUND)
    pen = ImageDraw.Draw(image)
    label_font = ImageFont.truetype(font_path, 104)
    icon_font = ImageFont.truetype(font_path, 200)
    for i, area in enumerate(spec.areas):
        b = spec.bounds(i)
        x0, y0, x1, y1 = b["x"], b["y"], b["x"] + b["width"], b["y"] + b["height"]
        pen.rectangle((x0, y0, x1, y1), fill=TILE[(i + i // spec.columns) % 2])
        pen.rectangle((x0, y0, x1, y1), outline=LINE_COLOR, width=4)
        cx, cy = (x0 + x1) // 2, (y0 + y1) // 2
        r = 150
        pen.ellipse((cx - r, cy - r - 110, cx + r, cy + r - 110), fill=ACCENT)
        pen.text((cx, cy - 110), str(area.get("icon", "")), font=icon_font, fill="white",
                 anchor="mm")  # fmt: skip
        pen.text((cx, cy + 170), str(area["label"]), font=label_font, fill=INK, anchor="mm")
    return image


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--content", type=Path, default=Path("content"))
    ap.add_argument("--font", help="a CJK font file (default: found with fc-list)")
    args = ap.parse_args()
    spec = load_spec(args.content)
    image = draw(spec, args.font or find_font())
    image = image.quantize(colors=32)  # a flat palette: well under LINE's 1 MB
    image.save(spec.image, format="PNG", optimize=True)
    size = spec.image.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{spec.image}: {size} bytes, over LINE's 1 MB")
    print(f"{spec.image}: {spec.width}x{spec.height}, {size} bytes")


if __name__ == "__main__":
    main()
