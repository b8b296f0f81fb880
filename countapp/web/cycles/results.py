"""What the cycle counts give: differences to accept with a cause (adjustments for the ERP and the
accounts), the adjustments and entries as CSV, coverage and accuracy, and the auditor's test sample."""
from __future__ import annotations

import io
from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import get_locale, ngettext
from flask_login import current_user

from ...models import Role
from ...services import cycle_counts, cycle_reports
from ...services import cycles as cycle_service
from ..security import requires
from .forms import AcceptForm, SampleForm
from .routes import READERS, bp

SETTLERS = (Role.MANAGER, Role.CENTRALISER)


@bp.get("/<programme>/review")
@requires(*READERS)
def review(programme):
    found = cycle_service.get(programme)
    differences = cycle_counts.differences(found.code, by=current_user)
    adjustments = cycle_counts.adjustment_lines(found.code)
    return render_template("cycles/review.html", programme=found, differences=differences, adjustments=adjustments,
                           form=AcceptForm(), can_settle=current_user.role in SETTLERS,
                           total_cents=sum(a.value_cents for a in adjustments))


@bp.post("/<programme>/review")
@requires(*SETTLERS)
def accept(programme):
    form = AcceptForm()
    if not form.validate_on_submit() or not form.cause.data:
        flash(_("Choose a cause for the difference."), "error")
    elif not form.plans.data:
        flash(_("Tick the differences to accept."), "error")
    else:
        written = cycle_counts.accept(programme, form.plans.data, cause=form.cause.data, note=form.note.data or "",
                                      by=current_user)
        flash(ngettext("%(num)d difference accepted: its adjustment is ready for the ERP.",
                       "%(num)d differences accepted: their adjustments are ready for the ERP.", written), "success")
    return redirect(url_for(".review", programme=programme))


def _csv(programme: str, writer, kind: str) -> Response:
    out = io.StringIO()
    excel = request.args.get("excel") == "1"
    writer(programme, out, excel=excel)
    data = out.getvalue().encode("utf-8-sig" if excel else "utf-8")
    name = f"{programme}-{kind}-{date.today().isoformat()}.csv"
    return Response(data, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/<programme>/adjustments.csv")
@requires(*READERS)
def adjustments_csv(programme):
    """One line per item × place × lot, valued at the item's cost: what the ERP posts."""
    return _csv(cycle_service.get(programme).code, cycle_counts.write_adjustments_csv, "adjustments")


@bp.get("/<programme>/entries")
@requires(*READERS)
def entries(programme):
    found = cycle_service.get(programme)
    language = "fr" if str(get_locale()) == "fr" else "en"
    return render_template("cycles/entries.html", programme=found,
                           entries=cycle_counts.entries(found.code, language=language))


@bp.get("/<programme>/entries.csv")
@requires(*READERS)
def entries_csv(programme):
    return _csv(cycle_service.get(programme).code, cycle_counts.write_entries_csv, "entries")


@bp.get("/<programme>/coverage")
@requires(*READERS)
def coverage(programme):
    found = cycle_service.get(programme)
    return render_template("cycles/coverage.html", programme=found, coverage=cycle_reports.coverage(found.code),
                           sample_form=SampleForm(), sample=None,
                           may_sample=current_user.role in (Role.AUDITOR, Role.MANAGER))


@bp.post("/<programme>/sample")
@requires(Role.AUDITOR, Role.MANAGER)
def sample(programme):
    """The auditor draws lines to count themselves (recorded in the audit log; nothing else written)."""
    found = cycle_service.get(programme)
    form = SampleForm()
    if not form.validate_on_submit():
        flash(_("Give how many lines to draw, from 1 to 500."), "error")
        return redirect(url_for(".coverage", programme=found.code))
    lines = cycle_reports.draw_test_sample(found.code, size=form.size.data, by=current_user)
    return render_template("cycles/coverage.html", programme=found, coverage=cycle_reports.coverage(found.code),
                           sample_form=form, sample=lines, may_sample=True)


sample._countapp_auditor_may_post = True  # the auditor's own work, as web.audit's views
