"""The engine's English messages in the user's language.

The validator, the parser and the pipeline write English (it is their log language and the
CLI's). For the Chinese UI each known message shape is a pattern with a Chinese template;
a message no pattern knows is shown as the engine wrote it — visible, never hidden.

>>> translate("must be a number, got 'abc'", "zh")
"必須是數字，目前是 'abc'"
>>> translate("something new", "zh")
'something new'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ncopt.errors import GCodeIssue, ScenarioIssue
from ui.i18n import current_lang, t, term

__all__ = ["gcode_rows", "issue_rows", "translate"]

# (pattern, Chinese template); named groups fill the template. First match wins.
_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"must be a number, got (?P<v>.+)", "必須是數字，目前是 {v}"),
    (r"must be a finite number, got (?P<v>.+)", "必須是有限的數字，目前是 {v}"),
    (r"must be a whole number, got (?P<v>.+)", "必須是整數，目前是 {v}"),
    (r"must be TRUE or FALSE, got (?P<v>.+)", "必須是 TRUE 或 FALSE，目前是 {v}"),
    (r"must be at most (?P<m>[^,]+), got (?P<v>.+)", "不可大於 {m}，目前是 {v}"),
    (r"must be at least (?P<m>[^,]+), got (?P<v>.+)", "不可小於 {m}，目前是 {v}"),
    (r"must be greater than (?P<m>[^,]+), got (?P<v>.+)", "必須大於 {m}，目前是 {v}"),
    (r"must be one of (?P<v>.+)", "必須是下列之一：{v}"),
    (r"must be greater than 0", "必須大於 0"),
    (r"must not be negative, got (?P<v>.+)", "不可為負數，目前是 {v}"),
    (r"must not be negative", "不可為負數"),
    (r"must not be empty", "不可空白"),
    (r"must be 'mm' or 'increment'", "必須是 mm 或 increment"),
    (r"unknown machine key", "未知的機台項目"),
    (r"missing sheet (?P<v>.+)", "缺少工作表 {v}"),
    (r"missing column (?P<v>.+)", "缺少欄位 {v}"),
    (
        r"unknown (?P<s>\w+) key (?P<k>'[^']*'); known keys: (?P<known>.+)",
        "未知的項目 {k}；可用：{known}",
    ),
    (r"(?P<k>'[^']*') is already set in row (?P<r>\d+)", "{k} 已在第 {r} 列設定"),
    (r"(?P<k>\S+) is in (?P<u>.+), not (?P<v>.+)", "{k} 的單位是 {u}，不是 {v}"),
    (r"T(?P<n>\d+) is already defined in row (?P<r>\d+)", "T{n} 已在第 {r} 列定義"),
    (
        r"unknown tool type (?P<v>'[^']*'); known: (?P<known>.+)",
        "未知的刀具類型 {v}；可用：{known}",
    ),
    (
        r"corner radius (?P<r>\S+) is more than half the diameter (?P<d>\S+)",
        "刀角半徑 {r} 大於直徑 {d} 的一半",
    ),
    (r"(?P<f>'[^']*') is already listed in row (?P<r>\d+)", "{f} 已列在第 {r} 列"),
    (
        r"(?P<f>'[^']*') must be a plain file name inside programs/.*",
        "{f} 必須是 programs/ 內的檔名 (不含資料夾、不以 . 開頭)",
    ),
    (r"file name is longer than (?P<n>\d+) bytes", "檔名超過 {n} 位元組"),
    (r"no file (?P<f>'[^']*') in programs/", "programs/ 中沒有檔案 {f}"),
    (r"(?P<f>'[^']*') cannot be read: (?P<why>.+)", "{f} 無法讀取：{why}"),
    (
        r"(?P<f>\S+) uses (?P<tools>.+), not in the tools sheet",
        "{f} 使用了 {tools}，但刀具表中沒有",
    ),
    (
        r"unknown post (?P<v>'[^']*'): .*",
        "未知的後處理 {v}：請用 fanuc 或 dotnet:<dll>:<命名空間.類別>",
    ),
    (
        r"post setting (?P<v>'[^']*') must look like .*",
        "後處理設定 {v} 的格式應為 dotnet:<dll 路徑>:<命名空間.類別>",
    ),
    (r"post-processor assembly not found: (?P<p>.+)", "找不到後處理組件：{p}"),
    (r"class (?P<c>\S+) has no public method (?P<m>.+)", "類別 {c} 沒有公開方法 {m}"),
    (r"the spreadsheet (?P<f>.+) does not exist", "試算表 {f} 不存在"),
    (r"(?P<f>.+) is empty \(0 bytes\), not an \.xlsx workbook", "{f} 是空檔案，不是 .xlsx 活頁簿"),
    (r"(?P<f>.+) is not a readable \.xlsx workbook", "{f} 不是可讀取的 .xlsx 活頁簿"),
    (r"(?P<f>.+) is larger than (?P<n>\d+) MB; .*", "{f} 超過 {n} MB，檔案是否正確？"),
    # NC program parse errors (ncopt.gcode, ncopt.execute, ncopt.geometry)
    (r"not UTF-8 text", "不是 UTF-8 文字"),
    (r"binary data \(control character\) in an NC program", "NC 程式中有二進位資料 (控制字元)"),
    (r"line too long", "單行過長"),
    (r"'\)' without '\('", "有 ')' 卻沒有 '('"),
    (r"comment not closed", "註解沒有結束"),
    (r"number without an address letter", "數字前缺少位址字母"),
    (r"unexpected character", "無法辨識的字元"),
    (r"address (?P<a>\w) without a value", "位址 {a} 沒有數值"),
    (r"address (?P<a>\w) given twice", "位址 {a} 出現兩次"),
    (r"(?P<g>G\d+) needs I/J/K or R", "{g} 需要 I/J/K 或 R"),
    (r"arc from an unknown position", "圓弧起點位置不明"),
    (r"canned cycle without a Z depth", "固定循環缺少 Z 深度"),
    (r"arc radius is zero", "圓弧半徑為零"),
    (r"arc end point is not on the circle", "圓弧終點不在圓上"),
    (r"an R arc needs an end point different from its start", "R 圓弧的終點必須與起點不同"),
    (
        r"arc radius R is smaller than half the distance to the end point",
        "圓弧半徑 R 小於到終點距離的一半",
    ),
    # job notes (run_optimization_async)
    (r"stopped at the time limit of (?P<s>\S+) s", "在時間上限 {s} 秒時停止"),
    (r"best found so far", "為目前找到的最佳結果"),
    (r"cancelled; the job did not answer and was killed", "已取消；工作沒有回應，已強制結束"),
    (
        r"cancelled; the job did not answer and its Celery task was killed",
        "已取消；工作沒有回應，其 Celery 任務已被終止",
    ),
    (r"cancelled while queued", "排隊時已取消"),
    (r"cancelled on request", "已依要求取消"),
    (r"finished early on request", "已依要求提早完成"),
    (r"killed at the hard time limit of (?P<s>\S+) s", "超過硬性時間上限 {s} 秒，已強制結束"),
    (
        r"the optimization process was killed by (?P<sig>\w+) \(signal (?P<n>\d+)\)",
        "優化程序被 {sig} 終止 (訊號 {n})，可能是記憶體不足",
    ),
    (
        r"the optimization process exited with code (?P<c>-?\d+) without a result",
        "優化程序結束 (代碼 {c})，沒有產生結果",
    ),
    (r"supervisor error: (?P<d>.+)", "監控程序錯誤：{d}"),
    (r"enqueue failed: (?P<d>.+)", "無法送出工作：{d}"),
    # names (jobstore.validate_name, ncopt.scenario.create_scenario)
    (r"(?P<kind>[\w ]+) name is empty", "{kind}名稱是空的"),
    (r"(?P<kind>[\w ]+) name contains a NUL byte", "{kind}名稱含有 NUL 字元"),
    (
        r"(?P<kind>[\w ]+) name is longer than (?P<n>\d+) (?:characters|bytes)",
        "{kind}名稱超過 {n} 個字元",
    ),
    (
        r"(?P<kind>[\w ]+) name (?P<v>'.*') must not start with '\.' or contain '\.\.'",
        "{kind}名稱 {v} 不可以 . 開頭或包含 ..",
    ),
    (
        r"(?P<kind>[\w ]+) name (?P<v>'.*') may only contain .*",
        "{kind}名稱 {v} 只能包含文字、數字、-、_ 與 .",
    ),
    (r"(?P<kind>[\w ]+) name (?P<v>'.*') is not allowed", "{kind}名稱 {v} 不允許"),
    (r"scenario (?P<v>\S+) already exists", "情境 {v} 已存在"),
    (
        r"(?P<kind>[\w ]+) name is (?P<n>\d+) bytes in UTF-8, more than the (?P<m>\d+) allowed",
        "{kind}名稱為 UTF-8 {n} 位元組，超過上限 {m}",
    ),
    (
        r"file name is (?P<n>\d+) bytes in UTF-8, more than the (?P<m>\d+) allowed",
        "檔名為 UTF-8 {n} 位元組，超過上限 {m}",
    ),
    (r"file name is empty", "檔名是空的"),
    (r"(?P<f>'.*') contains a control character", "{f} 含有控制字元"),
    (
        r"programs/(?P<f>.+) exists already; replace it to upload (?P<n>.+)",
        "programs/{f} 已存在；勾選「取代」才能上傳 {n}",
    ),
    (r"(?P<f>.+) is over the (?P<n>\d+) MB limit", "{f} 超過 {n} MB 上限"),
    (r"rename the folder to open it", "請重新命名資料夾後再開啟"),
    (r"a new start moves it aside", "重新開始優化時會將它移到一旁"),
    (r"no program (?P<f>'.*') in (?P<s>\S+)", "{s} 中沒有程式 {f}"),
    (r"no scenario (?P<v>'.*') in department (?P<d>'.*')", "部門 {d} 中沒有情境 {v}"),
    # the verifier's checklist (ncopt.verify) and the groups' reasons (ncopt.report)
    (
        r"(?P<b>\d+) barriers? and (?P<s>\d+) program stops? kept: .*",
        "保留 {b} 個屏障與 {s} 個程式停止：內容與順序相同，沒有加工跨越它們",
    ),
    (r"tool order (?P<o>.+) \((?P<n>\d+) changes fewer\)", "刀具順序 {o} (少 {n} 次換刀)"),
    (r"tool order no tool change", "沒有換刀"),
    (r"tool order (?P<o>.+)", "刀具順序 {o}"),
    (
        r"(?P<n>\d+) holes: the same place, cycle, depth, .*",
        "{n} 個孔：位置、循環、深度、R、Q、暫停、進給、重複次數、轉速、刀具、冷卻與退刀高度都相同",
    ),
    (
        r"(?P<n>\d+) cut blocks: entered at the same point, the same moves",
        "{n} 個切削區塊：進入點與移動相同",
    ),
    (r"feed moves outside blocks", "區塊外的進給移動相同"),
    (
        r"work on the same material in the same order .*",
        "同一材料的加工順序相同 (先鑽後攻、先粗後精)",
    ),
    (r"every traverse at or above the heights .*", "每段移動都不低於原程式在工件附近的高度"),
    (
        r"the same position and modes at every subprogram, .*",
        "每個副程式、停止、換刀與結束時的位置和模式相同",
    ),
    (r"not checked", "未檢查 (前一項未通過)"),
    (
        r"where the tool comes from is not known .*",
        "刀具從何處進入不明 (副程式、巨集或 G28 之後)，第一個移動不能改",
    ),
    (r"a canned cycle goes on after the group .*", "群組後的行仍依賴固定循環"),
    (r"a cut block ends on a line with other words on it", "切削區塊結束的行還有其他指令"),
    (
        r"one operation with at most two holes: nothing to re-sequence",
        "只有一項加工且最多兩個孔：無需排序",
    ),
    (r"the program's own order is the fastest found", "原程式的順序已是找到的最快順序"),
    (r"the new order failed verification", "新順序未通過驗證"),
    (r"the new program as a whole is not faster", "新程式整體沒有比較快"),
    (r"the saving is below the scenario's minimum", "節省低於情境設定的最小值"),
    (r"it is entered with cutter compensation on: .*", "進入時刀具半徑補正開啟，移動已被補正"),
    # program warnings (ncopt.report.program_warnings)
    (
        r"(?P<code>G\d+) P(?P<p>\S+): read as (?P<ms>\S+) ms, as a Fanuc control counts; .*",
        "{code} P{p}：依 Fanuc 控制器讀為 {ms} 毫秒；若程式是給 LinuxCNC、Mach3 或 grbl，"
        "請設定機台的控制器",
    ),
    (
        r"(?P<n>\d+) moves? starts? where the program does not say \(lines (?P<l>.+)\): .*",
        "{n} 個移動的起點程式未說明 (第 {l} 行)：只部分計時",
    ),
    (
        r"(?P<g>G\d+) from a position the program does not state: not timed",
        "{g} 的起點程式未說明：未計時",
    ),
    (r"(?P<t>.+): not timed", "{t}：未計時"),
    # out_df reasons (ncopt.pipeline)
    (
        r"re-sequenced and verified(?P<note> \(stopped early: best found so far\))?",
        "已重新排序並通過驗證{note}",
    ),
    (r"no re-sequencing possible or needed", "無法或無需重新排序"),
    (r"no faster order found", "找不到更快的順序"),
    (r"verification failed: (?P<d>.+)", "驗證未通過：{d}"),
    (r"output refused: (?P<d>.+)", "輸出被拒：{d}"),
)
_COMPILED = tuple((re.compile(p + r"\Z"), zh) for p, zh in _PATTERNS)
# Values of a ``kind`` group (what a name is for) and of ``note`` groups, translated too.
_VALUES = {
    "department": "部門",
    "scenario": "情境",
    "program file": "程式檔",
    "job id": "工作編號",
    " (stopped early: best found so far)": " (提早停止：目前最佳)",
}


def translate(message: str, lang: str | None = None) -> str:
    """``message`` in ``lang`` (default: the session's); unknown shapes stay as they are."""
    if (lang or current_lang()) != "zh":
        return message
    whole = _one(str(message))
    if whole is not None or "; " not in str(message):
        return whole if whole is not None else str(message)
    # The pipeline joins several notes with "; ": translate each.
    return "；".join(_one(part) or part for part in str(message).split("; "))


def _one(message: str) -> str | None:
    for pattern, template in _COMPILED:
        match = pattern.match(message.strip())
        if match:
            values = {k: _VALUES.get(v or "", v or "") for k, v in match.groupdict().items()}
            return template.format(**values)
    return None


def issue_rows(issues: Iterable[ScenarioIssue]) -> list[dict[str, object]]:
    """Spreadsheet problems as table rows with translated headers, sheet and column names."""
    return [
        {
            t("issue_sheet"): term("sheet", i.sheet),
            t("row"): i.row if i.row is not None else "",
            t("issue_column"): term("col", i.column) if i.column else "",
            t("issue_problem"): translate(i.message),
        }
        for i in issues
    ]


def gcode_rows(issues: Iterable[GCodeIssue]) -> list[dict[str, object]]:
    """NC program problems as table rows: line, column, the text there, what is wrong."""
    return [
        {
            t("line"): i.line_no,
            t("issue_column"): i.column,
            t("text"): i.text,
            t("issue_problem"): translate(i.message),
        }
        for i in issues
    ]
