"""Why to trust a new program: the verifier's checklist, the per-tool breakdown before/after,
every group left alone with its reason, and what changed per tool in one line each."""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import report
from ui.i18n import current_lang, t, term, tn
from ui.messages import translate


def render_evidence(row: dict[str, Any]) -> None:
    verification = report.verification_of(row)
    if verification is None:
        st.info(t("no_verification_report"))
        return
    checks = report.checks(verification)
    if verification.get("ok"):
        st.success(tn("verified_ok", len(checks)))
    else:
        st.error(t("verified_failed"))
    st.dataframe(
        [
            {
                t("check"): term("rule", c.get("rule")),
                t("outcome_col"): t("pass") if c.get("ok") else t("fail"),
                t("detail"): translate(str(c.get("detail") or "")),
            }
            for c in checks
        ],
        hide_index=True,
        width="stretch",
    )
    tools = report.tool_rows(verification)
    if tools:
        st.markdown(f"**{t('per_tool')}**")
        st.dataframe(_tool_table(tools), hide_index=True, width="stretch")
    _render_left_alone(report.groups_of(row))


def _tool_table(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def pair(row: dict, name: str, scale: float = 1.0, digits: int = 1, unit: str = "") -> str:
        old, new = row.get(f"{name}_old{unit}"), row.get(f"{name}_new{unit}")
        if old is None or new is None:
            return "-"
        same = " ✓" if old == new and name in ("holes", "blocks") else ""
        return f"{old / scale:,.{digits}f} → {new / scale:,.{digits}f}{same}"

    return [
        {
            t("col.tool"): f"T{r.get('tool')}",
            t("holes_before_after"): pair(r, "holes", digits=0),
            t("blocks_before_after"): pair(r, "blocks", digits=0),
            t("rapid_m_before_after"): pair(r, "rapid_distance", 1000.0, 2, unit="_mm"),
            t("rapid_s_before_after"): pair(r, "rapid_s"),
            t("tool_changes_before_after"): pair(r, "tool_changes", digits=0),
        }
        for r in tools
    ]


def _render_left_alone(groups: list[dict[str, Any]]) -> None:
    alone = report.left_alone(groups)
    if not groups:
        return
    st.markdown(f"**{tn('groups_left_alone', len(alone))}**")
    if not alone:
        return
    st.dataframe(
        [
            {
                t("group"): g.get("index"),
                t("col.tool"): f"T{g.get('tool')}",
                t("line"): g.get("first_line"),
                t("holes"): g.get("holes"),
                t("blocks_short"): g.get("blocks"),
                t("why"): term("reason", g.get("reason_code"))
                if g.get("reason_code")
                else translate(str(g.get("reason") or "")),
                t("detail"): translate(str(g.get("reason") or "")),
            }
            for g in alone
        ],
        hide_index=True,
        width="stretch",
    )


def change_lines(row: dict[str, Any]) -> list[str]:
    """One readable line per tool: "T2: 1,581 holes re-sequenced, rapid 26.10 → 14.00 m"."""
    lines = []
    for change in report.changes_per_tool(report.groups_of(row)):
        parts = []
        if change.holes:
            parts.append(tn("holes_resequenced", change.holes))
        if change.blocks:
            parts.append(tn("blocks_reordered", change.blocks))
        rapid = t(
            "rapid_change",
            old=f"{change.rapid_distance_old_mm / 1000:,.2f}",
            new=f"{change.rapid_distance_new_mm / 1000:,.2f}",
            saved=f"{change.rapid_s_old - change.rapid_s_new:,.1f}",
        )
        sep = "，" if current_lang() == "zh" else ", "
        lines.append(f"T{change.tool}{t('colon')}{sep.join([*parts, rapid])}")
    return lines
