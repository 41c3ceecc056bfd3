"""Corrections at scale: the open quarantined rows filtered by source, defect and file and
read a page at a time (healthai.pipeline.corrections); one row corrected through labelled
fields (a malformed CSV line through its text), revalidated on the spot and re-queued; or the
same fix for every selected row (one value, or a mapping of values) previewed before/after
and applied after a confirmation. Every reason, rule and error is said in words; a refused
correction changes nothing and is not written to the history (the audit log)."""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd
import panel as pn

from dashboard.components import (
    ActionBar,
    Field,
    action,
    html_table,
    notice,
    section,
    styled,
    text_field,
)
from dashboard.components.base import CONTENT_CSS, Html, table_or_notice
from dashboard.i18n import fmt_num
from dashboard.pages.common import data_lang, db, domain_error, log_read, query_arg
from dashboard.shell import Context
from dashboard.wording import fix_hint, reason_text, rule_label, source_name, value_text
from healthai.pipeline import corrections, quarantine
from healthai.pipeline.errors import BatchStateError, ContractError, NotFoundError
from healthai.queries import dashboard_support

PAGE_SIZE = 50
ALL = ""


def reason_columns(reasons: list[dict], raw: dict) -> list[str]:
    cols: list[str] = []
    for r in reasons:
        for c in str(r.get("column") or "").split(","):
            c = c.strip()
            if c and c in raw and c not in cols:
                cols.append(c)
    return cols or [c for c in raw if c != "line"][:6]


def field_errors(ctx: Context, reasons: list[dict], columns: list[str]) -> dict[str, str]:
    """Column -> the error message its field shows, from the revalidation's reasons, in plain
    words (what to type), never the rule's technical name."""
    by_column: dict[str, list[str]] = {}
    for r in reasons:
        for c in str(r.get("column") or "").split(","):
            c = c.strip()
            why = fix_hint(r, ctx.lang)
            if c in columns and why not in by_column.get(c, []):
                by_column.setdefault(c, []).append(why)
    return {c: ctx.t("field_invalid", reasons="; ".join(w)) for c, w in by_column.items()}


def parse_mapping(text: str) -> tuple[dict[str, str | None], list[int]]:
    """`old => new` per line (an empty new value: none); the numbers of lines without `=>`."""
    mapping: dict[str, str | None] = {}
    bad: list[int] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "=>" not in line:
            bad.append(n)
            continue
        old, new = line.split("=>", 1)
        mapping[old.strip()] = new.strip() or None
    return mapping, bad


