"""Review: batches waiting for approval with their checks (in words) and sample rows; approve
after a confirmation (approving publishes data: RGAA 11.12), or reject with a comment, through
healthai.pipeline.batches (actor: the signed-in account). `?source=<name>` (the overview's
attention links) preselects that source's first waiting batch. Below, the files to take up
again (failed, refused, rejected, rolled back) with their cause in French and the pipeline's
English text marked `lang="en"` (RGAA 8.7); "Réessayer" hands one back to the pipeline after a
confirmation (healthai.pipeline.runs.retry)."""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd
import panel as pn

from dashboard import attention
from dashboard.components import Field, html_table, notice, section, styled
from dashboard.components.actions import ActionBar, action
from dashboard.components.base import Html
from dashboard.pages.common import data_lang, db, domain_error, log_read, query_arg, sample_frame
from dashboard.shell import Context
from dashboard.wording import check_description, check_name, check_observed, source_name, status
from healthai.pipeline import batches, runs
from healthai.pipeline.errors import BatchStateError, FourEyesError, NotFoundError
from healthai.queries import dashboard_support

SAMPLE_COLUMNS = 8
FILES_SHOWN = 50


def error_kind(state: str, error: str | None) -> str:
    """The catalogue key of a file's cause in words, from its state and the pipeline's text."""
    text = error or ""
    if state == "failed" and "could not be read" in text:
        return "file_error.read"
    if state == "failed" and "process died" in text:
        return "file_error.died"
    return f"file_error.{state}"


def cause_html(ctx: Context, state: str, error: str | None) -> Html:
    """The cause in a sentence of the page's language, then the pipeline's English text
    marked as English (RGAA 8.7)."""
    words = escape(ctx.t(error_kind(state, error)))
    if not error:
        return Html(words)
    detail = escape(ctx.t("file_error_detail"))
    technical = escape(error)
    if ctx.lang == "en":
        return Html(f"{words} {detail} <code>{technical}</code>")
    return Html(f'{words} {detail} <code lang="en">{technical}</code>')


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
    wanted = {"source": query_arg("source")}

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
        if wanted["source"]:  # first load from an attention link: that source's first batch
            mine = [w["batch_id"] for w in rows if w["source"] == wanted["source"]]
            wanted["source"] = ""
            if mine:
                chooser.value = mine[0]
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
    files_part = files_section(ctx, can_decide)
    intro = [section(t("review"), t("review_intro"), level=2)]
    if not can_decide:
        role = ctx.user.role if ctx.user else "—"
        intro.append(notice(t("forbidden", role=role)))
    form = pn.Column(chooser, detail, comment, bar, sizing_mode="stretch_width")
    return pn.Column(*intro, listing, form, files_part, sizing_mode="stretch_width")


