"""Time the annual inventory report (PDF and XLSX) on a counted campaign of N book lines.

    python bench/report.py [--lines 100000] [--db sqlite|postgresql] [--pg-url URL]

Builds the same campaign as ``bench/review_page.py`` (N book lines, one ticket each with its two
counts, 3 % third counts, damaged and obsolete goods, uncounted and voided tickets, blank tickets,
a year of movements), adds opening values by category, then measures what a manager waits for:

- gathering the facts (reconciliation loader and engine, ticket control, count statistics,
  indicators) with nothing kept;
- typesetting the PDF, writing the workbook;
- the whole ``countapp report CODE --out FILE.pdf --xlsx FILE.xlsx`` command, then ``entries``;
- closing the campaign (the report frozen and stored).

Goal: the report's PDF and XLSX in under 30 s for 100,000 lines.
"""
from __future__ import annotations

import io
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.review_page import CODE, build  # noqa: E402
from bench.common import database_arguments, run_on_throwaway  # noqa: E402


def _timed(label: str, function, results: dict):
    started = time.perf_counter()
    value = function()
    results[label] = time.perf_counter() - started
    print(f"  {label:<58} {results[label]:7.2f} s", flush=True)
    return value


def _openings() -> None:
    from countapp.extensions import db
    from countapp.models import OpeningBalance
    from countapp.services import campaigns

    campaign = campaigns.get(CODE)
    for i, category in enumerate(("raw_materials", "other_supplies", "wip_goods", "wip_services", "products",
                                  "goods_for_resale")):
        db.session.add(OpeningBalance(campaign_id=campaign.id, category=category,
                                      opening_value=Decimal(50_000_000 + i * 1_000_000),
                                      opening_depreciation=Decimal(100_000), purchases=Decimal(200_000_000)))
    db.session.commit()


def main(argv: list[str] | None = None) -> int:
    args = database_arguments(__doc__.splitlines()[0], 100_000).parse_args(argv)
    return run_on_throwaway(args, _run, show_load=False)


def _run(url: str, args, work: Path) -> int:
    from countapp import create_app
    from countapp.extensions import db
    from countapp.services import annual_report, campaigns, reconciliation
    from countapp.services.schema import upgrade
    from reports.annual_pdf import write_annual_pdf
    from reports.annual_xlsx import write_annual_xlsx

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    results: dict[str, float] = {}
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        build(args.lines)
        _openings()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
        print(f"{args.db}: campaign of {args.lines:,} book lines built in {time.perf_counter() - started:.1f} s")
        campaign = campaigns.get(CODE)
        reconciliation._memory.clear()
        result = _timed("reconciliation, nothing kept (services.reconciliation)",
                        lambda: reconciliation.result(campaign), results)
        report = _timed("the report's own facts (tickets, counts, plan, indicators)",
                        lambda: annual_report.gather(campaign, result=result), results)
        print(f"  ({len(report.reconciliation.lines):,} rows, {report.stats.overall.both:,} tickets with two counts, "
              f"{len(report.third_counts):,} third counts)")
        pdf = io.BytesIO()
        pages = _timed("typeset the PDF", lambda: write_annual_pdf(report, pdf), results)
        xlsx = _timed("write the XLSX", lambda: write_annual_xlsx(report), results)
        print(f"  (PDF {pages} pages, {len(pdf.getvalue()) / 1e6:.1f} MB; XLSX {len(xlsx) / 1e6:.1f} MB)")
        db.session.remove()

    runner = app.test_cli_runner()
    for label, command in (
            ("countapp report --out PDF --xlsx XLSX (nothing kept)",
             ["report", CODE, "--out", str(work / "r.pdf"), "--xlsx", str(work / "r.xlsx")]),
            ("countapp entries --out CSV (reconciliation kept)", ["entries", CODE, "--out", str(work / "e.csv")]),
            ("countapp campaign close --override-reason (report frozen)",
             ["campaign", "close", CODE, "--override-reason", "bench"])):
        if label.startswith("countapp report"):
            reconciliation._memory.clear()
            for kept in (Path(app.instance_path) / "cache" / "reconciliation").glob("*.pickle"):
                kept.unlink()
        result = _timed(label, lambda: runner.invoke(args=command), results)
        if result.exit_code != 0:
            print(result.output)
            return 1
    total = sum(results[k] for k in ("reconciliation, nothing kept (services.reconciliation)",
                                     "the report's own facts (tickets, counts, plan, indicators)",
                                     "typeset the PDF", "write the XLSX"))
    print(f"report PDF + XLSX, in one process: {total:.1f} s (goal 30 s); peak memory "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    with app.app_context():
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
