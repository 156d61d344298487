"""What the demo shows besides tickets, each feature with something in it: knowledge base articles
(public and internal, Markdown), canned replies, mail waiting in the inbound inbox, and the text of
the postmortem that the ERP outage story writes and publishes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoArticle:
    title: str
    body: str  # Markdown; headings start at ## (the page's title is the h1)
    category: str | None
    tags: str
    author: str
    internal: bool = False
    published: bool = True
    solves: tuple[str, ...] = ()  # titles of demo tickets this article is given as the solution of


ARTICLES = (
    DemoArticle(
        "Imprimante bloquée : que faire en cas de bourrage ou d'erreur ?",
        """Avant d'ouvrir un ticket, ces vérifications règlent la plupart des blocages.

## Les voyants

| Voyant | Signification | Que faire |
|---|---|---|
| Orange fixe | Bourrage papier | Ouvrir le capot avant et retirer la feuille sans la déchirer |
| Orange clignotant | Toner presque vide | Prévoir une cartouche ; l'impression continue |
| Rouge | Erreur matérielle | Éteindre 30 secondes puis rallumer ; si le voyant reste rouge, ouvrir un ticket |

## Vider la file d'impression

1. Ouvrez **Paramètres > Imprimantes et scanners**.
2. Choisissez l'imprimante, puis **Ouvrir la file d'attente**.
3. Menu **Imprimante > Annuler tous les documents**.

Si un document reste bloqué, redémarrez le poste : la file est vidée au démarrage.
""",
        "Matériel", "imprimante, bourrage, toner", "agent1",
        solves=("La caisse n'imprime plus les tickets clients",)),
    DemoArticle(
        "Se connecter au VPN depuis l'extérieur",
        """Le VPN donne accès aux applications internes (ERP, CRM, dossiers partagés) hors des bureaux.

## Se connecter

1. Lancez **Client VPN** depuis le menu Démarrer.
2. Choisissez le profil **Siège**.
3. Saisissez votre identifiant et votre mot de passe habituels, puis le code de l'application
   d'authentification.

## Messages d'erreur fréquents

| Message | Cause probable | Solution |
|---|---|---|
| Authentification échouée | Mot de passe expiré ou certificat périmé | Changez le mot de passe, sinon ouvrez un ticket |
| Délai dépassé | Réseau de l'hôtel qui filtre le VPN | Essayez le partage de connexion de votre téléphone |
| Certificat non valide | Horloge du poste déréglée | Réglez la date et l'heure automatiquement |
""",
        "VPN", "vpn, télétravail, connexion", "agent2",
        solves=("Accès VPN refusé depuis l'hôtel",)),
    DemoArticle(
        "Changer son mot de passe VPN avant qu'il expire",
        """Le mot de passe expire tous les 90 jours ; un rappel arrive par e-mail 14 jours avant.

## Depuis le bureau

Appuyez sur **Ctrl + Alt + Suppr**, puis **Modifier un mot de passe**.

## Depuis l'extérieur

Connectez-vous d'abord au VPN, puis changez le mot de passe comme au bureau. Si le mot de passe a
déjà expiré, le VPN refuse la connexion : appelez le support au 04 72 00 00 00.

Un bon mot de passe compte au moins 12 caractères ; une phrase facile à retenir fait l'affaire.
""",
        "VPN", "vpn, mot de passe", "agent1"),
    DemoArticle(
        "Outlook redemande le mot de passe en boucle",
        """Outlook affiche la fenêtre de connexion toutes les deux minutes, même avec le bon mot de passe.

## Vérifier le mot de passe

Connectez-vous au webmail. Si la connexion échoue, le mot de passe est en cause : changez-le.

## Recréer le profil Outlook

1. Fermez Outlook.
2. **Panneau de configuration > Courrier > Afficher les profils**.
3. **Ajouter** un profil, saisissez votre adresse, puis choisissez-le **toujours** au démarrage.

