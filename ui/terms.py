"""The engine's names in both languages: sheets, columns, machine and setting keys, tool types,
job states and stages, program statuses, verification rules and the reasons a group is left
alone. Keys are ``<kind>.<engine name>``; ``ui.i18n.term(kind, name)`` looks them up.

The engine's names are the contract (DESIGN.md §5, ``ncopt.scenario.schema``); a name that is
not here is shown as the engine spells it.
"""

from __future__ import annotations

_SHEETS = {
    "machine": ("機台", "Machine"),
    "tools": ("刀具", "Tools"),
    "programs": ("程式", "Programs"),
    "settings": ("設定", "Settings"),
    "(workbook)": ("(整個檔案)", "(workbook)"),
}

_COLUMNS = {
    "key": ("項目", "Key"),
    "value": ("數值", "Value"),
    "unit": ("單位", "Unit"),
    "description": ("說明", "Description"),
    "tool": ("刀號", "Tool"),
    "name": ("名稱", "Name"),
    "type": ("類型", "Type"),
    "diameter_mm": ("直徑 (mm)", "Diameter (mm)"),
    "corner_radius_mm": ("刀角半徑 (mm)", "Corner radius (mm)"),
    "flutes": ("刃數", "Flutes"),
    "length_offset": ("長度補正 H", "Length offset H"),
    "diameter_offset": ("半徑補正 D", "Diameter offset D"),
    "pitch_mm": ("螺距 (mm)", "Pitch (mm)"),
    "notes": ("備註", "Notes"),
    "file": ("檔案", "File"),
    "enabled": ("啟用", "Enabled"),
    "quantity_per_year": ("年產量", "Quantity per year"),
}

_MACHINE_KEYS = {
    "rapid_x_mm_min": ("X 軸快速移動速度", "X rapid rate"),
    "rapid_y_mm_min": ("Y 軸快速移動速度", "Y rapid rate"),
    "rapid_z_mm_min": ("Z 軸快速移動速度", "Z rapid rate"),
    "accel_x_mm_s2": ("X 軸加速度", "X acceleration"),
    "accel_y_mm_s2": ("Y 軸加速度", "Y acceleration"),
    "accel_z_mm_s2": ("Z 軸加速度", "Z acceleration"),
    "max_feed_mm_min": ("最大進給速度", "Maximum feed rate"),
    "junction_deviation_mm": ("轉角偏差", "Junction deviation"),
    "tool_change_s": ("換刀時間", "Tool change time"),
    "spindle_start_s": ("主軸啟動時間", "Spindle start time"),
    "peck_clearance_mm": ("啄鑽退刀間隙", "Peck clearance"),
    "decimal_point_mode": ("無小數點座標的讀法 (mm 或 increment)", "Coordinates without a point"),
    "controller": ("控制器", "Controller"),
}

_SETTING_KEYS = {
    "time_limit_s": ("優化時間上限 (秒)：所有程式合計", "Time budget of one run (s), all programs"),
    "allow_tool_regroup": (
        "允許合併同刀具的分段 (TRUE/FALSE)",
        "Allow merging segments of one tool (TRUE/FALSE)",
    ),
    "allow_block_reversal": (
        "允許單一深度的銑削區塊反向切削 (順銑變逆銑)",
        "Allow cutting one-depth milling blocks backwards (climb becomes conventional)",
    ),
    "air_cut_to_rapid": (
        "高於安全 Z 的空切進給改為快速移動 (TRUE/FALSE)",
        "Feed moves above a safe Z become rapids (TRUE/FALSE)",
    ),
    "air_cut_above_z_mm": (
        "空切判定高度 Z (mm)：請設在工件與夾具之上",
        "Air-cut level Z (mm): set it above the stock and clamps",
    ),
    "post": (
        "後處理：fanuc，或 dotnet:<dll 路徑>:<命名空間.類別>",
        "Post: fanuc, or dotnet:<path to .dll>:<Namespace.Class>",
    ),
    "random_seed": (
        "隨機種子 (整數 ≥ 0)，可重現同一結果",
        "Random seed (integer ≥ 0), to repeat a run",
    ),
}

_TOOL_TYPES = {
    "spot": ("定位鑽", "spot drill"),
    "center": ("中心鑽", "center drill"),
    "drill": ("鑽頭", "drill"),
    "reamer": ("鉸刀", "reamer"),
    "tap": ("絲攻", "tap"),
    "boring": ("搪刀", "boring bar"),
    "countersink": ("沉頭鑽", "countersink"),
    "chamfer": ("倒角刀", "chamfer mill"),
    "endmill": ("端銑刀", "end mill"),
    "ballmill": ("球刀", "ball mill"),
    "facemill": ("面銑刀", "face mill"),
    "threadmill": ("螺紋銑刀", "thread mill"),
    "other": ("其他", "other"),
}

_STATES = {
    "idle": ("未執行", "idle"),
    "queued": ("排隊中", "queued"),
    "starting_up": ("啟動中…", "starting…"),
    "running": ("執行中", "running"),
    "succeeded": ("完成", "succeeded"),
    "failed": ("失敗", "failed"),
    "cancelled": ("已取消", "cancelled"),
    "timed_out": ("逾時", "timed out"),
    "lost": ("遺失 (程序已消失)", "lost (its process is gone)"),
    "error": ("錯誤", "error"),
    "damaged": ("狀態檔損毀", "damaged"),
    "invalid": ("無法開啟", "cannot be opened"),
    "outdated": ("結果已過期", "outdated"),
}

