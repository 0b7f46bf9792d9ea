"""Checks of what a page looks like, for any browser test: no sideways scrolling, screenshots."""
from __future__ import annotations

from pathlib import Path

WIDTHS = (390, 1280)


def horizontal_overflow(page) -> dict | None:
    """None when the page fits its viewport's width, else the widths and the widest elements."""
    return page.evaluate("""() => {
      const doc = document.documentElement;
      if (doc.scrollWidth <= doc.clientWidth) return null;
      const wide = [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > doc.clientWidth + 0.5)
        .slice(0, 5).map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
          (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : '') +
          ' right=' + Math.round(el.getBoundingClientRect().right));
      return { scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, widest: wide };
    }""")


def assert_no_horizontal_overflow(page) -> None:
    """Fail when the page scrolls sideways (document scrollWidth > clientWidth)."""
    over = horizontal_overflow(page)
    assert over is None, f"{page.url} scrolls sideways at {page.viewport_size['width']} px: {over}"


def screenshot_at_widths(page, folder: Path, name: str, widths=WIDTHS, height: int = 900) -> list[Path]:
    """Screenshot the page at each width (full page), checking for sideways scrolling at each;
    the viewport is put back as it was."""
    before = page.viewport_size
    shots = []
    try:
        for width in widths:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(100)        # one layout pass after the resize
            path = Path(folder) / f"{name}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            shots.append(path)
            assert_no_horizontal_overflow(page)
    finally:
        if before:
            page.set_viewport_size(before)
    return shots