Les messages restent sur le serveur : rien n'est perdu en recréant le profil.
""",
        "Messagerie", "outlook, mot de passe, messagerie", "agent2",
        solves=("Outlook demande le mot de passe en boucle",)),
    DemoArticle(
        "Ajouter une boîte aux lettres partagée dans Outlook",
        """Une boîte partagée (commandes@, contact@…) apparaît d'elle-même dans Outlook une fois les droits
donnés, après un redémarrage d'Outlook.

## Si elle n'apparaît pas

1. **Fichier > Paramètres du compte > Paramètres du compte**.
2. Double-cliquez sur votre compte, puis **Paramètres supplémentaires > Avancé**.
3. **Ajouter** et saisissez l'adresse de la boîte partagée.

Les droits se demandent par un ticket, avec l'accord du responsable de la boîte.
""",
        "Messagerie", "outlook, boîte partagée", "agent1"),
    DemoArticle(
        "Activer la validation en deux étapes sur la messagerie",
        """La validation en deux étapes protège votre compte même si votre mot de passe est volé.

## Activer

1. Webmail > **Paramètres du compte > Sécurité**.
2. **Validation en deux étapes > Activer**.
3. Scannez le QR code avec une application d'authentification (Microsoft Authenticator, FreeOTP…).
4. Saisissez le code à six chiffres affiché par l'application.

Gardez les codes de secours dans un endroit sûr : ils servent si vous changez de téléphone.
""",
        "Comptes et accès", "sécurité, messagerie, authentification", "agent1",
        solves=("Comment activer la double authentification sur la messagerie ?",)),
    DemoArticle(
        "Le Wi-Fi se coupe régulièrement : premiers contrôles",
        """Des coupures à heures fixes viennent souvent d'un canal saturé par les réseaux voisins.

## À vérifier

- La borne est-elle allumée, voyant vert fixe ?
- Le problème touche-t-il tous les appareils ou un seul ?
- Notez l'heure des coupures : elles aident le diagnostic.

## Canaux conseillés

| Bande | Canaux | Quand |
|---|---|---|
| 2,4 GHz | 1, 6 ou 11 | Appareils anciens, terminaux de paiement |
| 5 GHz | 36 à 48 | Ordinateurs et téléphones récents, visioconférence |
""",
        "Wi-Fi", "wi-fi, réseau, coupure", "agent1",
        solves=("Le Wi-Fi du magasin se coupe toutes les heures",)),
    DemoArticle(
        "Logiciel de caisse : créer le code d'une nouvelle vendeuse",
        """Chaque vendeuse a son propre code : les ventes et les écarts de caisse lui sont attribués.

1. Ouvrez la caisse avec le code du responsable.
2. **Paramètres > Utilisateurs > Ajouter**.
3. Saisissez le prénom, choisissez le profil **Vendeur** et un code à quatre chiffres.
4. Validez : le code fonctionne immédiatement.

Pour désactiver un code, même menu, bouton **Désactiver** : l'historique des ventes est conservé.
""",
        "Logiciels", "caisse, utilisateur", "agent1",
        solves=("Comment ajouter une vendeuse dans le logiciel de caisse ?",)),
    DemoArticle(
        "Demander l'installation d'un logiciel",
        """Ouvrez un ticket « Demande de support », catégorie **Logiciels**, en précisant le logiciel, le
poste et l'usage prévu.

## Délais habituels

| Logiciel | Licence | Délai |
|---|---|---|
| Suite bureautique, lecteur PDF | Incluse | 1 jour ouvré |
| Microsoft Project, Visio | À commander | 3 à 5 jours ouvrés |
| Logiciel métier d'un éditeur | Devis nécessaire | Selon l'éditeur |

Les logiciels gratuits trouvés sur Internet ne sont pas installés sans avis du support.
""",
        "Logiciels", "logiciel, installation, licence", "agent2"),
    DemoArticle(
        "ERP : renouveler à la main le certificat TLS du frontal",
        """Procédure interne, rédigée après l'incident du certificat expiré de l'ERP.

