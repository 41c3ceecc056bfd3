"""Corrections: open quarantined rows with their reasons; edit values through labelled
fields, revalidate on the spot and re-queue (healthai.pipeline.quarantine.correct_rows),
optionally for every row with the same defect; the history comes from the audit log."""

from __future__ import annotations

import re

import pandas as pd
import panel as pn

from dashboard.components import Field, html_table, notice, section, styled, text_field
from dashboard.pages.common import button, db
from dashboard.shell import Context
from healthai.pipeline import quarantine
from healthai.pipeline.errors import BatchStateError, ContractError, NotFoundError
from healthai.queries import dashboard_support


def reason_columns(reasons: list[dict], raw: dict) -> list[str]:
    cols: list[str] = []
    for r in reasons:
        for c in str(r.get("column") or "").split(","):
            c = c.strip()
            if c and c in raw and c not in cols:
                cols.append(c)
    return cols or list(raw)[:6]


RANGE = re.compile(r"^in_range\((?P<lo>[^,]+),\s*(?P<hi>[^,)]+)")
LISTED = re.compile(r"^isin\((?P<values>.*)\)$")


def explain(ctx: Context, reason: dict) -> str:
    """A validation reason in words a person can act on (RGAA 11.11: suggest a fix).
    Reasons carry a rule id of healthai.pipeline.rules and its params."""
    rule = str(reason.get("rule") or "")
    params = reason.get("params") or {}
    if rule in ("not_a_number", "not_a_whole_number"):
        return ctx.t("why_number", rule=rule)
    if rule in ("out_of_range", "out_of_range_above_min"):
        return ctx.t("why_range", lo=params.get("min"), hi=params.get("max"))
    if rule == "not_allowed":
        return ctx.t("why_list", values=", ".join(map(str, params.get("allowed", []))))
    if rule == "missing_value":
        return ctx.t("why_required")
    # legacy pandera wording of rows quarantined before rule ids
    if rule.startswith(("coerce_dtype", "dtype")):
        return ctx.t("why_number" if "float" in rule or "int" in rule else "why_type", rule=rule)
    if m := RANGE.match(rule):
        return ctx.t("why_range", lo=m["lo"], hi=m["hi"])
    if m := LISTED.match(rule):
        return ctx.t("why_list", values=m["values"].strip("[]"))
    if rule in ("not_nullable", "notnull"):
        return ctx.t("why_required")
    return str(reason.get("message") or rule)


def field_errors(ctx: Context, reasons: list[dict], columns: list[str]) -> dict[str, str]:
    """Column -> the error message its field shows, from the revalidation's reasons."""
    by_column: dict[str, list[str]] = {}
    for r in reasons:
        for c in str(r.get("column") or "").split(","):
            c = c.strip()
            why = explain(ctx, r)
            if c in columns and why not in by_column.get(c, []):
                by_column.setdefault(c, []).append(why)
    return {c: ctx.t("field_invalid", reasons="; ".join(w)) for c, w in by_column.items()}


