"""Panels on a member's public profile page, contributed by other apps.

accounts must not import community or kudos (dependencies point towards accounts), yet the
profile shows a member's questions and points. So those apps register a panel here from their
AppConfig.ready(): a template and a function that builds its context for the viewed member and
the viewer. A panel's function must return only what the viewer may see.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

ContextBuilder = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Panel:
    key: str
    template_name: str
    build_context: ContextBuilder
    order: int = 100
    # The panel reads the page's query string (tabs, page numbers): build_context also gets
    # params=request.GET.
    takes_params: bool = False


_panels: dict[str, Panel] = {}


def register_panel(
    *, key: str, template_name: str, build_context: ContextBuilder, order: int = 100, takes_params: bool = False
) -> None:
    """Add (or replace, by key) a panel. build_context(member=..., viewer=...) -> dict, with
    params=<the query string> too when takes_params."""
    _panels[key] = Panel(
        key=key, template_name=template_name, build_context=build_context, order=order, takes_params=takes_params
    )


def panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))
