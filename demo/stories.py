"""The demo's ticket stories, each a ticket's life in steps (demo.data), played by `seed_demo`."""

from __future__ import annotations

from accounts.roles import Level
from tickets.models import Channel, Scale, TicketType

from .data import (
    Story,
    answer,
    assign,
    auto_close,
    cause,
    close,
    escalate,
    note,
    publish_postmortem,
    raise_priority,
    rate,
    reopen,
    reply,
    resolve,
    take,
    wait,
    write_postmortem,
)

H, M, L = Scale.HIGH, Scale.MEDIUM, Scale.LOW
INCIDENT, SUPPORT, INFO, BUG, COMPLAINT = (
    TicketType.INCIDENT, TicketType.SUPPORT_REQUEST, TicketType.INFORMATION_REQUEST, TicketType.BUG_REPORT,
    TicketType.COMPLAINT,
)
WEB, EMAIL, PHONE, CHAT = Channel.WEB, Channel.EMAIL, Channel.PHONE, Channel.CHAT

# `requester` is at Acme Industries, a VIP: the escalation rule starts their tickets at N2, so N2 takes them.

STORIES = (
    # --- Closed
    Story("requester2", "Impossible d'envoyer des e-mails depuis Outlook",
          "Depuis ce matin, tous mes messages restent dans la boîte d'envoi. La réception fonctionne.",
          INCIDENT, WEB, H, L, "Messagerie", "20d6h", (
              take("agent1", "25m"),
              reply("agent1", "5m", "Bonjour, pouvez-vous m'indiquer le message d'erreur exact affiché par Outlook ?"),
              answer("40m", "Le message dit : « Le serveur a refusé l'adresse de l'expéditeur »."),
              cause("agent1", "15m", "Mot de passe du compte de messagerie expiré côté serveur."),
              resolve("agent1", "20m", "Le mot de passe avait expiré : il a été réinitialisé et le compte "
                      "reconfiguré dans Outlook. Les messages en attente sont partis."),
              close("3h"),
              rate("1h", 5, "Très réactif, merci pour les explications."),
          )),
    Story("requester", "Demande d'installation de Microsoft Project",
          "J'ai besoin de Microsoft Project pour le suivi du chantier de la nouvelle ligne de production.",
          SUPPORT, WEB, L, L, "Logiciels", "19d2h30m", (
              take("agent2", "2h"),
              reply("agent2", "10m", "Bonjour, la licence est disponible, l'installation est planifiée demain matin."),
              resolve("agent2", "18h", "Microsoft Project installé et licence activée sur votre poste."),
              close("6h"),
              rate("2h", 4, "Installé dans les temps."),
          )),
    Story("requester2", "Le Wi-Fi du magasin se coupe toutes les heures",
          "La connexion Wi-Fi tombe plusieurs fois par jour, la tablette de commande perd la liaison.",
          INCIDENT, PHONE, M, M, "Wi-Fi", "18d4h", (
              take("agent1", "5m"),
              wait("agent1", "30m", "Pouvez-vous redémarrer la borne Wi-Fi et noter l'heure des prochaines "
                   "coupures ?"),
              answer("1d", "Coupures à 9h10, 10h05 et 11h20 ce matin, toujours pendant quelques minutes."),
              cause("agent1", "1h", "Canal Wi-Fi saturé par les réseaux des commerces voisins."),
              resolve("agent1", "2h", "La borne a été basculée sur le canal 11 et sa puissance ajustée. "
                      "Aucune coupure depuis."),
              auto_close(),
          ), recorded_by="agent1"),
    Story("requester", "Accès VPN refusé depuis l'hôtel",
          "En déplacement à Hambourg, le VPN refuse ma connexion : « authentification échouée ».",
          INCIDENT, EMAIL, H, M, "VPN", "16d1h15m", (
              take("agent2", "10m"),
              reply("agent2", "5m", "Bonjour, votre certificat VPN a expiré hier, nous en générons un nouveau."),
              cause("agent2", "5m", "Certificat utilisateur VPN expiré."),
              resolve("agent2", "1h", "Nouveau certificat émis et installé à distance ; connexion VPN vérifiée."),
              close("1h"),
              rate("30m", 5, "Impeccable, même à distance depuis Hambourg."),
          )),
    Story("requester2", "Comment ajouter une vendeuse dans le logiciel de caisse ?",
          "Une nouvelle vendeuse commence lundi, je ne trouve pas où créer son code dans la caisse.",
          INFO, EMAIL, L, L, "Logiciels", "15d5h", (
              take("agent1", "3h"),
              resolve("agent1", "20m", "Menu Paramètres > Utilisateurs > Ajouter ; la procédure illustrée est "
                      "jointe à ce ticket."),
              close("5h"),
              rate("3h", 4),
          )),
    Story("requester", "ERP inaccessible pour toute l'usine de Lyon",
          "Plus personne ne peut se connecter à l'ERP depuis 8h : la production et les expéditions sont "
          "bloquées.",
          INCIDENT, WEB, H, H, "ERP", "14d3h20m", (
              take("agent2", "8m"),
              note("agent2", "10m", "Page de connexion en erreur SSL pour tous les postes, le serveur "
                   "d'application répond."),
              escalate("agent2", "5m", Level.N3, "agent3", "complex_incident",
                       "Erreur SSL sur l'ERP pour tous les utilisateurs ; serveur joignable, certificat "
                       "présenté invalide. Analyse du frontal nécessaire."),
              escalate("agent3", "15m", Level.N4, "agent4", "business_impact",
                       "Le certificat du frontal a expiré et le renouvellement automatique échoue sur la "
                       "chaîne de confiance ; besoin de l'architecte pour intervenir sur l'infrastructure."),
              cause("agent4", "40m", "Certificat TLS du serveur d'application expiré, renouvellement "
                    "automatique en échec."),
              resolve("agent4", "1h30m", "Certificat renouvelé, renouvellement automatique réparé et "
                      "supervisé. L'ERP est de nouveau accessible."),
              close("4h"),
              rate("20m", 3, "Bien résolu, mais une matinée entière d'usine à l'arrêt."),
              write_postmortem("agent4", "1d", "erp-certificate"),
              publish_postmortem("manager", "5h", "erp-certificate"),
          )),
    Story("requester2", "Réclamation : délai de traitement trop long",
          "J'attends depuis une semaine une réponse pour l'installation de notre nouvelle imprimante.",
          COMPLAINT, EMAIL, M, L, "Poste de travail", "12d2h", (
              take("agent1", "1h"),
              reply("agent1", "10m", "Bonjour, nous vous présentons nos excuses pour ce délai. Un technicien "
                    "passe jeudi à 9h."),
              resolve("agent1", "2d", "Imprimante installée jeudi ; le retard venait d'une demande mal "
                      "catégorisée, corrigée."),
              close("1d"),
              rate("1h", 2, "Une semaine d'attente avant la première réponse."),
          )),
    Story("requester", "CRM : fiches clients en double après l'import",
          "Depuis l'import de la semaine dernière, de nombreux clients apparaissent deux fois dans le CRM.",
          BUG, WEB, M, M, "CRM", "11d6h40m", (
              take("agent2", "1h"),
              escalate("agent2", "30m", Level.N3, "agent3", "skill_unavailable",
                       "Doublons reproduits sur 40 fiches : l'import ne compare pas les SIRET. Correction du "
                       "script d'import nécessaire."),
              cause("agent3", "3h", "Le script d'import ignorait le SIRET pour détecter les doublons."),
              resolve("agent3", "1d", "Script corrigé et doublons fusionnés."),
              reopen("5h", "Il reste des doublons pour les clients importés en mars."),
              resolve("agent3", "6h", "Les fiches de mars sont aussi fusionnées ; contrôle fait sur tout le "
                      "fichier."),
              close("2h"),
              rate("4h", 3, "Il a fallu rouvrir le ticket."),
          )),
    Story("requester2", "Création d'un compte pour une nouvelle vendeuse",
          "Merci de créer une adresse e-mail pour Léa Girard, vendeuse à partir de lundi.",
          SUPPORT, WEB, M, L, "Comptes et accès", "8d3h", (
              take("agent1", "1h"),
              resolve("agent1", "3h", "Compte lea.girard créé ; identifiants remis sous pli."),
              auto_close(),
          )),
    # --- Resolved (within the auto-close delay)
    Story("requester", "Écran externe non détecté sur le portable",
          "Mon second écran reste noir quand je branche le portable sur la station d'accueil.",
          INCIDENT, WEB, M, L, "Matériel", "5d2h", (
              take("agent2", "3h"),
              reply("agent2", "10m", "Pouvez-vous essayer avec un autre câble HDMI ? Nous vous en déposons un."),
              resolve("agent2", "1d", "Pilote de la station d'accueil mis à jour : l'écran est détecté."),
          )),
    Story("requester2", "La caisse n'imprime plus les tickets clients",
          "L'imprimante de la caisse principale clignote orange et n'imprime plus rien.",
          INCIDENT, PHONE, H, M, "Matériel", "3d5h30m", (
              take("agent1", "5m"),
              reply("agent1", "10m", "Nous prenons la main à distance sur la caisse dans 5 minutes."),
              cause("agent1", "20m", "File d'impression bloquée par un ticket corrompu."),
              resolve("agent1", "1h", "File d'impression vidée et imprimante réinitialisée ; impression testée."),
          ), recorded_by="agent1"),
    Story("requester", "Mot de passe ERP bloqué après trois tentatives",
          "Mon compte ERP est verrouillé, je dois saisir les commandes avant midi.",
          SUPPORT, CHAT, H, L, "Comptes et accès", "2d1h45m", (
              take("agent2", "10m"),
              resolve("agent2", "15m", "Compte déverrouillé et mot de passe temporaire communiqué par téléphone."),
          ), recorded_by="agent1"),
    Story("requester2", "Comment activer la double authentification sur la messagerie ?",
          "Notre banque nous recommande la double authentification, comment l'activer ?",
          INFO, WEB, L, L, "Comptes et accès", "4d6h", (
              take("agent1", "4h"),
              resolve("agent1", "30m", "Voici la procédure : Paramètres du compte > Sécurité > Validation en "
                      "deux étapes, puis scanner le QR code avec l'application d'authentification."),
          )),
    Story("requester", "Le CRM affiche une erreur 500 sur les opportunités",
          "Impossible d'ouvrir une opportunité : page « Erreur interne du serveur ». Les commerciaux sont "
          "bloqués.",
          BUG, WEB, H, M, "CRM", "6d4h", (
              take("agent2", "15m"),
              escalate("agent2", "40m", Level.N3, "agent3", "skill_unavailable",
                       "Erreur 500 reproduite sur toutes les opportunités ayant une remise ; trace jointe, "
                       "problème dans le calcul de marge."),
              cause("agent3", "3h", "Division par zéro dans le calcul de marge quand la remise est de 100 %."),
              resolve("agent3", "20h", "Correctif déployé en production ; les opportunités s'ouvrent."),
          )),
    Story("requester2", "Lenteurs importantes sur le poste de la boutique",
          "Le PC de la boutique met plusieurs minutes à ouvrir le logiciel de caisse.",
          INCIDENT, WEB, M, M, "Poste de travail", "1d3h", (
              take("agent1", "1h"),
              wait("agent1", "15m", "Pouvez-vous me communiquer le numéro inscrit sous le poste ?"),
              answer("2h", "C'est le PC-BOUT-02."),
              cause("agent1", "30m", "Disque plein : journaux de la caisse jamais purgés."),
              resolve("agent1", "1h", "Journaux archivés et purge automatique programmée ; le poste est "
                      "redevenu rapide."),
          )),
    # --- Waiting
    Story("requester", "Installation de l'imprimante du 2e étage",
          "Nous avons reçu une nouvelle imprimante pour le bureau d'études, merci de l'installer.",
          SUPPORT, WEB, L, M, "Matériel", "3d2h", (
              take("agent2", "1h"),
              wait("agent2", "1h", "Pourriez-vous nous indiquer le modèle exact de l'imprimante et son "
                   "emplacement ?"),
          )),
    Story("requester2", "Pas de connexion Wi-Fi pour le terminal de paiement",
          "Le terminal de paiement ne trouve plus le réseau, nous ne pouvons encaisser qu'en espèces.",
          INCIDENT, PHONE, H, M, "Wi-Fi", "1d1h", (
              take("agent1", "5m"),
              reply("agent1", "15m", "La borne ne répond plus à distance ; nous contactons l'opérateur."),
              wait("agent1", "30m", "Nous attendons le passage du technicien de l'opérateur, prévu demain "
                   "matin."),
          ), recorded_by="agent1"),
    Story("requester", "VPN : déconnexions fréquentes en télétravail",
          "Depuis chez moi, le VPN se déconnecte toutes les 20 minutes environ.",
          INCIDENT, WEB, M, M, "VPN", "4d3h30m", (
              take("agent2", "2h"),
              wait("agent2", "20m", "Pouvez-vous nous envoyer le fichier journal du client VPN (menu Aide > "
                   "Exporter les journaux) ?"),
          )),
    Story("requester2", "Devis pour le remplacement de la tablette de commande",
          "La tablette de prise de commande est fissurée, pouvez-vous nous faire un devis ?",
          INFO, EMAIL, L, L, "Matériel", "2d5h", (
              take("agent1", "5h"),
              wait("agent1", "30m", "Nous attendons le devis de notre fournisseur, nous revenons vers vous "
                   "dès réception."),
          )),
    Story("requester", "ERP : droits manquants pour valider les bons de commande",
          "Je remplace le responsable achats cette semaine mais je ne peux pas valider les bons de commande.",
          SUPPORT, WEB, M, H, "ERP", "22h", (
              take("agent2", "20m"),
              note("agent2", "10m", "Délégation de droits à faire valider par le responsable achats."),
              wait("agent2", "5m", "Nous attendons l'accord écrit de votre responsable pour ouvrir ces droits."),
          )),
    # --- In progress
    Story("requester", "Outlook demande le mot de passe en boucle",
          "Outlook me redemande mon mot de passe toutes les deux minutes, même après l'avoir saisi.",
          INCIDENT, WEB, M, M, "Messagerie", "1d5h", (
              take("agent2", "30m"),
              reply("agent2", "5m", "Pouvez-vous vous connecter au webmail pour vérifier que le mot de passe "
                    "est bon ?"),
              answer("1h", "Le webmail fonctionne avec le même mot de passe."),
              cause("agent2", "30m", "Profil Outlook corrompu après la dernière mise à jour."),
          )),
    Story("requester2", "Le logiciel de caisse plante à l'ouverture",
          "La caisse affiche une erreur et se ferme dès qu'on la lance. Nous ne pouvons plus vendre.",
          BUG, WEB, H, H, "Logiciels", "3h", (
              take("agent1", "5m"),
              escalate("agent1", "10m", Level.N2, "agent2", "complex_incident",
                       "Plantage au démarrage reproduit, même après redémarrage du poste ; journal d'erreur "
                       "joint, base locale suspectée."),
              reply("agent2", "15m", "Nous analysons la base locale de la caisse ; en attendant, le mode "
                    "secours permet d'encaisser."),
          )),
    Story("requester", "Synchronisation du CRM avec l'ERP interrompue",
          "Les nouvelles commandes saisies dans le CRM n'arrivent plus dans l'ERP depuis hier soir.",
          INCIDENT, EMAIL, H, M, "CRM", "5h20m", (
              take("agent2", "15m"),
              escalate("agent2", "30m", Level.N3, "agent3", "skill_unavailable",
                       "Le connecteur renvoie 401 à chaque appel de l'ERP ; configuration du connecteur "
                       "inchangée, il faut analyser côté API."),
              cause("agent3", "1h", "Le jeton d'API de l'ERP utilisé par le connecteur a expiré."),
          )),
    Story("requester2", "Ajouter la boîte partagée commandes@ à Outlook",
          "Je voudrais voir la boîte commandes@boulangerie-martin.fr dans mon Outlook.",
          SUPPORT, WEB, L, L, "Messagerie", "2d3h", (
              take("agent1", "3h"),
              reply("agent1", "10m", "Nous ajoutons la boîte partagée ; elle apparaîtra après redémarrage "
                    "d'Outlook."),
              cause("agent1", "10m", "Droits d'accès à la boîte partagée non attribués."),
          )),
    Story("requester", "Licence Office expirée sur le poste de l'accueil",
          "Word et Excel passent en lecture seule sur le poste de l'accueil : « licence expirée ».",
          SUPPORT, PHONE, M, L, None, "2d6h15m", (
              take("agent2", "40m", category="Logiciels"),
              cause("agent2", "30m", "Licence non réattribuée après le changement de poste de l'accueil."),
          ), recorded_by="agent1"),
    Story("requester2", "Site de commande en ligne très lent",
          "Les clients se plaignent : la page de commande en ligne met plus de 30 secondes à s'afficher.",
          INCIDENT, WEB, M, H, "Applications métier", "6h", (
              take("agent1", "20m"),
              raise_priority("agent1", "10m", "P1", "Le site ne répond plus du tout : aucune commande "
                             "n'aboutit."),
              escalate("agent1", "5m", Level.N2, "agent2", "business_impact",
                       "Site de commande hors service, temps de réponse > 60 s puis erreur 504 ; hébergeur "
                       "joignable, à analyser côté serveur."),
              cause("agent2", "1h", "Sauvegarde lancée en pleine journée, base de données saturée."),
          )),
    Story("requester", "Demande d'accès au dossier partagé Qualité",
          "J'ai besoin d'un accès en lecture au dossier partagé Qualité pour l'audit de la semaine prochaine.",
          SUPPORT, WEB, M, L, "Comptes et accès", "20h", (
              take("agent2", "1h"),
              reply("agent2", "10m", "Votre demande est transmise au responsable du dossier pour accord."),
              cause("agent2", "10m", "Le compte n'appartient pas au groupe d'accès du dossier Qualité."),
          )),
    Story("requester2", "Erreur de TVA sur les factures générées par l'ERP",
          "Les factures des viennoiseries sortent avec une TVA à 20 % au lieu de 5,5 %.",
          BUG, EMAIL, M, M, "ERP", "2d4h30m", (
              take("agent1", "2h"),
              escalate("agent1", "20m", Level.N2, "agent2", "skill_unavailable",
                       "Taux erroné sur toutes les factures de viennoiserie depuis la mise à jour de mardi ; "
                       "paramétrage des familles d'articles à vérifier."),
              escalate("agent2", "2h", Level.N3, "agent3", "complex_incident",
                       "Paramétrage des familles correct ; le taux est écrasé par une règle du module de "
                       "facturation, correction de code nécessaire."),
              cause("agent3", "3h", "Règle de TVA par défaut appliquée après la mise à jour, au lieu du taux "
                    "réduit de la famille."),
          )),
    Story("requester", "Réclamation : intervention sur site non effectuée",
          "Le technicien annoncé mardi n'est jamais venu et personne ne nous a prévenus.",
          COMPLAINT, PHONE, M, M, "Poste de travail", "1d2h30m", (
              take("agent2", "30m"),
              reply("agent2", "10m", "Toutes nos excuses : l'intervention n'avait pas été reportée dans le "
                    "planning. Nous vous proposons jeudi 9h."),
              cause("agent2", "20m", "Rendez-vous non reporté dans le planning des techniciens."),
          ), recorded_by="agent1"),
    # --- New
    Story("requester2", "Wi-Fi invité inaccessible pour les clients",
          "Le réseau Wi-Fi pour les clients n'apparaît plus depuis ce matin.",
          INCIDENT, WEB, M, L, "Wi-Fi", "40m"),
    Story("requester", "Demande de second écran pour le poste de comptabilité",
          "La comptable souhaiterait un second écran pour travailler sur l'ERP et Excel en même temps.",
          SUPPORT, WEB, L, L, "Poste de travail", "5h40m"),
    Story("requester2", "Impossible d'ouvrir les pièces jointes PDF",
          "Quand j'ouvre une facture en PDF reçue par e-mail, rien ne se passe.",
          INCIDENT, EMAIL, M, M, None, "2h10m"),
    Story("requester", "Quelle est la procédure pour changer de mot de passe VPN ?",
          "Mon mot de passe VPN expire dans trois jours, comment le changer depuis l'extérieur ?",
          INFO, WEB, L, L, None, "1h"),
    Story("requester2", "Clavier de la caisse n°2 défectueux",
          "Plusieurs touches du clavier de la caisse n°2 ne répondent plus.",
          INCIDENT, PHONE, M, L, "Matériel", "25m", (
              assign("manager", "5m", "agent1"),
          ), recorded_by="agent1"),
    Story("requester", "ERP : lenteurs à la saisie des commandes depuis ce matin",
          "Chaque validation de commande prend plus d'une minute dans l'ERP.",
          INCIDENT, WEB, H, M, "ERP", "30m"),
    Story("requester2", "Suggestion : suivre mes tickets par SMS",
          "Serait-il possible de recevoir un SMS quand un technicien répond à mon ticket ?",
          INFO, WEB, L, L, None, "10h"),
)
