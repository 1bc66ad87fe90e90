"""Every label of the app, in Traditional Chinese (the shop's engineers) and English.

``t("key")`` picks the language chosen in the sidebar (session state ``lang``).
"""

from __future__ import annotations

import streamlit as st

LANGS = {"zh": "中文", "en": "English"}

STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("NC 程式優化", "NC Optimizer"),
    "language": ("語言", "Language"),
    "page_scenarios": ("情境", "Scenarios"),
    "page_editor": ("編輯", "Editor"),
    "page_optimize": ("優化", "Optimize"),
    "page_results": ("結果", "Results"),
    "page_jobs": ("工作", "Jobs"),
    "department": ("部門", "Department"),
    "scenario": ("情境", "Scenario"),
    "no_scenarios": ("資料夾中沒有情境。", "No scenarios in the data folder."),
    "pick_scenario": ("請先在側邊欄選擇情境。", "Pick a scenario in the sidebar first."),
    "state_idle": ("未執行", "idle"),
    "state_queued": ("排隊中", "queued"),
    "state_running": ("執行中", "running"),
    "state_succeeded": ("完成", "succeeded"),
    "state_failed": ("失敗", "failed"),
    "state_cancelled": ("已取消", "cancelled"),
    "state_timed_out": ("逾時", "timed out"),
    "state_lost": ("遺失", "lost"),
    "state_error": ("錯誤", "error"),
    "state_damaged": ("狀態檔損毀", "damaged"),
    "state_invalid": ("無法開啟", "cannot be opened"),
    "reason": ("原因", "Reason"),
    "outdated": ("結果已過期", "outdated"),
    "status": ("狀態", "Status"),
    "progress": ("進度", "Progress"),
    "elapsed": ("經過時間", "Elapsed"),
    "stage": ("階段", "Stage"),
    "best_so_far": ("目前最佳週期時間", "Best cycle time so far"),
    "job_id": ("工作編號", "Job id"),
    "host": ("主機", "Host"),
    "backend": ("後端", "Backend"),
    "start_button": ("完成設定 (背景優化)", "Done — optimize in the background"),
    "started": ("已在背景開始優化：{job_id}", "Optimization started in the background: {job_id}"),
    "already_running": ("已有工作在執行：{job_id}", "A job is already running: {job_id}"),
    "cancel": ("取消", "Cancel"),
    "finish_now": ("立即完成 (保留目前最佳)", "Finish now (keep the best found)"),
    "cancel_requested": ("已要求取消。", "Cancel requested."),
    "finish_requested": ("已要求提早完成。", "Early finish requested."),
    "log_tail": ("記錄檔 (最後部分)", "Log (tail)"),
    "error": ("錯誤", "Error"),
    "note": ("備註", "Note"),
    "time_limit": ("時間上限 (秒)", "Time limit (s)"),
    "new_scenario": ("新增情境", "New scenario"),
    "create": ("建立", "Create"),
    "duplicate": ("複製", "Duplicate"),
    "rename": ("重新命名", "Rename"),
    "delete": ("刪除", "Delete"),
    "new_name": ("新名稱", "New name"),
    "confirm_delete": (
        "確定刪除 {name}？此動作無法復原。",
        "Delete {name}? This cannot be undone.",
    ),
    "refused_running": (
        "工作執行中，無法變更此情境。",
        "A job is running: this scenario can't be changed now.",
    ),
    "done": ("完成。", "Done."),
    "save": ("儲存", "Save"),
    "saved": ("已儲存 {path}", "Saved {path}"),
    "issues_found": ("發現 {n} 個問題，未儲存：", "{n} problems found, not saved:"),
    "no_issues": ("沒有問題。", "No problems."),
    "upload": ("上傳 NC 程式", "Upload NC programs"),
    "uploaded": ("已上傳 {name}", "Uploaded {name}"),
    "upload_replace": (
        "取代同名的現有程式（舊程式保留於 replaced/）",
        "Replace existing programs of the same name (the old ones are kept in replaced/)",
    ),
    "upload_kept": ("；舊程式保留於 {path}", "; the old one is kept as {path}"),
    "upload_too_big": ("{name} 超過 {mb} MB 上限。", "{name} is over the {mb} MB limit."),
    "upload_bad": ("{name} 無法解析，未儲存：", "{name} could not be parsed, not saved:"),
    "preview": ("刀具路徑預覽", "Toolpath preview"),
    "program": ("程式", "Program"),
    "rapid": ("快速移動 (G0)", "Rapid (G0)"),
    "cut": ("切削", "Cutting"),
    "holes": ("孔", "Holes"),
    "no_result": ("尚無結果。", "No result yet."),
    "result_error": ("無法讀取結果：{msg}", "Cannot read the result: {msg}"),
    "earlier_result": (
        "以下為上一次成功的結果（工作 {job}）。",
        "Below: the last successful result (job {job}).",
    ),
    "outdated_warning": (
        "情境在此次優化後已變更，結果可能不再適用。請重新優化。",
        "The scenario changed after this run: the result may no longer apply. Optimize again.",
    ),
    "cycle_old": ("原週期時間", "Cycle time before"),
    "cycle_new": ("新週期時間", "Cycle time after"),
    "saving": ("節省", "Saving"),
    "hours_year": ("每年節省工時", "Hours saved per year"),
    "download_zip": ("下載新程式 (zip)", "Download new programs (zip)"),
    "download_xlsx": ("下載報告 (xlsx)", "Download report (xlsx)"),
    "diff": ("程式差異", "Code diff"),
    "old": ("原始", "Before"),
    "new": ("優化後", "After"),
    "history": ("歷史紀錄", "History"),
    "all_jobs": ("所有工作", "All jobs"),
    "stopped_early": (
        "提早停止：為目前找到的最佳結果。",
        "Stopped early: best result found so far.",
    ),
    "no_changes": ("程式沒有變更。", "The program is unchanged."),
}


def t(key: str, **values: object) -> str:
    """The label ``key`` in the current language, formatted with ``values``."""
    zh, en = STRINGS.get(key, (key, key))
    text = en if st.session_state.get("lang") == "en" else zh
    return text.format(**values) if values else text


def state_label(state: str) -> str:
    return t(f"state_{state}") if f"state_{state}" in STRINGS else state
