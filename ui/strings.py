"""The app's own words: (Traditional Chinese, English) per key; counted ones in ``PLURALS``
as (Chinese, English singular, English plural) with ``{n}``. The engine's names are in
``ui.terms``. Keep both languages in the same entry: a label cannot exist in one only."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # app, pages, sidebar
    "app_title": ("NC 程式優化", "NC Optimizer"),
    "intro": (
        "這個工具重新排列 CNC 程式中孔位與切削區塊的加工順序，縮短快速移動與週期時間。"
        "每個新程式都會重新解析並**驗證與原程式加工完全相同**（同樣的孔、循環、深度、"
        "R、Q、進給、轉速與刀具），驗證通過才提供下載；沒通過的程式保持原樣。"
        "優化在背景執行：可以離開、重新整理或開新分頁，工作會繼續。",
        "This tool re-orders the holes and cutting blocks of CNC programs to cut rapid travel "
        "and cycle time. Every new program is parsed again and **proven to machine exactly "
        "what the original does** (same holes, cycles, depths, R, Q, feeds, speeds and tools) "
        "before it is offered; a program that fails the proof stays as it was. The "
        "optimization runs in the background: leave, refresh or open a new tab, it carries on.",
    ),
    "what_next": ("接下來", "What to do next"),
    "step_scenarios": ("選擇或建立情境 (機台、刀具、程式、設定)", "Choose or create a scenario"),
    "step_editor": ("檢查機台、刀具表與 NC 程式", "Check the machine, tool table and programs"),
    "step_optimize": ("在背景開始優化並觀看進度", "Start the optimization and watch it"),
    "step_results": ("查看驗證證據並下載新程式", "Review the evidence, download the programs"),
    "chosen_status": ("目前情境：{name} — {state}", "Current scenario: {name} — {state}"),
    "jobs_running": ("{n} 個工作正在執行。", "Jobs running now: {n}."),
    "language": ("語言", "Language"),
    "page_home": ("首頁", "Start"),
    "page_scenarios": ("情境", "Scenarios"),
    "page_editor": ("編輯", "Editor"),
    "page_optimize": ("優化", "Optimize"),
    "page_results": ("結果", "Results"),
    "page_jobs": ("工作", "Jobs"),
    "department": ("部門", "Department"),
    "scenario": ("情境", "Scenario"),
    "no_scenarios": ("資料夾中沒有情境。", "No scenarios in the data folder."),
    "pick_scenario": ("請先在側邊欄選擇情境。", "Pick a scenario in the sidebar first."),
    "unsaved_sidebar": ("{scope} 有尚未儲存的變更。", "{scope} has unsaved changes."),
    "back_to_editor": ("回到編輯儲存或捨棄", "Back to the Editor to save or discard"),
    "colon": ("：", ": "),
    # scenarios page
    "click_to_choose": ("點選一列以選擇情境。", "Click a row to choose that scenario."),
    "reason": ("原因", "Reason"),
    "cannot_open": ("此資料夾無法開啟：{why}", "This folder cannot be opened: {why}"),
    "new_scenario": ("新增情境", "New scenario"),
    "create": ("建立", "Create"),
    "created": ("已建立 {name}。", "Created {name}."),
    "go_editor": ("編輯", "Edit"),
    "go_optimize": ("優化", "Optimize"),
    "go_results": ("結果", "Results"),
    "manage": ("管理 (複製、重新命名、刪除)", "Manage (duplicate, rename, delete)"),
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
    # editor: sheets
    "row": ("列", "Row"),
    "col.label": ("名稱", "Name"),
    "save": ("儲存", "Save"),
    "discard": ("捨棄變更", "Discard changes"),
    "discarded": ("已捨棄未儲存的變更。", "Unsaved changes discarded."),
    "saved": ("已儲存 {path}", "Saved {path}"),
    "nothing_to_save": (
        "沒有變更，未寫入檔案 (結果仍然有效)。",
        "Nothing changed: the file was not written (the result stays current).",
    ),
    "unsaved_here": (
        "尚未儲存的變更：{sheets}。離開此頁會保留，但要按「儲存」才會寫入檔案。",
        "Unsaved changes in: {sheets}. They are kept if you leave this page, but only Save "
        "writes them to the file.",
    ),
    "workbook_unreadable": ("無法讀取情境試算表：", "The scenario spreadsheet cannot be read:"),
    "issue_sheet": ("工作表", "Sheet"),
    "issue_column": ("欄", "Column"),
    "issue_problem": ("問題", "Problem"),
    "post_checking": ("檢查 .NET 後處理中…", "Checking the .NET post-processor…"),
    "post_failed": (
        "後處理無法載入，未儲存：{msg}",
        "The post-processor cannot be loaded, not saved: {msg}",
    ),
    # editor: programs and files
    "programs_heading": ("NC 程式", "NC programs"),
    "upload": ("上傳", "Upload"),
    "browse_files": ("選擇檔案", "Choose files"),
    "drop_files": ("拖放檔案到此處，或按「選擇檔案」", "Drop files here, or choose them"),
    "manage_program": ("刪除", "Delete"),
    "upload_label": (
        "上傳 NC 程式 (每個檔案上限 {mb} MB)",
        "Upload NC programs (up to {mb} MB each)",
    ),
    "uploaded": ("已上傳 {name}", "Uploaded {name}"),
    "upload_replace": (
        "取代同名的現有程式（舊程式保留於 replaced/）",
        "Replace existing programs of the same name (the old ones are kept in replaced/)",
    ),
    "upload_kept": ("；舊程式保留於 {path}", "; the old one is kept as {path}"),
    "upload_too_big": ("{name} 超過 {mb} MB 上限。", "{name} is over the {mb} MB limit."),
    "upload_bad": ("{name} 無法解析，未儲存：", "{name} could not be parsed, not saved:"),
    "offer_add": ("{name} 還不在程式表中。", "{name} is not in the programs sheet yet."),
    "add_to_sheet": ("加入程式表", "Add to the programs sheet"),
    "added_to_sheet": (
        "已將 {name} 加入程式表，請設定年產量後儲存。",
        "Added {name}: set its quantity, then save.",
    ),
    "no_programs": ("programs/ 資料夾中沒有程式。", "No programs in the programs/ folder."),
    "size_kb": ("大小 (KB)", "Size (kB)"),
    "in_sheet": ("在程式表中", "In the programs sheet"),
    "program": ("程式", "Program"),
    "preview": ("刀具路徑", "Toolpath"),
    "program_text": ("程式內容", "Program text"),
    "text_cut": ("只顯示前 {n} 行 (共 {total} 行)。", "Showing the first {n} of {total} lines."),
    "parse_failed": ("此程式無法解析：", "This program cannot be parsed:"),
    "line": ("行", "Line"),
    "text": ("內容", "Text"),
    "delete_program": ("刪除程式", "Delete the program"),
    "confirm_delete_program": ("確定刪除 {name}？", "Delete {name}?"),
    "program_deleted": ("已刪除 {name}。", "Deleted {name}."),
    "removed_from_sheet": (
        "也已從程式表移除 (尚未儲存)。",
        "It was also removed from the programs sheet (not saved yet).",
    ),
    "sheet_file": ("試算表檔案 (下載、上傳取代)", "Spreadsheet file (download, replace)"),
    "download_sheet": ("下載情境試算表 (xlsx)", "Download the scenario spreadsheet (xlsx)"),
    "upload_sheet": ("上傳試算表以取代目前的", "Upload a spreadsheet to replace this one"),
    "sheet_upload_bad": ("這不是可讀取的試算表：", "This is not a readable spreadsheet:"),
    "sheet_upload_issues": (
        "上傳的試算表有 {n} 個問題，取代後可在上方修正。",
        "The uploaded spreadsheet has {n} problems; fix them above after replacing.",
    ),
    "confirm_replace_sheet": ("確定取代 {name}？", "Replace {name}?"),
    "replace_sheet": ("取代", "Replace"),
    "sheet_replaced": ("已取代 {name}。", "Replaced {name}."),
    # optimize page and job panel
    "status": ("狀態", "Status"),
    "progress": ("進度", "Progress"),
    "elapsed": ("經過時間", "Elapsed"),
    "best_so_far": ("目前最佳週期時間", "Best cycle time so far"),
    "job_id": ("工作編號", "Job id"),
    "host": ("主機 · 後端", "Host · backend"),
    "failure": ("失敗原因", "Why it failed"),
    "time_limit": ("時間上限 (秒)", "Time limit (s)"),
    "start_button": ("完成設定 (背景優化)", "Done — optimize in the background"),
    "started": ("已在背景開始優化：{job_id}", "Optimization started in the background: {job_id}"),
    "already_running": ("已有工作在執行：{job_id}", "A job is already running: {job_id}"),
    "will_optimize": ("將優化：{names}", "Will optimize: {names}"),
    "nothing_to_optimize": (
        "此情境沒有啟用的程式，沒有可優化的內容。請在程式表中加入或啟用程式。",
        "Nothing to optimize: no program of this scenario is enabled. Add or enable one in "
        "the programs sheet.",
    ),
    "scenario_has_issues": (
        "情境有 {n} 個問題，修正後才能優化：",
        "The scenario has {n} problems to fix before it can be optimized:",
    ),
    "fix_in_editor": ("到編輯頁修正", "Fix it in the Editor"),
    "unsaved_before_start": (
        "編輯頁有尚未儲存的變更；優化使用的是已儲存的檔案。",
        "The Editor has unsaved changes; the optimization uses the saved file.",
    ),
    "no_job_yet": ("此情境尚未優化過。", "This scenario has not been optimized yet."),
    "cancel": ("取消", "Cancel"),
    "finish_now": ("立即完成 (保留目前最佳)", "Finish now (keep the best found)"),
    "cancel_requested": ("已要求取消。", "Cancel requested."),
    "finish_requested": ("已要求提早完成。", "Early finish requested."),
    "log_tail": ("記錄檔 (最後部分)", "Log (tail)"),
    "error": ("錯誤", "Error"),
    "note": ("備註", "Note"),
    "outcome": (
        "完成：週期時間 {old} s → {new} s，節省 {saving} s ({pct} %)。",
        "Done: cycle time {old} s → {new} s, {saving} s saved ({pct} %).",
    ),
    "see_results": ("查看結果與驗證證據", "See the results and the evidence"),
    # results page
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
    "stopped_early": (
        "搜尋在時間上限 (或「立即完成」) 時結束：以下是找到的最佳順序，同樣經過完整驗證。",
        "The search ended at its time limit (or on Finish now): below is the best order "
        "found, verified like any other.",
    ),
    "nothing_was_optimized": (
        "這次執行沒有任何程式可優化 (沒有啟用的程式)。",
        "This run had nothing to optimize (no program was enabled).",
    ),
    "cycle_old": ("原週期時間", "Cycle time before"),
    "cycle_new": ("新週期時間", "Cycle time after"),
    "saving": ("節省", "Saving"),
    "hours_year": ("每年節省工時", "Hours saved per year"),
    "download_zip": (
        "下載已優化的程式 ({n} 個，zip)",
        "Download the optimized programs ({n}, zip)",
    ),
    "download_one": ("下載 {name}", "Download {name}"),
    "download_xlsx": ("下載報告 (xlsx)", "Download the report (xlsx)"),
    "no_program_changed": (
        "沒有程式被變更，無需下載。",
        "No program was changed: nothing to download.",
    ),
    "tab_evidence": ("驗證證據", "Evidence"),
    "tab_toolpath": ("刀具路徑 (前/後)", "Toolpath (before/after)"),
    "tab_changes": ("變更摘要", "What changed"),
    "no_verification_report": (
        "此結果沒有驗證報告 (由較舊版本產生)；程式仍經過驗證才提供。",
        "This result has no verification report (made by an older version); its programs "
        "were still verified before they were offered.",
    ),
    "verified_failed": (
        "驗證未通過：新程式未被採用，保留原程式。",
        "Verification failed: the new program was not used, the original is kept.",
    ),
    "check": ("檢查項目", "Check"),
    "outcome_col": ("結果", "Outcome"),
    "pass": ("✓ 通過", "✓ passed"),
    "fail": ("✗ 未通過", "✗ failed"),
    "detail": ("細節", "Detail"),
    "per_tool": ("各刀具 前 → 後", "Per tool, before → after"),
    "holes": ("孔", "Holes"),
    "holes_before_after": ("孔數", "Holes"),
    "blocks_before_after": ("切削區塊", "Cutting blocks"),
    "blocks_short": ("區塊", "Blocks"),
    "rapid_m_before_after": ("快速移動 (m)", "Rapid travel (m)"),
    "rapid_s_before_after": ("快速移動時間 (s)", "Rapid time (s)"),
    "tool_changes_before_after": ("換刀次數", "Tool changes"),
    "group": ("群組", "Group"),
    "why": ("原因", "Why"),
    "rapid_change": (
        "快速移動 {old} → {new} m (省 {saved} s)",
        "rapid {old} → {new} m ({saved} s saved)",
    ),
    "no_changes": ("程式沒有變更。", "The program is unchanged."),
    "no_change_summary": (
        "此結果沒有逐刀具的變更摘要 (較舊版本)；可檢視原始差異。",
        "This result has no per-tool summary (older version); the raw diff is below.",
    ),
    "show_raw_diff": ("顯示原始程式差異", "Show the raw diff"),
    "old": ("原始", "Before"),
    "new": ("優化後", "After"),
    "plot_top": (
        "俯視 (X–Y)：顏色由淺到深為加工順序",
        "Top view (X–Y): light to dark is the order",
    ),
    "plot_side": (
        "Z 高度，依加工順序 (每個孔向下再退回)",
        "Z along the program (each hole down and up)",
    ),
    "plot_start": ("起點", "Start"),
    "plot_end": ("終點", "End"),
    "plot_rapid": ("快速移動", "rapid"),
    "plot_cut": ("切削", "cut"),
    "plot_holes": ("孔", "holes"),
    "plot_decimated": (
        "點數過多，路徑以抽樣顯示 (保留順序與形狀)",
        "Many points: the route is shown sampled (order and shape kept)",
    ),
    # history and jobs
    "history": ("歷史紀錄", "History"),
    "created_col": ("建立時間", "Created"),
    "finished": ("結束時間", "Finished"),
    "has_result": ("有結果", "Has a result"),
    "open_earlier": ("開啟較早的結果", "Open an earlier result"),
    "open": ("開啟", "Open"),
    "viewing_earlier": (
        "正在檢視較早的執行：工作 {job} ({when})。",
        "Viewing an earlier run: job {job} ({when}).",
    ),
    "back_to_latest": ("回到最新結果", "Back to the latest result"),
    "no_jobs": ("尚未有任何工作。", "No jobs yet."),
    "open_a_result": ("開啟結果", "Open a result"),
    "open_hint": (
        "最新的工作或歷史中任何有結果的工作。",
        "The latest job or any earlier run that has a result.",
    ),
}

PLURALS: dict[str, tuple[str, str, str]] = {
    "program_warnings": (
        "注意：此程式有 {n} 處計時或解讀需要確認：",
        "Note: {n} place of this program to check (timing or reading):",
        "Note: {n} places of this program to check (timing or reading):",
    ),
    "issues_found": (
        "發現 {n} 個問題，未儲存：",
        "{n} problem found, not saved:",
        "{n} problems found, not saved:",
    ),
    "verified_ok": (
        "已驗證：新程式重新解析後，{n} 項檢查全部通過。",
        "Verified: the new program was parsed again and passed the check.",
        "Verified: the new program was parsed again and passed all {n} checks.",
    ),
    "groups_left_alone": (
        "未變更的群組：{n} 個",
        "{n} group left alone",
        "{n} groups left alone",
    ),
    "holes_resequenced": ("{n} 個孔重新排序", "{n} hole re-sequenced", "{n} holes re-sequenced"),
    "blocks_reordered": (
        "{n} 個切削區塊重新排序",
        "{n} cutting block re-ordered",
        "{n} cutting blocks re-ordered",
    ),
}
