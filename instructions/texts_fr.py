"""Default French texts of the instructions' sections.

Paragraphs are separated by a blank line; a line starting with "- " is a bullet. ``{name}``
placeholders are filled from the campaign (see ``sections.placeholders``).
"""
from __future__ import annotations

TITLES = {
    "person_in_charge": "Responsable de l’inventaire",
    "dates_times": "Dates et horaires",
    "places": "Lieux d’inventaire",
    "scope": "Catégories de stocks inventoriées",
    "teams": "Équipes de comptage",
    "auditors": "Participation des auditeurs",
    "tidying": "Rangement préalable",
    "freeze": "Arrêt des mouvements physiques",
    "third_party_goods": "Biens appartenant à des tiers",
    "goods_elsewhere": "Biens de l’entreprise détenus par des tiers ou en transit",
    "tickets": "Tickets d’inventaire",
    "physical_state": "État physique des stocks",
    "double_count": "Double comptage",
    "third_count": "Troisième comptage",
    "cutoff": "Séparation des exercices",
    "centralisation": "Centralisation des tickets",
    "reconciliation": "Rapprochement avec l’inventaire permanent",
    "valuation": "Valorisation des stocks",
    "depreciation": "Dépréciations",
    "annual_report": "Rapport annuel d’inventaire",
}

