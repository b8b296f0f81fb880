"""Words the reconciliation shows to people, in French and English (keyed by language)."""
from __future__ import annotations

from dataclasses import dataclass, field

from tickets.plurals import choose

LANGUAGES = ("fr", "en")

CATEGORY_NAMES = {
    "fr": {
        "raw_materials": "matières premières et fournitures",
        "other_supplies": "autres approvisionnements",
        "wip_goods": "en-cours de production de biens",
        "wip_services": "en-cours de production de services",
        "products": "produits intermédiaires et finis",
        "goods_for_resale": "marchandises",
    },
    "en": {
        "raw_materials": "raw materials and supplies",
        "other_supplies": "other supplies",
        "wip_goods": "work in progress (goods)",
        "wip_services": "work in progress (services)",
        "products": "intermediate and finished products",
        "goods_for_resale": "goods for resale",
    },
}

ENTRY_LABELS = {
    "fr": {
        "variation": "Variation des stocks de l’exercice – %(category)s",
        "reversal": "Reprise de la dépréciation de l’exercice précédent – %(category)s",
        "charge": "Dépréciation des stocks à la clôture – %(category)s",
    },
    "en": {
        "variation": "Stock variation for the year – %(category)s",
        "reversal": "Reversal of last year's depreciation – %(category)s",
        "charge": "Stock depreciation at closing – %(category)s",
    },
}

WARNINGS = {
    "fr": {
        "lifo": "La méthode LIFO (dernier entré, premier sorti) n’est admise ni par les normes IFRS ni par "
                "l’administration fiscale française\u202f: réservez-la à un usage de gestion.",
        "not_counted": ("%(n)s ligne de stock théorique sans comptage définitif\u202f: elle reste hors du stock "
                        "de clôture tant qu’elle n’est pas comptée.",
                        "%(n)s lignes de stock théorique sans comptage définitif\u202f: elles restent hors du stock "
                        "de clôture tant qu’elles ne sont pas comptées."),
        "unknown_to_book": ("%(n)s emplacement compté inconnu du stock théorique.",
                            "%(n)s emplacements comptés inconnus du stock théorique."),
        "rollforward_only": ("%(n)s emplacement sans ligne théorique ni ticket a des mouvements entre "
                             "l’inventaire et la clôture.",
                             "%(n)s emplacements sans ligne théorique ni ticket ont des mouvements entre "
                             "l’inventaire et la clôture."),
        "layers_short": ("Pour %(n)s article, les couches de valorisation ne couvrent pas la quantité de "
                         "clôture\u202f: le complément est valorisé au coût unitaire théorique.",
                         "Pour %(n)s articles, les couches de valorisation ne couvrent pas la quantité de "
                         "clôture\u202f: le complément est valorisé au coût unitaire théorique."),
        "negative_closing": ("%(n)s ligne a une quantité de clôture négative\u202f: vérifiez les mouvements "
                             "postérieurs à l’inventaire.",
                             "%(n)s lignes ont une quantité de clôture négative\u202f: vérifiez les mouvements "
                             "postérieurs à l’inventaire."),
        "no_category": ("%(n)s ligne n’a pas de catégorie de stock\u202f: elle ne peut pas être comptabilisée.",
                        "%(n)s lignes n’ont pas de catégorie de stock\u202f: elles ne peuvent pas être "
                        "comptabilisées."),
        "voided": ("%(n)s ticket annulé, conservé et listé.", "%(n)s tickets annulés, conservés et listés."),
        "outside_window": ("%(n)s mouvement hors de la fenêtre (avant l’exercice ou après la dernière date "
                           "d’inventaire et de clôture)\u202f: conservé, sans effet sur les chiffres.",
                           "%(n)s mouvements hors de la fenêtre (avant l’exercice ou après la dernière date "
                           "d’inventaire et de clôture)\u202f: conservés, sans effet sur les chiffres."),
    },
    "en": {
        "lifo": "LIFO (last in, first out) is refused under IFRS and by French tax rules: keep it for "
                "management purposes.",
        "not_counted": ("%(n)s book line has no final count: it stays out of closing stock until counted.",
                        "%(n)s book lines have no final count: they stay out of closing stock until counted."),
        "unknown_to_book": ("%(n)s counted place is unknown to the book stock.",
                            "%(n)s counted places are unknown to the book stock."),
        "rollforward_only": ("%(n)s place with neither book line nor ticket has movements between the count "
                             "and the closing date.",
                             "%(n)s places with neither book line nor ticket have movements between the count "
                             "and the closing date."),
        "layers_short": ("For %(n)s item the valuation layers do not cover the closing quantity: the rest is "
                         "valued at book unit cost.",
                         "For %(n)s items the valuation layers do not cover the closing quantity: the rest is "
                         "valued at book unit cost."),
        "negative_closing": ("%(n)s row has a negative closing quantity: check the movements after the count.",
                             "%(n)s rows have a negative closing quantity: check the movements after the count."),
        "no_category": ("%(n)s row has no stock category: it cannot be posted.",
                        "%(n)s rows have no stock category: they cannot be posted."),
        "voided": ("%(n)s voided ticket, kept and listed.", "%(n)s voided tickets, kept and listed."),
        "outside_window": ("%(n)s movement outside the window (before the fiscal year or after the latest count "
                           "and closing dates): kept, moving no figure.",
                           "%(n)s movements outside the window (before the fiscal year or after the latest count "
                           "and closing dates): kept, moving no figure."),
    },
}


@dataclass(frozen=True)
class Notice:
    """A warning for the user: a message key, its parameters, and the text in either language."""

    key: str
    params: dict = field(default_factory=dict)

    def message(self, language: str = "en") -> str:
        template = choose(WARNINGS.get(language, WARNINGS["en"])[self.key], self.params.get("n"), language)
        return template % self.params if self.params else template


def category_name(category: str, language: str) -> str:
    return CATEGORY_NAMES.get(language, CATEGORY_NAMES["en"]).get(category, category)