_STAGES = {
    "queued": ("排隊等候中", "Waiting in the queue"),
    "starting": ("啟動中", "Starting"),
    "running": ("運算中", "Running"),
    "parse": ("讀取程式", "Reading the programs"),
    "transform": ("轉換 (空切、合併刀具)", "Transforming (air cuts, tool regrouping)"),
    "sequence": ("排序", "Sequencing"),
    "verify": ("驗證新程式", "Verifying the new program"),
    "stopping": ("停止中，保留目前最佳", "Stopping, keeping the best found"),
    "done": ("完成", "Done"),
}

# What the sequencer is doing inside a stage; {tool} is "T1" or empty.
_ACTIVITIES = {
    "holes": ("排序 {tool} 孔位 …", "Sequencing {tool} holes …"),
    "blocks": ("排序 {tool} 切削區塊 …", "Ordering {tool} cutting blocks …"),
    "write": ("寫出新程式 …", "Writing the new program …"),
    "verify": ("驗證新程式 …", "Verifying the new program …"),
}

_PROGRAM_STATUS = {
    "optimized": ("已優化", "optimized"),
    "unchanged": ("未變更", "unchanged"),
    "rejected": ("已退回 (驗證未通過)", "rejected (failed verification)"),
    "error": ("錯誤", "error"),
}

_RULES = {
    "barriers": (
        "屏障 (巨集、副程式、座標變更) 與程式停止原樣保留",
        "Barriers (macros, calls, offsets) and program stops kept",
    ),
    "tools": ("刀具與換刀順序相同", "Same tools in the same order"),
    "holes": (
        "每個孔只加工一次：循環、Z、R、Q、F、S 相同",
        "Every hole once, same cycle, Z, R, Q, F, S",
    ),
    "blocks": ("切削區塊完整保留", "Cutting blocks kept whole"),
    "loose_feeds": ("其他進給移動相同", "Other feed moves the same"),
    "order": ("同一材料的加工順序保持", "Work on the same material in order"),
    "safety": ("運動安全：退刀高度與移動高度", "Motion safety: return and travel levels"),
    "stops": ("程式停止 (M00/M01) 位置不變", "Program stops (M00/M01) in place"),
    "handover": (
        "副程式、停止、換刀與結束時的位置和模式相同",
        "Same position and modes at calls, stops, tool changes and the end",
    ),
}

_REASONS = {
    "entry_unknown": ("進入位置不明", "where the tool enters is unknown"),
    "frame": ("座標旋轉/縮放/平移中", "inside a rotated, scaled or shifted frame"),
    "cutter_comp": ("刀具半徑補正中", "cutter compensation is on"),
    "barrier_only": ("只有屏障，無可排序的加工", "only barriers, nothing to order"),
    "below_threshold": ("節省低於設定門檻", "saving below the set threshold"),
    "verify_failed": ("驗證未通過，保留原樣", "failed verification, kept as it was"),
    "not_faster": ("找不到更快的順序", "no faster order found"),
    "nothing_to_order": ("只有一項加工，無需排序", "a single operation, nothing to order"),
    "cycle_continues": ("固定循環在群組後仍被使用", "a canned cycle goes on after the group"),
    "block_unfinished": ("切削區塊結束於含其他指令的行", "a cut block ends on a busy line"),
    "already_best": ("原本的順序已是最快", "the program's own order is the fastest"),
}

_RESULT_COLUMNS = {
    "program": ("程式", "Program"),
    "status": ("狀態", "Status"),
    "reason": ("說明", "Reason"),
    "cycle_time_old_s": ("原週期 (秒)", "Cycle before (s)"),
    "cycle_time_new_s": ("新週期 (秒)", "Cycle after (s)"),
    "saving_s": ("節省 (秒)", "Saving (s)"),
    "saving_pct": ("節省 %", "Saving %"),
    "rapid_distance_old_mm": ("原快速移動距離 (m)", "Rapid distance before (m)"),
    "rapid_distance_new_mm": ("新快速移動距離 (m)", "Rapid distance after (m)"),
    "tool_changes_old": ("原換刀次數", "Tool changes before"),
    "tool_changes_new": ("新換刀次數", "Tool changes after"),
    "holes": ("孔數", "Holes"),
    "blocks": ("切削區塊數", "Cutting blocks"),
    "holes_resequenced": ("重新排序的孔", "Holes re-sequenced"),
    "air_moves_to_rapid": ("空切改快速移動", "Air moves made rapid"),
    "tool_changes_saved": ("省下的換刀", "Tool changes saved"),
    "blocks_reversed": ("反向切削的區塊", "Blocks cut backwards"),
    "quantity_per_year": ("年產量", "Quantity per year"),
    "hours_saved_per_year": ("每年節省工時 (h)", "Hours saved per year"),
}

TERMS: dict[str, tuple[str, str]] = {
    f"{prefix}.{name}": pair
    for prefix, table in (
        ("sheet", _SHEETS),
        ("col", _COLUMNS),
        ("mkey", _MACHINE_KEYS),
        ("skey", _SETTING_KEYS),
        ("tooltype", _TOOL_TYPES),
        ("state", _STATES),
        ("stage", _STAGES),
        ("activity", _ACTIVITIES),
        ("pstatus", _PROGRAM_STATUS),
        ("rule", _RULES),
        ("reason", _REASONS),
        ("rcol", _RESULT_COLUMNS),
    )
    for name, pair in table.items()
}