## Symptôme

Tous les utilisateurs voient une erreur SSL sur la page de connexion ; le serveur d'application répond.

## Renouveler

1. Sur le frontal, `sudo certbot renew --cert-name erp.acme.example --force-renewal`.
2. Vérifier la chaîne : `openssl s_client -connect erp.acme.example:443 -showcerts`.
3. Recharger le frontal : `sudo systemctl reload nginx`.

## Après

Vérifier que la supervision voit la nouvelle date d'expiration, et noter l'intervention sur le ticket.
""",
        "ERP", "erp, certificat, tls, procédure", "agent4", internal=True),
    DemoArticle(
        "CRM : fusionner des fiches clients en double",
        """Les doublons viennent le plus souvent d'un import sans contrôle du SIRET.

1. **Clients > Outils > Doublons**, critère **SIRET**.
2. Pour chaque paire, choisissez la fiche à garder (la plus ancienne, qui porte l'historique).
3. **Fusionner** : opportunités, contacts et factures passent sur la fiche gardée.

Au-delà de 50 doublons, escaladez au N3 : un script de fusion existe.
""",
        "CRM", "crm, doublons, import", "agent3", internal=True,
        solves=("CRM : fiches clients en double après l'import",)),
    DemoArticle(
        "Escalader un ticket : ce que doit contenir le suivi détaillé",
        """Le niveau suivant doit pouvoir reprendre sans rappeler le demandeur.

## Le suivi détaillé

- ce qui a été essayé, et le résultat ;
- ce qui a été trouvé (message d'erreur exact, journaux, captures) ;
- ce qui est attendu du niveau suivant.

## Quel motif choisir

| Motif | Quand |
|---|---|
| Diagnostic de plus de 30 min sans avancée | Aucune piste après une demi-heure |
| Compétence absente à ce niveau | Code, base de données, infrastructure |
| Impact métier important | Production, ventes ou paie bloquées |
| Droits ou accès manquants | Il faut un accès que le niveau n'a pas |
""",
        None, "escalade, procédure, support", "manager", internal=True),
    DemoArticle(
        "Réinitialiser un compte ERP verrouillé",
        """Un compte ERP se verrouille après trois mots de passe erronés.

1. Vérifiez l'identité du demandeur (rappel sur son numéro professionnel).
2. ERP > **Administration > Utilisateurs**, recherchez le compte, **Déverrouiller**.
3. **Mot de passe temporaire**, communiqué par téléphone, jamais par e-mail.
""",
        "ERP", "erp, compte, mot de passe", "agent2", internal=True, published=False,
        solves=("Mot de passe ERP bloqué après trois tentatives",)),
)

CANNED_REPLIES = (
    ("Accusé de réception",
     "Bonjour,\n\nNous avons bien reçu votre demande et la prenons en charge. Nous revenons vers vous dès que "
     "possible.\n\nCordialement,\nLe support informatique"),
    ("Informations complémentaires",
     "Bonjour,\n\nPour avancer, pourriez-vous nous indiquer le message d'erreur exact, l'heure à laquelle le "
     "problème est apparu et le nom du poste (inscrit sous l'écran) ?\n\nMerci d'avance."),
    ("Redémarrer le poste",
     "Bonjour,\n\nPouvez-vous redémarrer complètement votre poste (Démarrer > Redémarrer, pas seulement "
     "verrouiller) et nous dire si le problème persiste ?"),
    ("Intervention planifiée",
     "Bonjour,\n\nUn technicien passera à votre bureau à la date convenue. Merci de laisser le poste allumé "
     "et la session fermée."),
    ("Mot de passe réinitialisé",
     "Bonjour,\n\nVotre mot de passe a été réinitialisé. Le mot de passe temporaire vous est communiqué par "
     "téléphone ; vous devrez le changer à la première connexion."),
    ("Solution proposée",
     "Bonjour,\n\nLa solution est décrite ci-dessous. Merci de nous confirmer sur la page du ticket que le "
     "problème est résolu, ou de nous dire ce qui ne fonctionne pas encore."),
)

# Mail that reached the support address and that nobody has sorted yet (/agent/inbox/), as UTF-8 text.
INBOUND_EMAILS = (
    """Message-ID: <devis-maintenance-2027@imprimantes-lyon.example>
From: Jeanne Lefort <j.lefort@imprimantes-lyon.example>
To: support@helpdesk.localhost
Subject: Devis contrat de maintenance imprimantes 2027
Date: Mon, 23 Nov 2026 09:12:00 +0100
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Bonjour,

Comme convenu, voici notre proposition de contrat de maintenance pour vos 14 imprimantes en 2027 :
visites trimestrielles, pièces et main-d'oeuvre incluses.

Pouvez-vous nous indiquer à qui adresser le devis signé ?

Jeanne Lefort
Imprimantes Lyon Services
""",
    """Message-ID: <absence-thomas-martin-1@boulangerie-martin.example>
From: Thomas Martin <thomas.martin@example.org>
To: support@helpdesk.localhost
Subject: =?utf-8?q?R=C3=A9ponse_automatique_=3A_absent_jusqu=27au_7_d=C3=A9cembre?=
Auto-Submitted: auto-replied
Date: Fri, 27 Nov 2026 18:30:00 +0100
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Bonjour,

Je suis absent jusqu'au 7 décembre. Pour toute urgence, contactez Emma Robert au 01 45 67 89 11.

Thomas Martin
""",
)


@dataclass(frozen=True)
class DemoPostmortem:
    impact_users: str
    business_loss: str
    # (index of the story's step whose demo time it is, 0 for the creation, what happened)
    timeline: tuple[tuple[int, str], ...]
    root_cause: str
    lessons_learned: str
    # (description, owner, days after the postmortem is written, done already)
    actions: tuple[tuple[str, str, int, bool], ...]
    shared_with: tuple[str, ...]  # requesters' usernames; their organisations too


POSTMORTEMS = {
    "erp-certificate": DemoPostmortem(
        impact_users="Les 140 utilisateurs de l'usine de Lyon (production, expéditions, comptabilité) n'ont "
                     "pas pu se connecter à l'ERP pendant environ 2 h 30.",
        business_loss="Deux lignes de production arrêtées 2 h 30 ; 38 expéditions reportées au lendemain. Aucune "
                      "donnée perdue.",
        timeline=(
            (0, "Premiers signalements : l'ERP refuse toutes les connexions (erreur SSL)"),
            (1, "Prise en charge par le support N2, incident majeur déclaré (P1)"),
            (3, "Escalade au N3 : certificat présenté invalide, analyse du frontal"),
            (4, "Escalade au N4 : certificat expiré, renouvellement automatique en échec"),
            (5, "Cause identifiée : chaîne de confiance de la nouvelle autorité inconnue du script"),
            (6, "Certificat renouvelé à la main, ERP de nouveau accessible"),
        ),
        root_cause="Le certificat TLS du frontal de l'ERP a expiré. Son renouvellement automatique échouait "
                   "depuis trois semaines : l'autorité de certification avait changé de certificat "
                   "intermédiaire et le script de renouvellement ne le connaissait pas. Ces échecs n'étaient "
                   "pas supervisés.",
        lessons_learned="- Superviser la date d'expiration de chaque certificat exposé, alerte à 21 jours.\n"
                        "- Traiter un échec de renouvellement comme un incident, pas comme un avertissement.\n"
                        "- Garder une procédure de renouvellement manuel à jour dans la base de connaissances.",
        actions=(
            ("Superviser l'expiration des certificats (alerte à 21 jours)", "agent4", 7, True),
            ("Alerter le N4 sur tout échec du renouvellement automatique", "agent4", 10, True),
            ("Tester le renouvellement après chaque changement d'autorité", "agent3", 28, False),
        ),
        shared_with=("requester",),
    ),
}
