"""What the workbooks show people, in French and English: sheet names, headers, code values.

The column codes stay SPEC.md's in the plain CSV; a workbook is read by people, so its sheet
names, headers and the values of coded columns (status, category, owner…) are words of the
campaign's language. Unknown codes are shown as they are.
"""
from __future__ import annotations

from .csv_out import HEADERS
from .texts import CATEGORY_NAMES

SHEET_NAMES = {
    "fr": {
        "reconciliation": "Rapprochement", "by_category": "Par catégorie", "by_owner": "Par propriétaire",
        "exceptions": "Anomalies", "not_counted": "Non comptés", "third_party": "Stocks de tiers",
        "warnings": "Avertissements", "entries": "Écritures", "sign_off": "Validation", "charts": "Graphiques",
        "summary": "Synthèse", "ticket_ranges": "Plages de tickets", "voided_tickets": "Tickets annulés",
        "count_stats": "Statistiques de comptage", "third_counts": "3es comptages", "differences": "Principaux écarts",
        "causes": "Causes des écarts", "indicators": "Indicateurs", "dormant": "Stock dormant",
        "activity": "Activité des équipes", "plan_teams": "Équipes prévues", "texts": "Textes", "closing": "Clôture",
        "cutoff": "Séparation des exercices", "cycle_counts": "Inventaire tournant", "cycle_figures": "Tournant, chiffres",
    },
    "en": {
        "reconciliation": "Reconciliation", "by_category": "By category", "by_owner": "By owner",
        "exceptions": "Exceptions", "not_counted": "Not counted", "third_party": "Third-party goods",
        "warnings": "Warnings", "entries": "Entries", "sign_off": "Sign-off", "charts": "Charts",
        "summary": "Summary", "ticket_ranges": "Ticket ranges", "voided_tickets": "Voided tickets",
        "count_stats": "Count statistics", "third_counts": "Third counts", "differences": "Largest differences",
        "causes": "Causes of differences", "indicators": "Indicators", "dormant": "Dormant stock",
        "activity": "Team activity", "plan_teams": "Planned teams", "texts": "Texts", "closing": "Closing",
        "cutoff": "Cut-off", "cycle_counts": "Cycle counts", "cycle_figures": "Cycle counts, figures",
    },
}

