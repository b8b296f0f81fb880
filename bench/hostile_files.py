"""Time and peak memory of the real import path on the two hostile XLSX files of issue 17.

    python bench/hostile_files.py [--rows 3000000] [--strings 20000000] [--keep DIR]

Builds, in a temporary folder (or ``--keep DIR``):
- ``rows_bomb.xlsx``: a stock sheet of ``--rows`` rows (3 million: about 15 MB zipped, as in the issue),
  past Excel's own 1,048,576;
- ``strings_bomb.xlsx``: a one-row sheet whose shared-strings table holds ``--strings`` texts (a few
  MB zipped, hundreds of MB unpacked, which openpyxl would hold in memory whole);
then runs the real command, ``countapp import stock BENCH FILE``, on a fresh SQLite database, each in a
child process of its own so that its peak resident memory is its alone, and prints wall time, peak
memory, the exit code and the message the user reads. Goals (issue 17): refused with a clear error, in
under 10 s and under 1 GiB each. Before the limits: 106 s and 5.7 GB; 53 s and 1.8 GB.

The builders are also used, small, by tests/unit/test_xlsx_limits.py.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import create_bench_campaign, measure_command  # noqa: E402

COUNTAPP = str(Path(sys.executable).with_name("countapp"))

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER = ("reference", "designation", "unit", "category", "location", "book_qty", "unit_cost")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
    '+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
    'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
_ROOT_RELS = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" '
              f'Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets>'
             '<sheet name="stock" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
                  f'<Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
                  f'<Relationship Id="rId2" Type="{DOC}/sharedStrings" Target="sharedStrings.xml"/>'
                  '</Relationships>')


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _inline_row(number: int, values) -> str:
    cells = []
    for i, value in enumerate(values):
        ref = f"{_column(i)}{number}"
        if isinstance(value, (int, float)):
            cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>')
    return f'<row r="{number}">{"".join(cells)}</row>'


def write_xlsx(path: Path, rows, *, strings=None, dimension: str | None = None) -> Path:
    """A minimal XLSX, written as a stream: ``rows`` an iterable of XML ``<row>`` texts (see ``_inline_row``),
    ``strings`` an iterable of shared-string XML ``<si>`` texts (None: an empty table)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'.encode())
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            _write_chunked(sheet, rows)
            sheet.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as table:
            table.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode())
            _write_chunked(table, strings or ())
            table.write(b"</sst>")
    return path


def _write_chunked(stream, texts) -> None:
    batch = []
    for text in texts:
        batch.append(text)
        if len(batch) >= 10_000:
            stream.write("".join(batch).encode())
            batch.clear()
    if batch:
        stream.write("".join(batch).encode())


def stock_rows(count: int, *, start: int = 2):
    """The header and ``count`` stock lines, as sheet rows."""
    yield _inline_row(1, HEADER)
    for n in range(start, start + count):
        yield (f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>R{n}</t></is></c><c r="B{n}" t="inlineStr"><is>'
               f'<t>Bolt</t></is></c><c r="C{n}" t="inlineStr"><is><t>pc</t></is></c><c r="D{n}"><v>31</v></c>'
               f'<c r="E{n}" t="inlineStr"><is><t>L1</t></is></c><c r="F{n}"><v>1</v></c><c r="G{n}"><v>1</v></c>'
               '</row>')


def rows_bomb(path: Path, rows: int = 3_000_000) -> Path:
    """A stock sheet of ``rows`` rows, written as Excel does (repeated texts in the shared-strings table)."""
    header = "".join(f'<c r="{_column(i)}1" t="s"><v>{i}</v></c>' for i in range(len(HEADER)))

    def lines():
        yield f'<row r="1">{header}</row>'
        for n in range(2, rows + 2):
            yield (f'<row r="{n}"><c t="s"><v>7</v></c><c t="s"><v>8</v></c><c t="s"><v>9</v></c><c><v>31</v>'
                   f'</c><c t="s"><v>10</v></c><c><v>{n % 97}</v></c><c><v>1</v></c></row>')

    texts = [f"<si><t>{name}</t></si>" for name in (*HEADER, "R1", "Bolt", "pc", "L1")]
    return write_xlsx(path, lines(), strings=texts)


