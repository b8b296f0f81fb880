"""Reading a workbook in words back as codes: sheets, headers and coded values (reports.xlsx_texts)."""
from __future__ import annotations

from reports.xlsx_texts import COLUMN_HEADERS, VALUE_LABELS, sheet_name


def sheet(workbook, code: str):
    """The sheet whose code is ``code``, in whichever language the workbook is written."""
    for language in ("fr", "en"):
        name = sheet_name(code, language)
        if name in workbook.sheetnames:
            return workbook[name]
    return workbook[code]


def records(workbook, code: str) -> list[dict]:
    """The sheet's rows as dicts keyed by column code, coded values given back as codes."""
    rows = list(sheet(workbook, code).iter_rows(values_only=True))
    language = "fr" if sheet_name(code, "fr") in workbook.sheetnames else "en"
    words = {}
    for column, word in COLUMN_HEADERS[language].items():
        words.setdefault(word, column)
    header = [words.get(h, h) for h in rows[0]]
    back = {column: {word: value for value, word in labels.items()}
            for column, labels in VALUE_LABELS[language].items()}
    return [{h: back.get(h, {}).get(v, v) if isinstance(v, str) else v for h, v in zip(header, r)} for r in rows[1:]]


def summary(workbook) -> dict[str, object]:
    """The annual workbook's summary as {figure key: value} (its rows name each figure in words)."""
    from reports.annual_texts import TEXTS
    from reports.annual_xlsx import SUMMARY_KEYS

    rows = list(sheet(workbook, "summary").iter_rows(values_only=True))[1:]
    language = "fr" if sheet_name("summary", "fr") in workbook.sheetnames else "en"
    keys = {TEXTS[language][label]: key for key, label in SUMMARY_KEYS}
    return {keys[r[0]]: r[1] for r in rows}