_MORE_HEADERS = {
    "fr": {
        "stock_account": "Compte de stock", "lines": "Lignes", "not_counted": "Non comptées",
        "differences": "Lignes en écart", "key": "Clé", "message": "Message", "event": "Événement", "name": "Nom",
        "value": "Valeur", "group": "Regroupement", "tickets": "Tickets", "both_counts": "Deux comptages",
        "exactly_equal": "Comptages identiques", "within_tolerance": "Dans la tolérance",
        "third_needed": "3e comptage requis", "third_done": "3e comptage fait", "agreement_pct": "Concordance (%)",
        "exact_pct": "Identiques (%)", "third_count_pct": "3es comptages (%)", "opening_value": "Stock d’ouverture",
        "purchases": "Achats", "purchases_source": "Source des achats", "consumed": "Consommé",
        "average_stock": "Stock moyen", "rotation_days": "Rotation (jours)", "coverage_days": "Couverture (jours)",
        "dormant_lines": "Lignes dormantes", "dormant_value": "Valeur dormante", "leader": "Chef d’équipe",
        "people": "Personnes", "counts": "Comptages", "first_at": "Premier comptage", "last_at": "Dernier comptage",
        "hours": "Heures", "days": "Jours", "members": "Membres", "zones": "Zones", "start": "Début", "end": "Fin",
        "text": "Texte", "item": "Élément", "by": "Par", "category_name": "Catégorie", "indicator": "Indicateur",
        # cycle counts of a combined year
        "abc_class": "Classe", "counted_once": "Comptées au moins une fois", "coverage_pct": "Couverture (%)",
        "overdue": "En retard", "accuracy_pct": "Exactitude (%)", "net_value": "Valeur nette des écarts",
        "programme": "Programme d’inventaire tournant", "items_counted": "Articles comptés au moins une fois",
        "items_total": "Articles du programme", "year_end_items": "Articles comptés en fin d’exercice",
        "adjustments": "Ajustements acceptés", "adjustments_value": "Valeur des ajustements",
        "counted_by_neither": "Comptés ni par le programme ni par la campagne",
        # the cut-off evidence by zone (reports.cutoff)
        "direction": "Sens", "last_receipt_before": "Dernière entrée avant",
        "last_receipt_before_date": "Date de la dernière entrée avant", "last_issue_before": "Dernière sortie avant",
        "last_issue_before_date": "Date de la dernière sortie avant", "first_receipt_after": "Première entrée après",
        "first_receipt_after_date": "Date de la première entrée après", "first_issue_after": "Première sortie après",
        "first_issue_after_date": "Date de la première sortie après",
    },
    "en": {
        "stock_account": "Stock account", "lines": "Lines", "not_counted": "Not counted",
        "differences": "Lines with a difference", "key": "Key", "message": "Message", "event": "Event",
        "name": "Name", "value": "Value", "group": "Group", "tickets": "Tickets", "both_counts": "Both counts",
        "exactly_equal": "Exactly equal", "within_tolerance": "Within tolerance", "third_needed": "Third count needed",
        "third_done": "Third count done", "agreement_pct": "Agreement (%)", "exact_pct": "Exact (%)",
        "third_count_pct": "Third counts (%)", "opening_value": "Opening stock", "purchases": "Purchases",
        "purchases_source": "Purchases from", "consumed": "Consumed", "average_stock": "Average stock",
        "rotation_days": "Rotation (days)", "coverage_days": "Coverage (days)", "dormant_lines": "Dormant lines",
        "dormant_value": "Dormant value", "leader": "Leader", "people": "People", "counts": "Counts",
        "first_at": "First count", "last_at": "Last count", "hours": "Hours", "days": "Days", "members": "Members",
        "zones": "Zones", "start": "Start", "end": "End", "text": "Text", "item": "Item", "by": "By",
        "category_name": "Category", "indicator": "Indicator",
        "abc_class": "Class", "counted_once": "Counted at least once", "coverage_pct": "Coverage (%)",
        "overdue": "Overdue", "accuracy_pct": "Accuracy (%)", "net_value": "Net value of differences",
        "programme": "Cycle-count programme", "items_counted": "Items counted at least once",
        "items_total": "Items of the programme", "year_end_items": "Items counted at year-end",
        "adjustments": "Adjustments accepted", "adjustments_value": "Value of the adjustments",
        "counted_by_neither": "Counted by neither the programme nor the campaign",
        "direction": "Direction", "last_receipt_before": "Last receipt before",
        "last_receipt_before_date": "Date of the last receipt before", "last_issue_before": "Last issue before",
        "last_issue_before_date": "Date of the last issue before", "first_receipt_after": "First receipt after",
        "first_receipt_after_date": "Date of the first receipt after", "first_issue_after": "First issue after",
        "first_issue_after_date": "Date of the first issue after",
    },
}
COLUMN_HEADERS = {lang: {**HEADERS[lang], **_MORE_HEADERS[lang]} for lang in ("fr", "en")}