def strings_bomb(path: Path, strings: int = 20_000_000) -> Path:
    """A header row of shared strings over a table of ``strings`` texts."""
    header = "".join(f'<c r="{_column(i)}1" t="s"><v>{i}</v></c>' for i in range(len(HEADER)))
    texts = (f"<si><t>{name}</t></si>" for name in HEADER)

    def table():
        yield from texts
        for _ in range(strings):
            yield "<si><t>x</t></si>"

    return write_xlsx(path, [f'<row r="1">{header}</row>'], strings=table())


def measure(path: Path, work: Path) -> dict:
    """``countapp import stock BENCH path`` in a child process: wall time, its peak memory, code, message."""
    env = {**os.environ, "COUNTAPP_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite'}",
           "COUNTAPP_INSTANCE_PATH": str(work / "instance"), "COUNTAPP_LANGUAGE": "en"}
    if not (work / "bench.sqlite").exists():
        create_bench_campaign(COUNTAPP, env)
    outcome = measure_command([COUNTAPP, "import", "stock", "BENCH", str(path)], env)
    return {**outcome, "message": outcome["message"][-400:]}


_CHECK_ALONE = """
import resource, sys, time
from countapp import filecheck
start = time.perf_counter()
result = filecheck.check_file("stock", sys.argv[1])
seconds = time.perf_counter() - start
print(seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, result.error_count)
"""


def measure_check(path: Path) -> dict:
    """The file check alone (``filecheck.check_file``, what the preview, the job and the CLI run first), timed
    inside a child process: without the command's start-up."""
    done = subprocess.run([sys.executable, "-c", _CHECK_ALONE, str(path)], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    seconds, peak_kib, errors = done.stdout.split()
    return {"seconds": float(seconds), "peak_mib": int(peak_kib) / 1024, "errors": int(errors)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--strings", type=int, default=20_000_000)
    parser.add_argument("--keep", type=Path, help="build the files in this folder and keep them")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        where = args.keep or work
        where.mkdir(parents=True, exist_ok=True)
        files = []
        for name, build, n in (("rows_bomb.xlsx", rows_bomb, args.rows), ("strings_bomb.xlsx", strings_bomb,
                                                                          args.strings)):
            path = where / name
            if not path.exists():
                build(path, n)
            unpacked = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
            print(f"{name}: {path.stat().st_size / 2**20:.1f} MiB zipped, {unpacked / 2**20:,.0f} MiB unpacked")
            files.append(path)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (the command's start-up alone "
              "takes seconds on a loaded machine: cpu s is what the command used)")
        print(f"{'countapp import stock':<22} {'wall s':>7} {'cpu s':>6} {'peak MiB':>9} {'exit':>5}  "
              "goal (<10 s, <1024 MiB, refused)")
        for path in files:
            r = measure(path, work)
            ok = r["seconds"] < 10 and r["peak_mib"] < 1024 and r["rc"] != 0
            print(f"{path.name:<22} {r['seconds']:>7.2f} {r['cpu']:>6.2f} {r['peak_mib']:>9.0f} {r['rc']:>5}  "
                  f"{'ok' if ok else 'MISSED'}")
            print(f"    {r['message'].splitlines()[-1] if r['message'] else ''}")
        print(f"{'check_file alone':<22} {'wall s':>7} {'':>6} {'peak MiB':>9} {'errors':>6}")
        for path in files:
            r = measure_check(path)
            print(f"{path.name:<22} {r['seconds']:>7.2f} {'':>6} {r['peak_mib']:>9.0f} {r['errors']:>6}")


if __name__ == "__main__":
    main()
