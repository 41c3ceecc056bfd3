"""A text field whose label, input and error message share one shadow root, so the error is
tied to the input the standard way: `aria-invalid="true"` and `aria-describedby` pointing at
the message (an id reference cannot cross shadow roots, so Panel's own TextInput, whose input
lives in a root of its own, cannot be described by a message placed anywhere else)."""

from __future__ import annotations

from typing import Any

import param
from panel.custom import JSComponent

from dashboard.components.base import FOCUS_CSS

FIELD_CSS = """
:host { display: block; width: 100%; }
.field { display: flex; flex-direction: column; gap: 0.25rem; margin: 0.25rem 0 0.6rem; }
label { color: #1a1a1a; font-weight: 600; }
input, textarea { font: inherit; color: #1a1a1a; background: #fff; padding: 0.35rem 0.5rem;
  border: 1px solid #767676; border-radius: 4px; width: 100%; box-sizing: border-box; }
textarea { resize: vertical; }
input:disabled, textarea:disabled { background: #f0f0f0; color: #4a4a4a; }
[aria-invalid="true"] { border: 2px solid #a4161a; }
.field-error { color: #a4161a; font-weight: 600; margin: 0; }
.field-error[hidden] { display: none; }
"""


class Field(JSComponent):
    """Label + native `<input>` (or `<textarea>`) + error message, in one shadow root.

    `value` follows every keystroke; setting `error` to a non-empty text marks the input
    invalid and describes it with that text (shown between the label and the input, where a
    magnifier user looks first); `focus()` moves the keyboard focus to the input."""

    label = param.String(default="")
    value = param.String(default="")
    error = param.String(default="")
    multiline = param.Boolean(default=False)
    rows = param.Integer(default=3)
    disabled = param.Boolean(default=False)
    focus_request = param.Integer(default=0, doc="Incremented to move focus to the input.")

    _esm = """
    export function render({ model }) {
      const wrap = document.createElement("div");
      wrap.className = "field";
      const label = document.createElement("label");
      label.htmlFor = "champ";
      const message = document.createElement("p");
      message.id = "champ-erreur";
      message.className = "field-error";
      const input = document.createElement(model.multiline ? "textarea" : "input");
      input.id = "champ";
      if (model.multiline) input.rows = model.rows; else input.type = "text";
      input.value = model.value;
      input.addEventListener("input", () => { model.value = input.value; });
      const sync = () => {
        label.textContent = model.label;
        input.disabled = model.disabled;
        if (input.value !== model.value) input.value = model.value;
        message.textContent = model.error;
        message.hidden = !model.error;
        if (model.error) {
          input.setAttribute("aria-invalid", "true");
          input.setAttribute("aria-describedby", message.id);
        } else {
          input.removeAttribute("aria-invalid");
          input.removeAttribute("aria-describedby");
        }
      };
      sync();
      for (const name of ["label", "value", "error", "disabled"]) model.on(name, sync);
      model.on("focus_request", () => input.focus());
      if (model.focus_request) setTimeout(() => input.focus(), 0);
      wrap.append(label, message, input);
      return wrap;
    }
    """

    def __init__(self, **params: Any) -> None:
        params.setdefault("sizing_mode", "stretch_width")
        params.setdefault("margin", (5, 10))  # aligned with Panel's own widgets
        params.setdefault("stylesheets", [FOCUS_CSS, FIELD_CSS])
        super().__init__(**params)

    def focus(self) -> None:
        self.focus_request += 1


def text_field(label: str, value: str = "", max_width: int = 460, **params: Any) -> Field:
    """A labelled single-line field, as wide as the screen up to `max_width` pixels."""
    return Field(label=label, value=value, max_width=max_width, **params)