BODIES = {
    "person_in_charge": """\
La direction de {company} confie la conduite de l’inventaire physique de l’exercice {fiscal_year} à {person_in_charge}, responsable de l’inventaire. Le responsable dirige les opérations de bout en bout\u202f: il approuve les présentes instructions, répartit le travail entre les équipes, tranche les questions imprévues, puis signe le rapprochement final et le rapport annuel d’inventaire.

Toute difficulté rencontrée pendant le comptage (emplacement non prévu, article inconnu, ticket manquant ou abîmé, marchandise dont le propriétaire est incertain) lui est signalée sans délai, directement ou par l’intermédiaire d’un chef d’équipe. Aucune dérogation aux présentes instructions n’est admise sans son accord.""",

    "dates_times": """\
Le comptage physique a lieu {count_period}. L’exercice est clôturé le {closing_date}.

Chaque équipe respecte les horaires qui lui sont attribués dans la section «\u202fÉquipes de comptage\u202f». Les participants se présentent à l’heure à leur chef d’équipe, munis d’un stylo à bille (jamais de crayon à papier), de leur badge et de leurs équipements de sécurité.

Les mouvements intervenus entre le comptage et la clôture sont pris en compte selon la règle décrite à la section «\u202fSéparation des exercices\u202f».""",

    "places": """\
Les lieux à inventorier sont listés ci-dessous, site par site et zone par zone. La liste reprend tous les emplacements connus de l’inventaire permanent, ainsi que les lieux ajoutés à la main (marqués d’un astérisque)\u202f: quais, zones de réception et d’expédition, ateliers, locaux annexes, véhicules, stockages extérieurs.

Oublier un lieu est l’erreur la plus courante d’un inventaire. Avant le comptage, chaque chef d’équipe parcourt ses zones et signale au responsable de l’inventaire tout endroit contenant du stock qui ne figure pas dans la liste\u202f; ce lieu est ajouté et confié à une équipe avant le début des opérations. Le jour du comptage, un emplacement imprévu est compté sur un ticket vierge et signalé immédiatement.""",

    "scope": """\
L’inventaire porte sur les catégories de stocks listées ci-dessous, avec leur compte de stock. Tout article de ces catégories est compté, quels que soient son emplacement, son état ou sa valeur, y compris les articles déclassés et les retours clients en attente de traitement.

Les articles d’une catégorie non listée ne sont pas comptés. En cas de doute sur la catégorie d’un article, le chef d’équipe consulte le responsable de l’inventaire avant de le laisser de côté.""",

    "teams": """\
Le comptage est confié à des équipes numérotées. Chaque équipe a un chef, qui répond de son travail, et ne fait qu’un seul des deux comptages\u202f: les équipes du premier et du second comptage sont distinctes, et personne ne compte deux fois la même zone.

Le tableau ci-dessous indique, pour chaque équipe, son comptage (1er ou 2e), son chef, ses membres, ses zones et ses horaires. Chaque zone est confiée à une équipe pour le premier comptage et à une autre pour le second.

Les magasiniers ne comptent pas le stock dont ils ont la garde\u202f: ils restent à la disposition des équipes pour les guider et répondre à leurs questions, sans prendre part au comptage.""",

    "auditors": """\
Les auditeurs listés ci-dessous sont invités à examiner les présentes instructions avant leur diffusion et à assister au comptage. Ils peuvent observer toutes les opérations, effectuer leurs propres comptages par sondage, vérifier le contrôle des tickets et relever les numéros des derniers documents de réception et d’expédition.

Les auditeurs observent et contrôlent\u202f: ils ne remplissent ni ne modifient aucun ticket, et leurs comptages restent distincts de ceux des équipes. Les équipes répondent à leurs questions et leur présentent, à leur demande, tout ticket ou tout document.""",

    "tidying": """\
Avant le jour du comptage, chaque zone est rangée\u202f: articles identiques regroupés en un seul endroit, colis entamés refermés ou clairement séparés, étiquettes lisibles, allées dégagées. Les articles abîmés, périmés ou destinés au rebut sont isolés et signalés, mais restent dans l’inventaire.

Les marchandises appartenant à des tiers sont séparées physiquement et signalées par une affiche «\u202fBiens de tiers\u202f: à compter à part\u202f».

Pendant le comptage, un stock déjà compté porte son ticket et n’est plus déplacé\u202f: c’est ce qui évite de le compter deux fois ou de l’oublier.""",

    "freeze": """\
Aucun mouvement physique de stock n’a lieu {freeze_period}\u202f: ni réception, ni expédition, ni sortie vers la production, ni transfert entre emplacements. Un stock ne se compte bien que s’il est immobile.

Les services achats, ventes et production s’organisent en conséquence\u202f: livraisons fournisseurs décalées, expéditions avancées ou reportées, production arrêtée ou approvisionnée à l’avance. Une livraison qui arrive malgré tout pendant l’arrêt est déchargée dans une zone à part, n’est pas comptée et n’est enregistrée qu’après la fin du comptage\u202f; le responsable de l’inventaire en est informé.

Toute sortie urgente pendant l’arrêt exige l’accord écrit du responsable de l’inventaire, qui la consigne avec le numéro du ticket concerné.""",

    "third_party_goods": """\
Certaines marchandises présentes sur nos sites ne nous appartiennent pas\u202f: marchandises en dépôt ou en consignation, matières reçues pour réparation ou travail à façon, marchandises vendues mais pas encore enlevées par le client. Elles sont rangées à part, comptées sur des tickets distincts et exclues du stock de l’entreprise\u202f; elles ne sont jamais valorisées.

Lignes concernées dans l’inventaire permanent\u202f: {third_party_lines}, détaillées ci-dessous par propriétaire. Les quantités comptées sont rapprochées des documents des propriétaires\u202f; tout écart est signalé au responsable de l’inventaire.""",

    "goods_elsewhere": """\
Les biens appartenant à l’entreprise mais détenus par des tiers (dépositaires, sous-traitants, entrepôts extérieurs, clients en dépôt-vente) ou en cours de transport ne sont pas comptés sur place. Ils entrent dans le stock de clôture sur la base des confirmations écrites de leurs détenteurs, arrêtées à la date du comptage.

Le service comptable envoie les demandes de confirmation avant le comptage et en suit les réponses. Une confirmation absente ou en désaccord avec les livres est signalée au responsable de l’inventaire avant l’arrêté des comptes. Lignes concernées dans l’inventaire permanent\u202f: {goods_elsewhere_lines}, détaillées ci-dessous par détenteur.""",

    "tickets": """\
Chaque ticket porte un numéro d’ordre et l’exercice, par exemple «\u202fTicket n° 000123/{fiscal_year}\u202f». Les tickets préréférencés indiquent déjà l’article, l’emplacement et l’unité\u202f; les tickets vierges sont complétés par la première équipe. Chaque ticket comporte trois volets détachables\u202f:
- le talon (numéro et référence), qui reste collé sur la marchandise après les deux comptages\u202f;
- le volet du second comptage, rempli et détaché par la seconde équipe\u202f;
- le volet du premier comptage, rempli et détaché par la première équipe.

Le chef d’équipe reçoit une série de tickets numérotés contre signature. Le ticket est collé bien en vue sur le stock, au moment où celui-ci est compté. Sur son volet, l’équipe inscrit à l’encre son numéro d’équipe, la quantité comptée dans l’unité du ticket, l’état physique, la date et le nom du responsable du comptage. Une erreur est barrée d’un trait, corrigée à côté et paraphée\u202f; le correcteur liquide est interdit.

Les volets détachés sont remis au service de centralisation à la fin de chaque zone, jamais laissés sur place. À la fin du comptage, chaque chef d’équipe rend les tickets non utilisés.

Aucun ticket n’est jamais détruit, même annulé. Un ticket abîmé ou rempli par erreur est annulé\u202f: on écrit «\u202fANNULÉ\u202f» et le motif en travers des trois volets, puis on le remet au service de centralisation, qui l’enregistre. En fin d’inventaire, chaque numéro émis doit être justifié\u202f: utilisé, annulé ou rendu.""",

    "physical_state": """\
Au moment du comptage, l’équipe note l’état physique du stock sur son volet, selon l’échelle suivante\u202f:
- bon\u202f: l’article peut être vendu ou utilisé en l’état\u202f;
- abîmé\u202f: l’article ou son emballage est endommagé\u202f; il ne peut être vendu ou utilisé qu’après remise en état ou à prix réduit\u202f;
- obsolète\u202f: l’article n’a plus d’usage ni de débouché (modèle abandonné, pièce d’un équipement qui n’existe plus)\u202f;
- périmé\u202f: la date limite d’utilisation ou de consommation est dépassée.

Lorsqu’un même emplacement contient des articles en bon état et d’autres abîmés, obsolètes ou périmés, l’équipe les sépare et compte chaque partie sur son propre ticket (un ticket vierge pour la partie déclassée). L’état relevé sert au calcul des dépréciations.""",

    "double_count": """\
Chaque stock est compté deux fois, par deux équipes différentes, de façon indépendante\u202f:
- la première équipe compte, remplit le volet du premier comptage et le remet au service de centralisation\u202f;
- la seconde équipe compte ensuite, sans connaître ni le premier comptage ni la quantité théorique, remplit le volet du second comptage et le remet de même.

Les équipes comptent ce qu’elles voient, article par article, dans l’unité du ticket, en ouvrant les colis dont le contenu n’est pas certain. Elles ne recopient jamais une quantité lue sur une étiquette, un bon de livraison ou un autre ticket.

Les deux comptages concordent lorsque leur écart reste dans les tolérances de la campagne (seuil de signification\u202f: {tolerance_between_counts}\u202f; le pourcentage se calcule sur le plus élevé des deux comptages). Dans ce cas, le second comptage est retenu. Le tableau ci-dessous récapitule les tolérances.""",

    "third_count": """\
Un troisième comptage est effectué dans deux cas\u202f:
- les deux premiers comptages diffèrent de façon significative (seuil\u202f: {tolerance_between_counts})\u202f;
- le comptage retenu s’écarte de façon significative du stock théorique de l’inventaire permanent (seuil\u202f: {tolerance_vs_book}\u202f; le pourcentage se calcule sur la quantité théorique).

Des tolérances particulières peuvent s’appliquer à certaines catégories\u202f; elles figurent dans le tableau des tolérances de la section «\u202fDouble comptage\u202f».

Le troisième comptage est réalisé ensemble par les chefs des deux équipes concernées, sous la direction de {centraliser}, responsable de la centralisation. Il a lieu dès que l’écart est connu, avant la levée de l’arrêt des mouvements. Son résultat, signé par les trois participants, est définitif\u202f: c’est la quantité retenue pour l’inventaire.""",

    "cutoff": """\
Le stock compté doit correspondre aux écritures de l’inventaire permanent arrêtées à la date du comptage, le {count_date}. La règle est la suivante\u202f: toute marchandise reçue et enregistrée au plus tard à cette date fait partie du stock compté\u202f; toute marchandise expédiée et enregistrée au plus tard à cette date n’en fait plus partie.

Dernier bon de réception enregistré avant le comptage\u202f: {last_receipt_document}. Dernier bon de livraison émis avant le comptage\u202f: {last_shipment_document}. Ces numéros sont relevés par le service comptable à l’arrêt des mouvements\u202f; les documents suivants ne peuvent concerner que des mouvements postérieurs au comptage.

Les mouvements intervenus après le comptage et jusqu’à la clôture du {closing_date} sont repris de l’inventaire permanent\u202f: les réceptions sont ajoutées au stock compté et les sorties en sont retranchées, de sorte que le stock retenu soit celui de la date de clôture.""",

    "centralisation": """\
Les volets de comptage sont centralisés par {centraliser}, au fur et à mesure de leur remise par les chefs d’équipe. Le service de centralisation vérifie que chaque volet est complet et lisible (numéro d’équipe, quantité, unité, état, date, nom), saisit les quantités et tient à jour la liste des tickets émis, utilisés, annulés et rendus.

Il signale sans délai les volets manquants, les numéros en double et les écarts significatifs, et organise les troisièmes comptages. En fin d’opérations, il établit le contrôle des tickets\u202f: chaque numéro de chaque série émise est justifié, et tout numéro manquant fait l’objet d’une recherche et d’une mention dans le rapport annuel.

Les volets papier sont conservés avec les pièces de l’inventaire, à la disposition des auditeurs.""",

    "reconciliation": """\
Une fois les comptages terminés, les quantités retenues sont rapprochées du stock théorique de l’inventaire permanent, article par article et emplacement par emplacement. Pour chaque ligne, on calcule l’écart en quantité et en valeur.

Chaque écart qui subsiste après un éventuel troisième comptage reçoit une explication\u202f: livraison non facturée ou non enregistrée, erreur du fournisseur, erreur d’unité, article rangé au mauvais emplacement, casse, vol ou démarque inconnue, erreur de comptage ou de saisie. Les écarts inexpliqués sont soumis au responsable de l’inventaire.

L’inventaire permanent n’est corrigé qu’après validation du rapprochement par le responsable de l’inventaire\u202f; chaque correction est justifiée et conservée pour les auditeurs.""",

    "valuation": """\
Méthode de valorisation retenue\u202f: {valuation_method}.

Les matières premières et les marchandises sont évaluées à leur coût d’acquisition (prix d’achat augmenté des frais accessoires\u202f: transport, droits de douane, manutention)\u202f; les produits finis et les en-cours, à leur coût de production. Un stock n’est jamais évalué à son prix de vente.

La méthode s’applique à la quantité de clôture de chaque article, tous emplacements confondus, à partir du stock d’ouverture et des réceptions de l’exercice. Le service comptable vérifie les calculs par sondage avant l’arrêté des comptes\u202f; les auditeurs peuvent les refaire.""",

    "depreciation": """\
Une dépréciation est constatée lorsque la valeur d’un stock devient inférieure à son coût\u202f: articles abîmés, obsolètes ou périmés, articles à rotation lente, ou prix du marché inférieur au coût.

Les taux fixés pour la campagne s’appliquent à la valeur brute de la ligne\u202f: abîmé {depreciation_damaged}, obsolète {depreciation_obsolete}, périmé {depreciation_expired}, rotation lente {depreciation_slow_moving} (aucun mouvement depuis {slow_moving_days} jours ou plus). {market_price_rule} Lorsque plusieurs règles s’appliquent à une même ligne, seule la dépréciation la plus forte est retenue.

La dépréciation de l’exercice précédent est reprise et la nouvelle est constatée\u202f; le détail par catégorie figure dans le rapport annuel d’inventaire.""",

    "annual_report": """\
Au terme des opérations, le responsable de l’inventaire rédige le rapport annuel d’inventaire. Il y expose\u202f:
- le déroulement prévu et le déroulement effectif de l’inventaire\u202f;
- les difficultés rencontrées et les solutions adoptées\u202f;
- ses propositions pour faciliter et améliorer les prochains inventaires.

Le rapport est accompagné des chiffres de la campagne\u202f: contrôle des tickets, statistiques de comptage, écarts et troisièmes comptages, rapprochement avec l’inventaire permanent, valorisation (valeur brute, dépréciation et valeur nette par catégorie) et écritures comptables. Il est remis à la direction et aux auditeurs.""",
}