VALUE_LABELS = {
    "fr": {
        "category": CATEGORY_NAMES["fr"],
        "status": {"agreed": "conforme", "difference": "écart", "not_counted": "non compté",
                   "unknown_to_book": "inconnu du stock théorique", "rollforward_only": "mouvements seuls",
                   "third_party": "stock de tiers", "at_third_party": "chez un tiers", "voided": "annulé"},
        "owner": {"own": "propre", "third_party": "appartient à un tiers", "at_third_party": "détenu par un tiers"},
        "state": {"good": "bon", "damaged": "abîmé", "obsolete": "obsolète", "expired": "périmé"},
        "exception": {"voided": "ticket annulé", "not_counted": "non compté",
                      "unknown_to_book": "inconnu du stock théorique", "rollforward_only": "mouvements seuls",
                      "negative_closing": "quantité de clôture négative", "no_category": "sans catégorie",
                      "difference_without_cause": "écart sans cause"},
        "cause": {"unbilled_delivery": "livraison non facturée", "supplier_error": "erreur du fournisseur",
                  "unit_error": "erreur d’unité", "mislocation": "erreur d’emplacement", "breakage": "casse",
                  "shrinkage": "vol ou démarque inconnue", "counting_error": "erreur de comptage",
                  "book_error": "erreur du stock théorique", "other": "autre"},
        "depreciation_reason": {"damaged": "abîmé", "obsolete": "obsolète", "expired": "périmé",
                                "slow_moving": "rotation lente", "market_price": "prix de marché"},
        "event": {"reconciliation_signed": "validé", "reconciliation_reopened": "rouvert"},
        "group": {"all": "ensemble", "team": "équipe", "zone": "zone"},
        "abc_class": {"all": "ensemble"},
        "direction": {"forward": "mouvements ajoutés jusqu’à la clôture", "back": "mouvements retirés depuis la clôture",
                      "none": "inventaire à la clôture"},
        "item": {"reconciliation_signed_by": "Rapprochement validé par", "reconciliation_signed_at":
                 "Rapprochement validé le", "closed_at": "Clôturée le", "closed_by": "Clôturée par",
                 "override_reason": "Motif de la dérogation", "unaccounted_at_closing": "Tickets non justifiés",
                 "pending_third_counts_at_closing": "3es comptages en attente"},
        "purchases_source": {"opening": "fichier d’ouverture", "movements": "mouvements"},
        "key": {"all": "ensemble", "narrative": "Déroulement de l’inventaire", "difficulties": "Difficultés rencontrées",
                "solutions": "Solutions adoptées", "proposals": "Propositions d’amélioration"},
    },
    "en": {
        "category": CATEGORY_NAMES["en"],
        "status": {"agreed": "agreed", "difference": "difference", "not_counted": "not counted",
                   "unknown_to_book": "unknown to book", "rollforward_only": "movements only",
                   "third_party": "third-party goods", "at_third_party": "held by a third party", "voided": "voided"},
        "owner": {"own": "own", "third_party": "third party's", "at_third_party": "held by a third party"},
        "state": {"good": "good", "damaged": "damaged", "obsolete": "obsolete", "expired": "expired"},
        "exception": {"voided": "voided ticket", "not_counted": "not counted", "unknown_to_book": "unknown to book",
                      "rollforward_only": "movements only", "negative_closing": "negative closing quantity",
                      "no_category": "no category", "difference_without_cause": "difference without a cause"},
        "cause": {"unbilled_delivery": "unbilled delivery", "supplier_error": "supplier error",
                  "unit_error": "unit-of-measure error", "mislocation": "mislocation", "breakage": "breakage",
                  "shrinkage": "theft or unknown shrinkage", "counting_error": "counting error",
                  "book_error": "book error", "other": "other"},
        "depreciation_reason": {"damaged": "damaged", "obsolete": "obsolete", "expired": "expired",
                                "slow_moving": "slow moving", "market_price": "market price"},
        "event": {"reconciliation_signed": "signed off", "reconciliation_reopened": "reopened"},
        "group": {"all": "all", "team": "team", "zone": "zone"},
        "abc_class": {"all": "all"},
        "direction": {"forward": "rolled forward to closing", "back": "rolled back to closing",
                      "none": "counted at closing"},
        "item": {"reconciliation_signed_by": "Reconciliation signed off by", "reconciliation_signed_at":
                 "Reconciliation signed off on", "closed_at": "Closed on", "closed_by": "Closed by",
                 "override_reason": "Override reason", "unaccounted_at_closing": "Tickets unaccounted for",
                 "pending_third_counts_at_closing": "Third counts pending"},
        "purchases_source": {"opening": "opening file", "movements": "movements"},
        "key": {"all": "all", "narrative": "How the count went", "difficulties": "Difficulties met",
                "solutions": "Solutions adopted", "proposals": "Proposals for next time"},
    },
}

for _lang in VALUE_LABELS:   # a reconciliation line's cut-off (reports.reconcile) says the same as a zone's
    VALUE_LABELS[_lang]["cutoff"] = VALUE_LABELS[_lang]["direction"]

# The tickets list's coded values (ticket life cycle, owner), for the Excel CSV.
TICKET_WORDS = {
    "fr": {"status": {"created": "créé", "issued": "remis", "counted_1": "1er comptage saisi",
                      "counted_2": "2e comptage saisi", "recount": "3e comptage requis", "final": "définitif",
                      "voided": "annulé"},
           "owner": VALUE_LABELS["fr"]["owner"]},
    "en": {"status": {"created": "created", "issued": "issued", "counted_1": "1st count entered",
                      "counted_2": "2nd count entered", "recount": "third count needed", "final": "final",
                      "voided": "voided"},
           "owner": VALUE_LABELS["en"]["owner"]},
}

CHART_TEXTS = {
    "fr": {"diff_title": "Écarts d’inventaire par catégorie (valeur)", "closing_title":
           "Valeur brute du stock à la clôture par catégorie", "value": "Valeur"},
    "en": {"diff_title": "Count differences by category (value)", "closing_title":
           "Closing gross value by category", "value": "Value"},
}


def language_of(language: str | None) -> str:
    return language if language in SHEET_NAMES else "en"


def sheet_name(code: str, language: str) -> str:
    return SHEET_NAMES[language_of(language)].get(code, code)


def headers(language: str) -> dict[str, str]:
    return COLUMN_HEADERS[language_of(language)]


def value_labels(language: str) -> dict[str, dict[str, str]]:
    return VALUE_LABELS[language_of(language)]