def build(ctx: Context) -> pn.viewable.Viewable:
    t = ctx.t
    can_correct = bool(ctx.user and ctx.user.can("quarantine:correct"))
    chooser = styled(pn.widgets.Select(name=t("choose_row"), options={}, width=460))
    listing = pn.Column(sizing_mode="stretch_width")
    detail = pn.Column(sizing_mode="stretch_width")
    fields = pn.Column(sizing_mode="stretch_width")
    scope = styled(pn.widgets.Select(name=t("scope"), options={t("scope_one"): False}, width=460))
    comment = text_field(t("comment").split(" (")[0])
    submit = button(t("revalidate"))
    feedback = pn.Column(sizing_mode="stretch_width")
    history = pn.Column(sizing_mode="stretch_width")
    rows: dict[int, dict] = {}
    # one Field per column to correct: its error message is tied to its input
    inputs: dict[str, Field] = {}

    def load(errors: dict[str, str] | None = None) -> None:
        with db() as session:
            open_rows = dashboard_support.open_quarantine(session)
            hist = dashboard_support.correction_history(session)
        rows.clear()
        rows.update({r["row_id"]: r for r in open_rows})
        frame = pd.DataFrame(
            [
                {
                    "row_id": r["row_id"],
                    "source": r["source"],
                    "record": r["record"],
                    "reasons": "; ".join(
                        f"{x.get('rule')} ({x.get('column')})" for x in r["reasons"]
                    ),
                }
                for r in open_rows
            ],
            columns=["row_id", "source", "record", "reasons"],
        )
        listing.objects = [
            section(t("open_rows"), t("open_summary", n=len(frame))),
            html_table(
                frame.head(30),
                t("open_rows"),
                {
                    "row_id": "N°",
                    "source": t("source"),
                    "record": t("record"),
                    "reasons": t("reasons"),
                },
                empty=t("none_open"),
            ),
        ]
        chooser.options = {
            f"N° {r['row_id']} — {r['source']}, {t('record').lower()} {r['record']}": r["row_id"]
            for r in open_rows
        }
        values = list(chooser.options.values())
        if chooser.value not in values:
            chooser.value = values[0] if values else None
        for w in (submit, scope, comment):
            w.disabled = not open_rows or not can_correct
        h = pd.DataFrame(
            hist, columns=["at", "actor", "action", "row_id", "field", "before", "after", "comment"]
        ).astype(str)
        history.objects = [
            section(t("history"), t("history_summary", n=len(h))),
            html_table(
                h,
                t("history"),
                {
                    "at": t("at"),
                    "actor": t("actor"),
                    "action": "Action",
                    "row_id": "N°",
                    "field": t("field"),
                    "before": t("before"),
                    "after": t("after"),
                    "comment": t("comment").split(" (")[0],
                },
                empty=t("history_summary", n=0),
            ),
        ]
        show(errors=errors)

    def show(*_args: object, errors: dict[str, str] | None = None) -> None:
        row = rows.get(chooser.value)
        inputs.clear()
        if row is None:
            detail.objects, fields.objects = [], []
            return
        reasons = pd.DataFrame(
            [
                {
                    "rule": r.get("rule"),
                    "column": r.get("column"),
                    "value": str(r.get("value")),
                    "message": r.get("message", ""),
                }
                for r in row["reasons"]
            ],
            columns=["rule", "column", "value", "message"],
        )
        raw = pd.DataFrame(
            {"column": list(row["raw"]), "value": [str(v) for v in row["raw"].values()]}
        )
        for col in reason_columns(row["reasons"], row["raw"]):
            raw_value = row["raw"].get(col)
            inputs[col] = text_field(
                t("field_value", col=col),
                "" if raw_value is None else str(raw_value),
                max_width=300,
                disabled=not can_correct,
                error=(errors or {}).get(col, ""),
            )
        fields.objects = list(inputs.values())
        # the heading last: once it shows, this row's fields are already there
        detail.objects = [
            section(f"N° {row['row_id']} — {row['source']}", level=2),
            html_table(
                reasons,
                f"{t('reasons')} — N° {row['row_id']}",
                {
                    "rule": t("rule"),
                    "column": t("column"),
                    "value": t("value"),
                    "message": "Message",
                },
            ),
            html_table(
                raw, f"{t('record')} {row['record']}", {"column": t("column"), "value": t("value")}
            ),
        ]
        invalid = [w for w in inputs.values() if w.error]
        if invalid:
            invalid[0].focus()
        with db() as session:
            n = len(dashboard_support.same_defect(session, row["row_id"]))
        scope.options = {t("scope_one"): False, t("same_defect", n=n): True}
        scope.value = False

    def correct(_event: object) -> None:
        row = rows.get(chooser.value)
        if row is None or ctx.user is None or not can_correct:
            return
        changes = {
            c: (w.value if w.value != "" else None)
            for c, w in inputs.items()
            if w.value != str(row["raw"].get(c) or "")
        }
        try:
            with db() as session:
                ids = (
                    dashboard_support.same_defect(session, row["row_id"])
                    if scope.value
                    else [row["row_id"]]
                )
                result = quarantine.correct_rows(
                    session, ids, changes, ctx.user.username, comment.value or None
                )
        except (BatchStateError, ContractError, NotFoundError, ValueError) as exc:
            message = t("action_error", err=str(exc))
            feedback.objects = [notice(message, error=True)]
            ctx.say(message)
            return
        errors: dict[str, str] = {}
        if not result.valid and result.reasons:
            why = "; ".join(
                f"{r.get('rule')} ({r.get('column')})"
                for reasons in result.reasons.values()
                for r in reasons
            )
            message = t("corr_invalid", reasons=why)
            errors = field_errors(ctx, result.reasons.get(row["row_id"], []), list(inputs))
        elif result.requeued_batch_id:
            message = t("corr_ok", ids=", ".join(map(str, ids)), batch=result.requeued_batch_id)
        else:
            message = t("corr_dup", ids=", ".join(map(str, ids)))
        feedback.objects = [notice(message, error=not result.valid)]
        ctx.say(message)
        comment.value = ""
        scope.value = False
        load(errors)

    chooser.param.watch(show, "value")
    submit.on_click(correct)
    load()
    intro = [section(t("corrections"), t("corr_intro"), level=2)]
    if not can_correct:
        intro.append(notice(t("forbidden", role=ctx.user.role if ctx.user else "—")))
    form = pn.Column(
        chooser, detail, fields, scope, comment, submit, feedback, sizing_mode="stretch_width"
    )
    return pn.Column(*intro, listing, form, history, sizing_mode="stretch_width")