def build(ctx: Context) -> pn.viewable.Viewable:
    t, lang = ctx.t, ctx.lang
    can_correct = bool(ctx.user and ctx.user.can("quarantine:correct"))
    state: dict[str, Any] = {"page": 0, "rows": {}, "total": 0, "preview": None}

    # ------------------------------------------------------------------ filters
    source = styled(pn.widgets.Select(name=t("source"), options={}, width=360))
    defect = styled(pn.widgets.Select(name=t("defect"), options={}, width=460))
    file = styled(pn.widgets.Select(name=t("file"), options={}, width=360))
    listing = pn.pane.HTML(sizing_mode="stretch_width", stylesheets=[CONTENT_CSS])
    pager = ActionBar(
        actions=[
            action("previous", t("page_previous"), "secondary", busy=t("working")),
            action("next", t("page_next"), "secondary", busy=t("working")),
        ]
    )

    def selection() -> corrections.Selection:
        rule, column = (defect.value or "\t").split("\t", 1)
        return corrections.Selection(
            source=source.value or None,
            rule=rule or None,
            column=column or None,
            run_id=int(file.value) if file.value else None,
        )

    def load_facets() -> None:
        with db() as session:
            f = corrections.facets(session, selection())
        src = {t("all_sources"): ALL}
        src |= {
            f"{source_name(x['source'], lang)} ({fmt_num(x['rows'], lang)})": x["source"]
            for x in f["sources"]
        }
        defects = {t("all_defects"): ALL}
        defects |= {
            t(
                "defect_option",
                what=rule_label(str(x["rule"]), lang),
                column=x["column"] or "—",
                n=fmt_num(x["rows"], lang),
            ): f"{x['rule'] or ''}\t{x['column'] or ''}"
            for x in f["defects"]
        }
        files = {t("all_files"): ALL}
        files |= {
            f"{x['file'] or t('file_unknown')} ({fmt_num(x['rows'], lang)})": str(x["run_id"])
            for x in f["files"]
        }
        for widget, options in ((source, src), (defect, defects), (file, files)):
            keep = widget.value
            widget.options = options
            widget.value = keep if keep in options.values() else ALL

    def load_page(announce: bool = False) -> None:
        sel = selection()
        with db() as session:
            rows, total = corrections.list_rows(session, sel, PAGE_SIZE, state["page"] * PAGE_SIZE)
            if rows:
                log_read(ctx, session, "quarantined_rows", {"rows": len(rows)})
        if rows == [] and total and state["page"]:
            state["page"] = max(0, (total - 1) // PAGE_SIZE)
            return load_page(announce)
        state["rows"] = {r["row_id"]: r for r in rows}
        state["total"] = total
        first = state["page"] * PAGE_SIZE + 1
        last = state["page"] * PAGE_SIZE + len(rows)
        pages = max(1, -(-total // PAGE_SIZE))
        frame = pd.DataFrame(
            [
                {
                    "row_id": r["row_id"],
                    "source": source_name(r["source"], lang),
                    "file": r["file"] or "—",
                    "record": r["record"],
                    "reasons": Html(
                        "; ".join(
                            reason_text(x, lang, data_lang(r["source"])) for x in r["reasons"]
                        )
                    ),
                }
                for r in rows
            ],
            columns=["row_id", "source", "file", "record", "reasons"],
        )
        summary = (
            t(
                "rows_page",
                total=fmt_num(total, lang),
                first=fmt_num(first, lang),
                last=fmt_num(last, lang),
                page=state["page"] + 1,
                pages=pages,
            )
            if total
            else t("none_open_filtered")
        )
        listing.object = (
            f"<h2>{escape(t('open_rows'))}</h2><p>{escape(summary)}</p>"
            + table_or_notice(
                frame,
                t("open_rows_caption", page=state["page"] + 1, pages=pages),
                {
                    "row_id": t("row_number"),
                    "source": t("source"),
                    "file": t("file"),
                    "record": t("record"),
                    "reasons": t("reasons"),
                },
                t("none_open_filtered"),
            )
        )
        pager.disable(state["page"] == 0, ["previous"])
        pager.disable(last >= total, ["next"])
        pager.set_action(
            "next", label=t("page_next_n", page=min(pages, state["page"] + 2), pages=pages)
        )
        chooser.options = {
            t(
                "row_option",
                id=r["row_id"],
                source=source_name(r["source"], lang),
                record=r["record"],
            ): r["row_id"]
            for r in rows
        }
        values = list(chooser.options.values())
        if chooser.value not in values:
            chooser.value = values[0] if values else None
        else:
            show()
        single.disable(not rows or not can_correct)
        load_bulk_columns()
        if announce:
            filters_bar.done(summary, "ok")
            ctx.say(summary)

    def apply_filters() -> None:
        state["page"] = 0
        load_facets()
        load_page(announce=True)

    def turn(step: int) -> None:
        state["page"] = max(0, state["page"] + step)
        load_page()
        message = t("page_shown", page=state["page"] + 1)
        pager.done(message, "ok")
        ctx.say(message)

    filters_bar = ActionBar(
        actions=[action("apply", t("apply"), busy=t("working_filters"))],
    )
    filters_bar.on("apply", apply_filters)
    pager.on("previous", lambda: turn(-1))
    pager.on("next", lambda: turn(1))

    # ------------------------------------------------------------------ one row
    chooser = styled(pn.widgets.Select(name=t("choose_row"), options={}, width=460))
    detail = pn.Column(sizing_mode="stretch_width")
    fields = pn.Column(sizing_mode="stretch_width")
    comment = text_field(t("comment_short"))
    single = ActionBar(
        actions=[
            action("correct", t("revalidate"), busy=t("correcting")),
            action(
                "discard",
                t("discard"),
                "danger",
                busy=t("working"),
                confirm=t("discard_confirm"),
                confirm_label=t("discard_yes"),
            ),
        ],
        cancel_label=t("cancel"),
        cancelled_text=t("action_cancelled"),
    )
    inputs: dict[str, Field] = {}

    def show(*_args: object, errors: dict[str, str] | None = None) -> None:
        row = state["rows"].get(chooser.value)
        inputs.clear()
        if row is None:
            detail.objects, fields.objects = [], []
            return
        with db() as session:  # the raw row in full, as GET /quarantine/{id} returns it
            log_read(ctx, session, "quarantined_rows", {"id": row["row_id"]})
        data = data_lang(row["source"])
        reasons = pd.DataFrame(
            [
                {
                    "rule": rule_label(str(r.get("rule") or ""), lang),
                    "why": reason_text(r, lang, data),
                    "value": Html(value_text(r.get("value"), data, lang)),
                }
                for r in row["reasons"]
            ],
            columns=["rule", "why", "value"],
        )
        if row["malformed"]:
            inputs["line"] = Field(
                label=t("line_field"),
                value=str(row["raw"].get("line") or ""),
                multiline=True,
                rows=2,
                max_width=900,
                disabled=not can_correct,
                error=(errors or {}).get("line", ""),
            )
            raw = pd.DataFrame({"column": [t("line_as_read")], "value": [row["raw"]["line"]]})
            hint = [notice(t("line_hint"))]
        else:
            for col in reason_columns(row["reasons"], row["raw"]):
                raw_value = row["raw"].get(col)
                inputs[col] = text_field(
                    t("field_value", col=col),
                    "" if raw_value is None else str(raw_value),
                    max_width=300,
                    disabled=not can_correct,
                    error=(errors or {}).get(col, ""),
                )
            raw = pd.DataFrame(
                {"column": list(row["raw"]), "value": [str(v) for v in row["raw"].values()]}
            )
            hint = []
        fields.objects = [*hint, *inputs.values()]
        # the heading last: once it shows, this row's fields are already there
        detail.objects = [
            section(
                t("row_heading", id=row["row_id"], source=source_name(row["source"], lang)),
                level=3,
            ),
            html_table(
                reasons,
                t("reasons_of", id=row["row_id"]),
                {"rule": t("rule"), "why": t("reasons"), "value": t("value_found")},
            ),
            html_table(
                raw,
                t("record_of", record=row["record"]),
                {"column": t("column"), "value": t("value")},
                langs={"column": data, "value": data} if data != lang else None,
            ),
        ]
        invalid = [w for w in inputs.values() if w.error]
        if invalid:
            invalid[0].focus()

    def correct() -> None:
        row = state["rows"].get(chooser.value)
        if row is None or ctx.user is None or not can_correct:
            return
        typed = {c: w.value for c, w in inputs.items()}
        try:
            with db() as session:
                if row["malformed"]:
                    result = corrections.correct_line(
                        session, row["row_id"], typed["line"], ctx.user.actor, comment.value
                    )
                else:
                    changes = {
                        c: (v if v != "" else None)
                        for c, v in typed.items()
                        if v != str(row["raw"].get(c) if row["raw"].get(c) is not None else "")
                    }
                    if not changes:
                        message = t("nothing_changed")
                        single.done(message, "error")
                        ctx.say(message)
                        return
                    result = quarantine.correct_each(
                        session, {row["row_id"]: changes}, ctx.user.actor, comment.value or None
                    )
        except corrections.LineShapeError as exc:
            message = t("line_shape", found=exc.found, expected=exc.expected)
            single.done(message, "error")
            ctx.say(message)
            show(errors={"line": t("field_invalid", reasons=message.rstrip("."))})
            for c, w in inputs.items():
                w.value = typed.get(c, w.value)
            return
        except (BatchStateError, ContractError, NotFoundError) as exc:
            message = domain_error(ctx, exc, row["row_id"])
            single.done(message, "error")
            ctx.say(message)
            return
        if not result.valid:
            reasons = result.reasons.get(row["row_id"], [])
            columns = list(inputs)
            errors = field_errors(ctx, reasons, columns)
            if row["malformed"] and reasons:
                errors = {
                    "line": t(
                        "field_invalid", reasons="; ".join(reason_text(r, lang) for r in reasons)
                    )
                }
            message = t(
                "corr_invalid",
                reasons="; ".join(dict.fromkeys(fix_hint(r, lang) for r in reasons)),
            )
            single.done(message, "error")
            ctx.say(message)
            show(errors=errors)
            for c, w in inputs.items():  # what was typed stays, marked and explained
                w.value = typed.get(c, w.value)
            return
        if result.requeued_batch_id:
            message = t("corr_ok", ids=row["row_id"], batch=result.requeued_batch_id)
        else:
            message = t("corr_dup", ids=row["row_id"])
        comment.value = ""
        refresh_all()
        single.done(message, "ok")
        ctx.say(message)

    def discard() -> None:
        row = state["rows"].get(chooser.value)
        if row is None or ctx.user is None or not can_correct:
            return
        try:
            with db() as session:
                quarantine.discard(session, row["row_id"], ctx.user.actor, comment.value or None)
        except (BatchStateError, NotFoundError) as exc:
            message = domain_error(ctx, exc, row["row_id"])
            single.done(message, "error")
            ctx.say(message)
            return
        message = t("discarded", id=row["row_id"])
        comment.value = ""
        refresh_all()
        single.done(message, "ok")
        ctx.say(message)

    single.on("correct", correct)
    single.on("discard", discard)
    chooser.param.watch(show, "value")

    # ------------------------------------------------------------------ bulk fix
    bulk_column = styled(pn.widgets.Select(name=t("bulk_column"), options={}, width=360))
    bulk_mode = styled(
        pn.widgets.Select(
            name=t("bulk_mode"),
            options={t("bulk_mode_set"): "set", t("bulk_mode_map"): "map"},
            width=360,
        )
    )
    bulk_value = text_field(t("bulk_value"), max_width=360)
    bulk_mapping = Field(label=t("bulk_mapping"), multiline=True, rows=4, max_width=600)
    bulk_comment = text_field(t("comment_short"))
    bulk_intro = pn.pane.HTML(sizing_mode="stretch_width", stylesheets=[CONTENT_CSS])
    bulk_preview = pn.pane.HTML(sizing_mode="stretch_width", stylesheets=[CONTENT_CSS])
    bulk = ActionBar(
        actions=[
            action("preview", t("bulk_preview"), "secondary", busy=t("previewing")),
            action(
                "apply",
                t("bulk_apply"),
                busy=t("correcting"),
                confirm=t("bulk_confirm", n=0, passing=0),
                confirm_label=t("bulk_apply"),
                disabled=True,
            ),
        ],
        cancel_label=t("cancel"),
        cancelled_text=t("action_cancelled"),
    )

    def load_bulk_columns() -> None:
        from healthai.sources import SOURCES

        sel = selection()
        spec = SOURCES.get(sel.source or "")
        if spec is None:
            bulk_intro.object = f"<p class='notice'>{escape(t('bulk_choose_source'))}</p>"
            bulk_column.options = {}
            bulk.disable(True)
            for w in (bulk_column, bulk_mode):
                w.disabled = True
            bulk_value.disabled = bulk_mapping.disabled = True
            return
        named = [c.strip() for c in (sel.column or "").split(",") if c.strip()]
        columns = named + [c for c in spec.contract.columns if c not in named and c != "_record"]
        keep = bulk_column.value
        bulk_column.options = {c: c for c in columns}
        bulk_column.value = keep if keep in columns else columns[0]
        for w in (bulk_column, bulk_mode):
            w.disabled = not can_correct
        bulk_value.disabled = bulk_mapping.disabled = not can_correct
        bulk.disable(not can_correct, ["preview"])
        bulk.disable(True, ["apply"])
        state["preview"] = None
        bulk_preview.object = ""
        bulk_intro.object = f"<p>{escape(t('bulk_intro', total=fmt_num(state['total'], lang)))}</p>"

    def current_fix() -> corrections.BulkFix | None:
        bulk_mapping.error = ""
        if bulk_mode.value == "map":
            mapping, bad = parse_mapping(bulk_mapping.value)
            if bad or not mapping:
                bulk_mapping.error = t("bulk_mapping_error", lines=", ".join(map(str, bad)) or "—")
                bulk_mapping.focus()
                return None
            return corrections.BulkFix(column=bulk_column.value, mode="map", mapping=mapping)
        return corrections.BulkFix(
            column=bulk_column.value, mode="set", value=bulk_value.value or None
        )

    def preview() -> None:
        fix = current_fix()
        if fix is None:
            message = bulk_mapping.error
            bulk.done(message, "error")
            ctx.say(message)
            return
        sel = selection()
        try:
            with db() as session:
                p = corrections.preview(session, sel, fix)
                if p.rows:
                    log_read(ctx, session, "quarantined_rows", {"rows": len(p.rows)})
        except (BatchStateError, ContractError) as exc:
            message = domain_error(ctx, exc)
            bulk.done(message, "error")
            ctx.say(message)
            return
        state["preview"] = (fix, p.touched, sel)
        frame = pd.DataFrame(
            [
                {
                    "row_id": r["row_id"],
                    "file": r["file"] or "—",
                    "record": r["record"],
                    "before": "—" if r["before"] is None else str(r["before"]),
                    "after": "—" if r["after"] is None else str(r["after"]),
                    "passes": t("passes_yes")
                    if r["passes"]
                    else Html(
                        escape(t("passes_no", why="\x00")).replace(
                            "\x00",
                            "; ".join(
                                reason_text(x, lang, data_lang(sel.source)) for x in r["reasons"]
                            ),
                        )
                    ),
                }
                for r in p.rows
            ],
            columns=["row_id", "file", "record", "before", "after", "passes"],
        )
        summary = t(
            "bulk_summary",
            touched=fmt_num(p.touched, lang),
            selected=fmt_num(p.selected, lang),
            passing=fmt_num(p.would_pass, lang),
            failing=fmt_num(p.would_fail, lang),
        )
        bulk_preview.object = (
            f"<h3>{escape(t('bulk_preview_title'))}</h3><p>{escape(summary)}</p>"
            + table_or_notice(
                frame,
                t("bulk_preview_caption", n=len(p.rows), touched=fmt_num(p.touched, lang)),
                {
                    "row_id": t("row_number"),
                    "file": t("file"),
                    "record": t("record"),
                    "before": t("before"),
                    "after": t("after"),
                    "passes": t("passes"),
                },
                t("bulk_touches_none"),
                {"before": data_lang(sel.source), "after": data_lang(sel.source)}
                if data_lang(sel.source) != lang
                else None,
            )
        )
        bulk.set_action(
            "apply",
            disabled=p.touched == 0 or not can_correct,
            label=t("bulk_apply_n", n=fmt_num(p.touched, lang)),
            confirm=t(
                "bulk_confirm", n=fmt_num(p.touched, lang), passing=fmt_num(p.would_pass, lang)
            ),
            confirm_label=t("bulk_apply_n", n=fmt_num(p.touched, lang)),
        )
        bulk.done(summary, "ok")
        ctx.say(summary)

    def apply_bulk() -> None:
        if state["preview"] is None or ctx.user is None or not can_correct:
            return
        fix, touched, sel = state["preview"]
        try:
            with db() as session:
                result = corrections.apply(
                    session,
                    sel,
                    fix,
                    ctx.user.actor,
                    bulk_comment.value or None,
                    expected=touched,
                )
        except (BatchStateError, ContractError, NotFoundError) as exc:
            message = (
                t("bulk_changed") if isinstance(exc, BatchStateError) else domain_error(ctx, exc)
            )
            bulk.done(message, "error")
            ctx.say(message)
            return
        batches = ", ".join(map(str, result.requeued_batch_ids)) or "—"
        message = t(
            "bulk_done",
            accepted=fmt_num(len(result.accepted), lang),
            refused=fmt_num(len(result.reasons), lang),
            batches=batches,
        )
        bulk_comment.value = ""
        refresh_all()
        bulk.done(message, "ok" if result.valid else "error")
        ctx.say(message)

    mode_fields = pn.Column(sizing_mode="stretch_width")

    def mode_changed(*_args: object) -> None:
        mode_fields.objects = [bulk_value if bulk_mode.value == "set" else bulk_mapping]

    bulk_mode.param.watch(mode_changed, "value")
    mode_changed()
    bulk.on("preview", preview)
    bulk.on("apply", apply_bulk)

    # ------------------------------------------------------------------ history
    history = pn.pane.HTML(sizing_mode="stretch_width", stylesheets=[CONTENT_CSS])

    def load_history() -> None:
        with db() as session:
            hist = dashboard_support.correction_history(session)
        h = pd.DataFrame(
            [
                {
                    **x,
                    "action": t(f"audit.{x['action']}"),
                    "before": "—" if x["before"] is None else str(x["before"]),
                    "after": "—" if x["after"] is None else str(x["after"]),
                    "comment": x["comment"] or "—",
                }
                for x in hist
            ],
            columns=["at", "actor", "action", "row_id", "field", "before", "after", "comment"],
        )
        history.object = (
            f"<h2>{escape(t('history'))}</h2><p>{escape(t('history_summary', n=len(h)))}</p>"
            + table_or_notice(
                h,
                t("history"),
                {
                    "at": t("at"),
                    "actor": t("actor"),
                    "action": t("action"),
                    "row_id": t("row_number"),
                    "field": t("field"),
                    "before": t("before"),
                    "after": t("after"),
                    "comment": t("comment_short"),
                },
                t("history_summary", n=0),
            )
        )

    def refresh_all() -> None:
        load_facets()
        load_page()
        load_history()

    # deep links from the quality page and the overview: /corrections?source=...&rule=...
    with db() as session:
        f = corrections.facets(session, corrections.Selection())
    wanted = query_arg("source")
    if wanted in {x["source"] for x in f["sources"]}:
        source.options = {wanted: wanted}
        source.value = wanted
    refresh_all()

    intro = [section(t("corrections"), t("corr_intro"), level=2)]
    if not can_correct:
        intro.append(notice(t("forbidden", role=ctx.user.role if ctx.user else "—")))
    return pn.Column(
        *intro,
        section(t("filters"), t("corr_filters_intro")),
        pn.FlexBox(source, defect, file, align_items="end"),
        filters_bar,
        listing,
        pager,
        section(t("one_row_title"), t("one_row_intro")),
        chooser,
        detail,
        fields,
        comment,
        single,
        section(t("bulk_title"), t("bulk_explain")),
        bulk_intro,
        pn.FlexBox(bulk_column, bulk_mode, align_items="end"),
        mode_fields,
        bulk_comment,
        bulk,
        bulk_preview,
        history,
        sizing_mode="stretch_width",
    )
