"""Review: batches waiting for approval with their checks and sample rows; approve, or
reject with a comment, through healthai.pipeline.batches (actor: the signed-in account)."""

from __future__ import annotations

import pandas as pd
import panel as pn

from dashboard.components import Field, html_table, notice, section, styled
from dashboard.pages.common import button, db
from dashboard.shell import Context
from healthai.pipeline import batches
from healthai.pipeline.errors import BatchStateError, FourEyesError, NotFoundError
from healthai.queries import dashboard_support

SAMPLE_COLUMNS = 8


def build(ctx: Context) -> pn.viewable.Viewable:
    t = ctx.t
    can_decide = bool(ctx.user and ctx.user.can("batches:decide"))
    chooser = styled(pn.widgets.Select(name=t("choose_batch"), options={}, width=420))
    # label, textarea and error message in one shadow root: the error describes the field
    comment = Field(label=t("comment"), multiline=True, rows=3, max_width=600)
    approve, reject = button(t("approve")), button(t("reject"), "danger")
    listing = pn.Column(sizing_mode="stretch_width")
    detail = pn.Column(sizing_mode="stretch_width")
    feedback = pn.Column(sizing_mode="stretch_width")

    def load_list() -> None:
        with db() as session:
            waiting = dashboard_support.batches_waiting(session)
        frame = pd.DataFrame(
            waiting, columns=["batch_id", "source", "status", "rows_staged", "audited_at"]
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
                    "audited_at": "Audit",
                },
                empty=t("none_waiting"),
            ),
        ]
        chooser.options = {
            f"{t('batch')} {w['batch_id']} — {w['source']} ({w['status']}, {w['rows_staged']})": w[
                "batch_id"
            ]
            for w in waiting
        }
        values = list(chooser.options.values())
        if chooser.value not in values:
            chooser.value = values[0] if values else None
        for w in (chooser, approve, reject, comment):
            w.disabled = not waiting or not can_decide and w is not chooser
        load_detail()

    def load_detail(*_args: object) -> None:
        if chooser.value is None:
            detail.objects = []
            return
        with db() as session:
            people = bool(ctx.user and ctx.user.can("people:read"))
            d = dashboard_support.batch_detail(session, chooser.value, people=people)
        checks = pd.DataFrame(
            d["checks"], columns=["check", "description", "passed", "blocking", "observed"]
        )
        checks["passed"] = checks["passed"].map({True: t("passed"), False: t("failed")})
        checks["blocking"] = checks["blocking"].map({True: t("yes"), False: t("no")})
        checks["observed"] = checks["observed"].astype(str)
        parts = [
            section(f"{t('batch')} {chooser.value}", level=2),
            html_table(
                checks,
                t("checks_batch", id=chooser.value),
                {
                    "check": t("check"),
                    "description": "Description",
                    "passed": t("status"),
                    "blocking": t("blocking"),
                    "observed": t("observed"),
                },
            ),
        ]
        for table, rows in d["samples"].items():
            frame = pd.DataFrame(rows)
            frame = frame[[c for c in frame.columns if c != "batch_id"][:SAMPLE_COLUMNS]]
            parts.append(html_table(frame.astype(str), t("sample", table=table)))
        detail.objects = parts

    def decide(kind: str) -> None:
        batch_id = chooser.value
        if batch_id is None or ctx.user is None:
            return
        comment.error = ""
        if kind == "reject" and not comment.value.strip():
            # the domain refuses it too; said here on the field itself, and focus goes there
            message = t("comment_required")
            comment.error = message
            feedback.objects = [notice(message, error=True)]
            ctx.say(message)
            comment.focus()
            return
        try:
            with db() as session:
                if kind == "approve":
                    batches.approve(session, batch_id, ctx.user.username, comment.value or None)
                else:
                    batches.reject(session, batch_id, ctx.user.username, comment.value)
        except (BatchStateError, FourEyesError, NotFoundError) as exc:
            message = t("action_error", err=str(exc))
            feedback.objects = [notice(message, error=True)]
            ctx.say(message)
            return
        message = t(
            "approved" if kind == "approve" else "rejected", id=batch_id, actor=ctx.user.username
        )
        comment.value = ""
        feedback.objects = [notice(message)]
        ctx.say(message)
        load_list()

    chooser.param.watch(load_detail, "value")
    approve.on_click(lambda _e: decide("approve"))
    reject.on_click(lambda _e: decide("reject"))
    load_list()
    intro = [section(t("review"), t("review_intro"), level=2)]
    if not can_decide:
        role = ctx.user.role if ctx.user else "—"
        intro.append(notice(t("forbidden", role=role)))
    form = pn.Column(
        chooser,
        detail,
        comment,
        pn.FlexBox(approve, reject),
        feedback,
        sizing_mode="stretch_width",
    )
    return pn.Column(*intro, listing, form, sizing_mode="stretch_width")
