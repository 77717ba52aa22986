"""/insights as one HTML page with inline SVG plots: no script, no CDN, readable on a phone."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.web.insights import Figures

COLOURS = {"sent": "#06c755", "rewrite": "#f5a623", "dropped": "#8e8e93", "none": "#d1d1d6"}
NAMES = {"sent": "送った", "rewrite": "書き直した", "dropped": "送らなかった", "none": "未回答"}
X_PROMPT = {"dropped": 9, "rewrite": 22}  # X's reply prompt: % of nudged posts cancelled / revised


def _bars(values: dict[str, int], width: int = 420) -> str:
    """Horizontal bars, one per key (messages by intent)."""
    if not values:
        return "<p class=empty>まだありません</p>"
    top = max(values.values()) or 1
    row, label_w = 22, 130
    parts = []
    for i, (key, n) in enumerate(values.items()):
        y = i * row
        w = max(1, round((width - label_w - 40) * n / top))
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(key)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w}" height="14" rx="3" fill="#06c755"/>'
            f'<text x="{label_w + w + 4}" y="{y + 15}">{n}</text>'
        )
    h = row * len(values)
    return (f'<svg role="img" aria-label="意図別のメッセージ" viewBox="0 0 {width} {h}" '
            f'width="{width}" height="{h}">{"".join(parts)}</svg>')  # fmt: skip


def _share(outcomes: dict[str, int], width: int = 420) -> str:
    """One stacked bar: what the drafts that came back became."""
    total = sum(outcomes.values())
    if not total:
        return "<p class=empty>朝に戻った下書きはまだありません</p>"
    x, parts = 0.0, []
    for key, n in outcomes.items():
        w = width * n / total
        if n:
            parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="24" '
                         f'fill="{COLOURS[key]}"><title>{NAMES[key]} {n}</title></rect>')  # fmt: skip
        x += w
    return (f'<svg role="img" aria-label="戻った下書きの行方" viewBox="0 0 {width} 24" '
            f'width="{width}" height="24">{"".join(parts)}</svg>')  # fmt: skip


def _days(by_day: list[dict[str, object]], width: int = 420, height: int = 120) -> str:
    """Stacked columns per day: morning outcomes over time."""
    if not by_day:
        return ""
    keys = list(COLOURS)
    totals = [sum(int(d[k]) for k in keys) for d in by_day]  # type: ignore[call-overload]
    top = max(totals) or 1
    col = min(40, width // len(by_day))
    parts = []
    for i, day in enumerate(by_day):
        y = float(height - 16)
        for key in keys:
            h = (height - 24) * int(day[key]) / top  # type: ignore[call-overload]
            if h:
                y -= h
                parts.append(f'<rect x="{i * col + 4}" y="{y:.1f}" width="{col - 8}" '
                             f'height="{h:.1f}" fill="{COLOURS[key]}"/>')  # fmt: skip
        parts.append(f'<text x="{i * col + col / 2}" y="{height - 2}" text-anchor="middle" '
                     f'font-size="9">{escape(str(day["day"])[5:])}</text>')  # fmt: skip
    return (f'<svg role="img" aria-label="日ごとの朝の結果" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}">{"".join(parts)}</svg>')  # fmt: skip


def _quota(used: int | None, limit: int | None, width: int = 420) -> str:
    if used is None:
        return "<p class=empty>LINE から取得できませんでした</p>"
    if limit is None:
        return f"<p><b>{used}</b> 通 (上限なし)</p>"
    w = width * min(used, limit) / (limit or 1)
    return (f'<p><b data-figure="pushes">{used}</b> / {limit} 通</p>'
            f'<svg role="img" aria-label="プッシュ通数と上限" viewBox="0 0 {width} 14" '
            f'width="{width}" height="14"><rect width="{width}" height="14" rx="7" fill="#e5e5ea"/>'
            f'<rect width="{w:.1f}" height="14" rx="7" fill="#06c755"/></svg>')  # fmt: skip


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.0f}%" if total else "—"


def render(f: Figures, at: datetime) -> str:
    back = sum(f.outcomes.values())
    legend = " ".join(
        f'<span><i style="background:{COLOURS[k]}"></i>{NAMES[k]} {f.outcomes.get(k, 0)} '
        f"({_pct(f.outcomes.get(k, 0), back)})</span>"
        for k in COLOURS
    )
    tiles = "".join(
        f'<div class=tile><b data-figure="{key}">{value}</b><span>{label}</span></div>'
        for key, label, value in (
            ("users", "ユーザー", f.users),
            ("nudges", "一晩置く提案", f.nudges),
            ("drafts_held", "預かった下書き", f.drafts_held),
            ("waiting", "朝を待つ下書き", f.waiting),
            ("crisis_replies", "相談窓口の案内", f.crisis_replies),
        )
    )
    return f"""<!doctype html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hitoban insights</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0 auto;max-width:480px;padding:16px;color:#1c1c1e}}
h1{{font-size:20px}} h2{{font-size:15px;margin:24px 0 8px}}
.tiles{{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:8px}}
.tile{{background:#f2f2f7;border-radius:10px;padding:10px}}
.tile b{{display:block;font-size:24px}} .tile span{{font-size:12px;color:#636366}}
svg{{max-width:100%;height:auto;font-size:11px}} .empty,.note{{color:#8e8e93;font-size:12px}}
.legend span{{margin-right:10px;font-size:12px;white-space:nowrap}}
.legend i{{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:3px}}
</style></head><body>
<h1>一晩 (Hitoban) の様子</h1>
<p class=note>集計のみ: 文面もユーザー ID も含みません。{escape(at.strftime("%Y-%m-%d %H:%M"))} UTC</p>
<div class=tiles>{tiles}</div>
<h2>朝に戻った下書き ({back})</h2>
{_share(f.outcomes)}
<p class=legend>{legend}</p>
<p class=note>参考: X の返信前プロンプトでは、促された投稿の {X_PROMPT["dropped"]}% が取り消され、
{X_PROMPT["rewrite"]}% が書き直されました。</p>
{_days(f.by_day)}
<h2>意図別のメッセージ</h2>
{_bars(f.intents)}
<p class=note>このプロセスの起動以降。</p>
<h2>今月のプッシュ</h2>
{_quota(f.pushes_used, f.push_quota)}
</body></html>
"""
