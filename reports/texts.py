"""Words the reconciliation shows to people, in French and English (keyed by language)."""
from __future__ import annotations

from dataclasses import dataclass, field

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
        "variation": "Variation des stocks de l'exercice – %(category)s",
        "reversal": "Reprise de la dépréciation de l'exercice précédent – %(category)s",
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
        "lifo": "La méthode LIFO (dernier entré, premier sorti) n'est admise ni par les normes IFRS ni par "
                "l'administration fiscale française : réservez-la à un usage de gestion.",
        "not_counted": "%(n)s ligne(s) de stock théorique sans comptage définitif : elles restent hors du stock "
                       "de clôture tant qu'elles ne sont pas comptées.",
        "unknown_to_book": "%(n)s emplacement(s) compté(s) inconnu(s) du stock théorique.",
        "rollforward_only": "%(n)s emplacement(s) sans ligne théorique ni ticket ont des mouvements entre "
                            "l'inventaire et la clôture.",
        "layers_short": "Pour %(n)s article(s), les couches de valorisation ne couvrent pas la quantité de "
                        "clôture : le complément est valorisé au coût unitaire théorique.",
        "negative_closing": "%(n)s ligne(s) ont une quantité de clôture négative : vérifiez les mouvements "
                            "postérieurs à l'inventaire.",
        "no_category": "%(n)s ligne(s) n'ont pas de catégorie de stock : elles ne peuvent pas être comptabilisées.",
        "voided": "%(n)s ticket(s) annulé(s), conservé(s) et listé(s).",
        "outside_window": "%(n)s mouvement(s) hors de la fenêtre (avant l’exercice ou après la dernière date "
                          "d’inventaire et de clôture) : conservé(s), sans effet sur les chiffres.",
    },
    "en": {
        "lifo": "LIFO (last in, first out) is refused under IFRS and by French tax rules: keep it for "
                "management purposes.",
        "not_counted": "%(n)s book line(s) have no final count: they stay out of closing stock until counted.",
        "unknown_to_book": "%(n)s counted place(s) are unknown to the book stock.",
        "rollforward_only": "%(n)s place(s) with neither book line nor ticket have movements between the count "
                            "and the closing date.",
        "layers_short": "For %(n)s item(s) the valuation layers do not cover the closing quantity: the rest is "
                        "valued at book unit cost.",
        "negative_closing": "%(n)s row(s) have a negative closing quantity: check the movements after the count.",
        "no_category": "%(n)s row(s) have no stock category: they cannot be posted.",
        "voided": "%(n)s voided ticket(s), kept and listed.",
        "outside_window": "%(n)s movement(s) outside the window (before the fiscal year or after the latest count "
                          "and closing dates): kept, moving no figure.",
    },
}


@dataclass(frozen=True)
class Notice:
    """A warning for the user: a message key, its parameters, and the text in either language."""

    key: str
    params: dict = field(default_factory=dict)

    def message(self, language: str = "en") -> str:
        template = WARNINGS.get(language, WARNINGS["en"])[self.key]
        return template % self.params if self.params else template


def category_name(category: str, language: str) -> str:
    return CATEGORY_NAMES.get(language, CATEGORY_NAMES["en"]).get(category, category)