def files_section(ctx: Context, can_decide: bool) -> pn.viewable.Viewable:  # noqa: C901
    """Files to take up again, each with its cause: "Réessayer" for the one chosen, or
    "Remplacer" by a later file of its source chosen in a second list."""
    t, lang = ctx.t, ctx.lang
    chooser = styled(pn.widgets.Select(name=t("choose_file"), options={}, width=420))
    successor = styled(pn.widgets.Select(name=t("replacement_file"), options={}, width=420))
    hint = pn.pane.HTML("", sizing_mode="stretch_width")
    bar = ActionBar(
        actions=[
            action("retry", t("retry"), "secondary", busy=t("retrying")),
            action("replace", t("replace"), "secondary", busy=t("replacing")),
        ],
        cancel_label=t("cancel"),
        cancelled_text=t("file_action_cancelled"),
    )
    listing = pn.Column(sizing_mode="stretch_width")
    files: dict[int, dict[str, Any]] = {}
    later: dict[int, dict[str, Any]] = {}

    def load() -> None:
        with db() as session:
            rows = attention.failed_files(session, FILES_SHOWN, attention.RETRYABLE)
        files.clear()
        files.update({f["file_id"]: f for f in rows})
        frame = pd.DataFrame(
            [
                {
                    "file_id": f["file_id"],
                    "source": source_name(f["source"], lang),
                    "file": f["file"] or t("file_unknown"),
                    "state": status("file", f["state"], lang),
                    "at": f["at"],
                    "error": cause_html(ctx, f["state"], f["error"]),
                }
                for f in rows
            ],
            columns=["file_id", "source", "file", "state", "at", "error"],
        )
        listing.objects = [
            section(t("files_retry"), t("files_retry_intro"), level=2),
            html_table(
                frame,
                t("files_retry"),
                {
                    "file_id": t("file_id"),
                    "source": t("source"),
                    "file": t("original_name"),
                    "state": t("status"),
                    "at": t("state_at"),
                    "error": t("file_error"),
                },
                empty=t("files_none"),
            ),
        ]
        chooser.options = {
            t(
                "file_option",
                id=f["file_id"],
                file=f["file"] or t("file_unknown"),
                source=source_name(f["source"], lang),
                state=status("file", f["state"], lang),
            ): f["file_id"]
            for f in rows
        }
        values = list(chooser.options.values())
        if chooser.value not in values:
            chooser.value = values[0] if values else None
        chooser.disabled = not rows
        bar.disable(not rows or not can_decide)
        load_successors()

    def load_successors(*_args: object) -> None:
        """The later files of the chosen file's source, its possible replacements."""
        later.clear()
        if chooser.value is not None:
            with db() as session:
                later.update(
                    {f["file_id"]: f for f in attention.replacements(session, chooser.value)}
                )
        successor.options = {
            t(
                "replacement_option",
                id=f["file_id"],
                file=f["file"] or t("file_unknown"),
                state=status("file", f["state"], lang),
            ): f["file_id"]
            for f in later.values()
        }
        values = list(successor.options.values())
        if successor.value not in values:
            successor.value = values[0] if values else None
        successor.disabled = not later
        hint.object = "" if later or chooser.value is None else f"<p>{t('replacement_none')}</p>"
        bar.disable(not later or not can_decide, ["replace"])
        confirm_for()

    def confirm_for(*_args: object) -> None:
        f = files.get(chooser.value) if chooser.value is not None else None
        if f is None:
            return
        name = f["file"] or t("file_unknown")
        bar.set_action(
            "retry",
            confirm=t("retry_confirm", id=f["file_id"], file=name),
            confirm_label=t("retry_confirm_yes", id=f["file_id"]),
        )
        by = later.get(successor.value) if successor.value is not None else None
        if by is not None:
            bar.set_action(
                "replace",
                confirm=t(
                    "replace_confirm",
                    id=f["file_id"],
                    file=name,
                    by=by["file_id"],
                    by_file=by["file"] or t("file_unknown"),
                ),
                confirm_label=t("replace_confirm_yes", id=f["file_id"]),
            )

    def act(kind: str) -> None:
        file_id, by = chooser.value, successor.value
        if file_id is None or ctx.user is None or not can_decide:
            return
        if kind == "replace" and by is None:
            return
        try:
            with db() as session:
                if kind == "retry":
                    runs.retry(session, file_id, ctx.user.actor)
                else:
                    runs.replace(session, file_id, by, ctx.user.actor)
        except (BatchStateError, NotFoundError, ValueError) as exc:
            message = domain_error(ctx, exc, file_id)
            load()
            bar.done(message, "error")
            ctx.say(message)
            return
        if kind == "retry":
            message = t("retried", id=file_id, actor=ctx.user.username)
        else:
            message = t("replaced", id=file_id, by=by, actor=ctx.user.username)
        load()
        bar.done(message, "ok")
        ctx.say(message)

    chooser.param.watch(load_successors, "value")
    successor.param.watch(confirm_for, "value")
    bar.on("retry", lambda: act("retry"))
    bar.on("replace", lambda: act("replace"))
    load()
    return pn.Column(listing, chooser, successor, hint, bar, sizing_mode="stretch_width")
