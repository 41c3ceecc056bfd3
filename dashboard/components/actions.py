"""Buttons that run a server action, and the message that says how it went, in one shadow
root: native `<button>` elements (never re-created while the page lives, so the keyboard focus
stays where it is when a label changes), a visible "in progress" state the moment a button is
pressed (set in the browser, before the server answers), an optional confirmation step before
an action that changes stored data (RGAA 11.12), and the result replacing the previous
message when the action is done. When the pressed button ends up disabled (the last batch was
decided), the focus moves to the message instead of falling to the page's end (WCAG 2.4.3)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import param
from panel.custom import JSComponent

ACTION_CSS = (Path(__file__).parents[1] / "templates" / "actions.css").read_text(encoding="utf-8")


class ActionBar(JSComponent):
    """`actions`: [{"key", "label", "kind" (primary/secondary/danger), "disabled", "busy"
    (text shown while it runs), "confirm" (question asked before it runs), "confirm_label"}].
    Python registers a handler per key with `on(key, fn)`; the handler reports with
    `done(message, tone)` (tone: info, ok, error)."""

    actions = param.List(default=[])
    finished = param.Integer(default=0, doc="Number of the last request the server finished.")
    message = param.String(default="")
    tone: str = param.Selector(default="info", objects=["info", "ok", "error"])  # type: ignore[assignment]
    cancel_label = param.String(default="Annuler")
    cancelled_text = param.String(default="Action annulée.")
    focus_request = param.String(default="", doc="'<key>:<n>' moves the focus to that button.")

    _esm = """
    export function render({ model }) {
      const root = document.createElement("div");
      const bar = document.createElement("div");
      bar.className = "bar";
      const confirm = document.createElement("div");
      confirm.className = "confirm";
      confirm.hidden = true;
      const question = document.createElement("p");
      question.id = "question";
      const yes = document.createElement("button");
      yes.type = "button";
      const no = document.createElement("button");
      no.type = "button";
      no.className = "secondary";
      const confirmBar = document.createElement("div");
      confirmBar.className = "bar";
      confirmBar.append(yes, no);
      confirm.setAttribute("role", "group");
      confirm.setAttribute("aria-labelledby", "question");
      confirm.append(question, confirmBar);
      const message = document.createElement("p");
      message.className = "message";
      message.tabIndex = -1;
      message.hidden = true;
      root.append(bar, confirm, message);
      const buttons = new Map();
      let pending = null;
      let running = null;
      let sent = 0;

      const active = () => {
        const home = root.getRootNode();
        return home && home.activeElement !== undefined ? home.activeElement : null;
      };
      const byKey = (key) => model.actions.find(a => a.key === key);
      const show = (text, tone) => {
        message.textContent = text;
        message.className = "message " + (tone || "info");
        message.hidden = !text;
      };
      const run = (key) => {
        const action = byKey(key);
        running = key;
        sent += 1;
        show((action && action.busy) || "…", "info");
        sync();
        model.send_msg({ action: key, n: sent });
      };
      const ask = (key) => {
        const action = byKey(key);
        pending = key;
        question.textContent = action.confirm;
        yes.textContent = action.confirm_label || action.label;
        yes.className = action.kind === "danger" ? "danger" : "";
        no.textContent = model.cancel_label;
        confirm.hidden = false;
        show("", "info");
        yes.focus();
      };
      const closeConfirm = (refocus) => {
        const key = pending;
        pending = null;
        confirm.hidden = true;
        if (refocus && key && buttons.has(key)) buttons.get(key).focus();
      };
      yes.addEventListener("click", () => {
        const key = pending;
        closeConfirm(true);
        if (key && !running) run(key);
      });
      no.addEventListener("click", () => {
        closeConfirm(true);
        show(model.cancelled_text, "info");
      });
      confirm.addEventListener("keydown", (e) => {
        if (e.key === "Escape") { closeConfirm(true); show(model.cancelled_text, "info"); }
      });
      const sync = () => {
        const keys = model.actions.map(a => a.key);
        for (const [key, b] of buttons) {
          if (!keys.includes(key)) { b.remove(); buttons.delete(key); }
        }
        const focused = active();
        let lostFocus = false;
        for (const a of model.actions) {
          let b = buttons.get(a.key);
          if (!b) {
            b = document.createElement("button");
            b.type = "button";
            b.addEventListener("click", () => {
              if (running || b.disabled) return;
              const action = byKey(a.key);
              if (action && action.confirm) ask(a.key); else run(a.key);
            });
            buttons.set(a.key, b);
          }
          // moving a focused element in the DOM would drop its focus: only new buttons go in
          if (b.parentNode !== bar) bar.append(b);
          if (b.textContent !== a.label) b.textContent = a.label;
          b.className = a.kind === "danger" ? "danger" : a.kind === "secondary" ? "secondary" : "";
          const disabled = !!a.disabled;
          if (disabled && focused === b) lostFocus = true;
          b.disabled = disabled;
          if (running) b.setAttribute("aria-disabled", "true");
          else b.removeAttribute("aria-disabled");
        }
        if (running) bar.setAttribute("aria-busy", "true");
        else bar.removeAttribute("aria-busy");
        if (pending && (!byKey(pending) || byKey(pending).disabled)) closeConfirm(false);
        if (lostFocus) { message.hidden = false; message.focus(); }
      };
      model.on("actions", sync);
      model.on("finished", () => {
        if (model.finished < sent) return;
        running = null;
        const focused = active();
        show(model.message, model.tone);
        sync();
        if (focused && focused.disabled) message.focus();
      });
      model.on(["message", "tone"], () => show(model.message, model.tone));
      model.on("focus_request", () => {
        const key = model.focus_request.split(":")[0];
        if (buttons.has(key)) buttons.get(key).focus();
      });
      sync();
      show(model.message, model.tone);
      return root;
    }
    """

    def __init__(self, **params: Any) -> None:
        params.setdefault("sizing_mode", "stretch_width")
        params.setdefault("stylesheets", [ACTION_CSS])
        params.setdefault("margin", (5, 10))
        super().__init__(**params)
        self._handlers: dict[str, Callable[[], None]] = {}
        self._focus_n = 0

    def on(self, key: str, handler: Callable[[], None]) -> None:
        self._handlers[key] = handler

    def _handle_msg(self, data: Any) -> None:
        data = data if isinstance(data, dict) else {}
        handler = self._handlers.get(str(data.get("action") or ""))
        try:
            if handler is not None:
                handler()
        finally:
            self.finished = max(self.finished, int(data.get("n") or 0))

    def click(self, key: str) -> None:
        """Run an action as if its button were pressed (used by the tests without a browser)."""
        self._handle_msg({"action": key})

    def done(self, message: str, tone: str = "info") -> None:
        # the same text again must still be shown as a fresh result
        if self.message == message and self.tone == tone:
            self.message = ""
        self.param.update(message=message, tone=tone)

    def set_action(self, key: str, **changes: Any) -> None:
        self.actions = [({**a, **changes} if a["key"] == key else a) for a in self.actions]

    def disable(self, disabled: bool, keys: list[str] | None = None) -> None:
        self.actions = [
            ({**a, "disabled": disabled} if keys is None or a["key"] in keys else a)
            for a in self.actions
        ]

    def focus(self, key: str) -> None:
        self._focus_n += 1
        self.focus_request = f"{key}:{self._focus_n}"


def action(key: str, label: str, kind: str = "primary", **extra: Any) -> dict[str, Any]:
    return {"key": key, "label": label, "kind": kind, "disabled": False, **extra}
