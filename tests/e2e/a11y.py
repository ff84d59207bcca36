"""Checks run on every screen: axe-core (no critical or serious violation), tap targets of at
least 44x44 CSS px, and a screenshot on a phone (390x844) and on a desktop (1280x800).

axe-core is vendored unmodified under tests/e2e/vendor/axe-core (tests/e2e/vendor/refresh.sh)
and injected through the DevTools protocol, so the page keeps its strict CSP: nothing of it is
served to browsers.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from tests.e2e.conftest import PHONE, SCREENSHOTS

__all__ = ["DESKTOP", "axe_violations", "check_screen", "small_tap_targets"]

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
MIN_TARGET = 44

_RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ['violations'] });
  return result.violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
}"""

# Every visible control a finger can hit. A checkbox or radio counts together with its label
# (tapping the label toggles it); the skip link is off-screen until focused.
_TAP_TARGETS = """(min) => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[role=switch], [role=button]';
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.closest('.skip') || el.closest('[hidden]')) continue;
    if (el.closest('details:not([open]) > :not(summary)')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const dialog = el.closest('dialog');
    if (dialog && !dialog.open) continue;
    let rect = el.getBoundingClientRect();
    if (rect.width === 0 && rect.height === 0) continue;
    if ((el.type === 'checkbox' || el.type === 'radio') && el.labels?.length) {
      const label = el.labels[0].getBoundingClientRect();
      const left = Math.min(rect.left, label.left);
      const top = Math.min(rect.top, label.top);
      rect = { width: Math.max(rect.right, label.right) - left,
               height: Math.max(rect.bottom, label.bottom) - top };
    }
    if (rect.width + 0.5 < min || rect.height + 0.5 < min) {
      const name = (el.getAttribute('aria-label') || el.textContent || el.name || el.id || '')
        .trim().slice(0, 40);
      const size = `${Math.round(rect.width)}x${Math.round(rect.height)}`;
      small.push(`${el.tagName.toLowerCase()} "${name}" ${size}`);
    }
  }
  return small;
}"""


@cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Critical and serious axe-core violations of the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    found: list[dict[str, Any]] = page.evaluate(_RUN_AXE)
    return found


def small_tap_targets(page: Any) -> list[str]:
    """Visible controls smaller than 44x44 CSS px."""
    found: list[str] = page.evaluate(_TAP_TARGETS, MIN_TARGET)
    return found


def check_screen(page: Any, name: str) -> None:
    """axe and tap targets on the phone viewport, then screenshots on phone and desktop."""
    violations = axe_violations(page)
    assert not violations, f"{name}: {violations}"
    small = small_tap_targets(page)
    assert not small, f"{name}: tap targets under 44x44: {small}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-phone.png"))
    page.set_viewport_size(DESKTOP)
    try:
        small = small_tap_targets(page)
        assert not small, f"{name} (desktop): tap targets under 44x44: {small}"
        page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"))
    finally:
        page.set_viewport_size(PHONE)
