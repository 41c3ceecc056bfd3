"""Review: batches waiting for approval with their checks (in words) and sample rows; approve
after a confirmation (approving publishes data: RGAA 11.12), or reject with a comment, through
healthai.pipeline.batches (actor: the signed-in account)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import panel as pn

from dashboard.components import Field, html_table, notice, section, styled
from dashboard.components.actions import ActionBar, action
from dashboard.pages.common import data_lang, db, domain_error, log_read, sample_frame
from dashboard.shell import Context
from dashboard.wording import check_description, check_name, check_observed, source_name, status
from healthai.pipeline import batches
from healthai.pipeline.errors import BatchStateError, FourEyesError, NotFoundError
from healthai.queries import dashboard_support

SAMPLE_COLUMNS = 8


def build(ctx: Context) -> pn.viewable.Viewable:
    t, lang = ctx.t, ctx.lang
    can_decide = bool(ctx.user and ctx.user.can("batches:decide"))
    chooser = styled(pn.widgets.Select(name=t("choose_batch"), options={}, width=420))
    # label, textarea and error message in one shadow root: the error describes the field
    comment = Field(label=t("comment"), multiline=True, rows=3, max_width=600)
    bar = ActionBar(
        actions=[
            action("approve", t("approve"), busy=t("approving")),
            action("reject", t("reject"), "danger", busy=t("rejecting")),
        ],
        cancel_label=t("cancel"),
        cancelled_text=t("approve_cancelled"),
    )
    listing = pn.Column(sizing_mode="stretch_width")
    detail = pn.Column(sizing_mode="stretch_width")
    waiting: dict[int, dict[str, Any]] = {}

    def load_list() -> None:
        with db() as session:
            rows = dashboard_support.batches_waiting(session)
        waiting.clear()
        waiting.update({w["batch_id"]: w for w in rows})
        frame = pd.DataFrame(
            [
                {
                    "batch_id": w["batch_id"],
                    "source": source_name(w["source"], lang),
                    "status": status("batch", w["status"], lang),
                    "rows_staged": w["rows_staged"],
                    "audited_at": w["audited_at"],
                }
                for w in rows
            ],
            columns=["batch_id", "source", "status", "rows_staged", "audited_at"],
        )
        listing.objects = [
            section(t("batches_waiting"), t("batches_summary", n=len(frame))),
            html_table(
                frame,
                t("batches_waiting"),
                {
                    "batch_id": t("batch"),
                    "source": t("source"),
                    "status": t("status"),
                    "rows_staged": t("rows_staged"),
                    "audited_at": t("audited_at"),
                },
                empty=t("none_waiting"),
            ),
        ]
        chooser.options = {
            t(
                "batch_option",
                id=w["batch_id"],
                source=source_name(w["source"], lang),
                status=status("batch", w["status"], lang),
                rows=w["rows_staged"],
            ): w["batch_id"]
            for w in rows
        }
        values = list(chooser.options.values())
        if chooser.value not in values:
            chooser.value = values[0] if values else None
        chooser.disabled = not rows
        comment.disabled = not rows or not can_decide
        bar.disable(not rows or not can_decide)
        load_detail()

    def load_detail(*_args: object) -> None:
        batch_id = chooser.value
        if batch_id is None:
            detail.objects = []
            return
        with db() as session:
            people = bool(ctx.user and ctx.user.can("people:read"))
            d = dashboard_support.batch_detail(session, batch_id, people=people)
            if d["samples"]:
                log_read(ctx, session, "batches", {"id": batch_id, "tables": sorted(d["samples"])})
        checks = pd.DataFrame(
            [
                {
                    "check": check_name(c["check"], lang),
                    "description": check_description(c["check"], lang),
                    "passed": t("passed") if c["passed"] else t("failed"),
                    "blocking": t("yes") if c["blocking"] else t("no"),
                    "observed": check_observed(c["check"], c["observed"], lang),
                }
                for c in d["checks"]
            ],
            columns=["check", "description", "passed", "blocking", "observed"],
        )
        parts = [
            section(t("batch_heading", id=batch_id), level=2),
            html_table(
                checks,
                t("checks_batch", id=batch_id),
                {
                    "check": t("check"),
                    "description": t("description"),
                    "passed": t("status"),
                    "blocking": t("blocking"),
                    "observed": t("observed"),
                },
            ),
        ]
        source = waiting.get(batch_id, {}).get("source")
        for table, rows in d["samples"].items():
            frame, langs = sample_frame(rows, lang, SAMPLE_COLUMNS, data_lang(source))
            parts.append(html_table(frame, t("sample", table=t(f"table.{table}")), langs=langs))
        detail.objects = parts
        w = waiting.get(batch_id)
        rows = w["rows_staged"] if w else 0
        audited = bool(w and w["status"] == "audited")
        bar.set_action(
            "approve",
            confirm=t("approve_confirm", id=batch_id, rows=rows),
            confirm_label=t("approve_confirm_yes", id=batch_id),
            disabled=not (audited and can_decide),
        )

    def decide(kind: str) -> None:
        batch_id = chooser.value
        if batch_id is None or ctx.user is None or not can_decide:
            return
        comment.error = ""
        if kind == "reject" and not comment.value.strip():
            # the domain refuses it too; said here on the field itself, and focus goes there
            message = t("comment_required")
            comment.error = message
            bar.done(message, "error")
            ctx.say(message)
            comment.focus()
            return
        try:
            with db() as session:
                if kind == "approve":
                    batches.approve(session, batch_id, ctx.user.actor, comment.value or None)
                else:
                    batches.reject(session, batch_id, ctx.user.actor, comment.value)
        except (BatchStateError, FourEyesError, NotFoundError) as exc:
            message = domain_error(ctx, exc, batch_id)
            bar.done(message, "error")
            ctx.say(message)
            load_list()
            return
        message = t(
            "approved" if kind == "approve" else "rejected", id=batch_id, actor=ctx.user.username
        )
        comment.value = ""
        load_list()
        bar.done(message, "ok")
        ctx.say(message)

    chooser.param.watch(load_detail, "value")
    bar.on("approve", lambda: decide("approve"))
    bar.on("reject", lambda: decide("reject"))
    load_list()
    intro = [section(t("review"), t("review_intro"), level=2)]
    if not can_decide:
        role = ctx.user.role if ctx.user else "—"
        intro.append(notice(t("forbidden", role=role)))
    form = pn.Column(chooser, detail, comment, bar, sizing_mode="stretch_width")
    return pn.Column(*intro, listing, form, sizing_mode="stretch_width")
