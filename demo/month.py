"""A month of routine tickets, closed and rated, so the dashboard's trends, CSAT and per-agent figures
have something to show. Each row becomes a Story of demo.data: created `age` ago, taken, answered,
resolved, closed by the requester (or automatically) and, most of the time, rated.

The requesters are colleagues of the main demo requesters and a third customer, so that no requester
files a third ticket in one category and the recurring-problem rule stays for the stories that mean it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tickets.models import Channel, Scale, TicketType

from .data import Story, auto_close, close, rate, reply, resolve, take


@dataclass(frozen=True)
class Routine:
    requester: str
    title: str
    description: str
    category: str
    age: str
    agent: str  # who takes and resolves it
    taken_after: str
    answer: str  # a public reply before the solution ("" for none)
    resolved_after: str
    solution: str
    closed_after: str  # "auto": nobody answered, the auto-close job closed it
    score: int | None = None  # the satisfaction survey's answer (None: not answered)
    comment: str = ""
    ticket_type: str = TicketType.INCIDENT
    channel: str = Channel.WEB
    urgency: str = Scale.MEDIUM
    impact: str = Scale.LOW

    def story(self) -> Story:
        steps = [take(self.agent, self.taken_after)]
        if self.answer:
            steps.append(reply(self.agent, "10m", self.answer))
        steps.append(resolve(self.agent, self.resolved_after, self.solution))
        steps.append(auto_close() if self.closed_after == "auto" else close(self.closed_after))
        if self.score is not None:
            steps.append(rate("2h", self.score, self.comment))
        return Story(self.requester, self.title, self.description, self.ticket_type, self.channel,
                     self.urgency, self.impact, self.category, self.age, tuple(steps))


SUPPORT, INFO = TicketType.SUPPORT_REQUEST, TicketType.INFORMATION_REQUEST
H, M, L = Scale.HIGH, Scale.MEDIUM, Scale.LOW

ROUTINES = (
    Routine("sgarnier", "Le traceur A0 n'imprime plus les plans",
            "Le traceur du bureau affiche « papier mal chargé » alors que le rouleau est en place.",
            "Matériel", "29d5h", "agent1", "40m", "Pouvez-vous nous envoyer une photo du panneau de contrôle ?",
            "3h", "Capteur de rouleau nettoyé et firmware mis à jour ; impression des plans vérifiée.", "2h",
            5, "Merci, intervention très rapide !", urgency=H, impact=L),
    Routine("lmercier", "Accès au serveur de fichiers du cabinet depuis chez moi",
            "Je dois travailler sur les plans du projet Vaise depuis mon domicile cette semaine.",
            "VPN", "28d2h", "agent1", "1h", "", "2h",
            "Client VPN installé et profil du cabinet configuré ; accès au partage Projets vérifié.", "5h",
            4, "", ticket_type=SUPPORT),
    Routine("erobert", "Le terminal de paiement ne se connecte plus à la banque",
            "Les paiements par carte sont refusés avec « erreur de communication » depuis l'ouverture.",
            "Réseau", "27d4h", "agent1", "10m", "Nous vérifions la ligne ; le terminal doit rester allumé.",
            "1h", "Routeur redémarré et bail DHCP du terminal fixé ; paiements de test acceptés.", "1h",
            3, "Résolu, mais une matinée sans carte bancaire, c'est long.", channel=Channel.PHONE, urgency=H),
    Routine("sgarnier", "Licence AutoCAD expirée sur le poste 3",
            "AutoCAD passe en mode lecture seule au démarrage.",
            "Logiciels", "26d1h", "agent1", "2h", "", "1h",
            "Licence réattribuée au nouveau poste depuis le portail de l'éditeur.", "3h", 5, "",
            ticket_type=SUPPORT),
    Routine("lmercier", "Comment partager un dossier volumineux avec un client ?",
            "Un client doit recevoir 3 Go de plans ; la messagerie refuse la pièce jointe.",
            "Messagerie", "25d6h", "agent1", "3h", "", "30m",
            "Utilisez le partage de fichiers du cabinet : clic droit > Partager > Lien externe (valable 7 "
            "jours). La procédure est dans la base de connaissances.", "1d", 4, "Pratique.", ticket_type=INFO,
            channel=Channel.EMAIL, urgency=L),
    Routine("erobert", "Imprimante des étiquettes en rayures blanches",
            "Les étiquettes de prix sortent avec des bandes blanches verticales.",
            "Matériel", "24d3h", "agent1", "1h", "Pouvez-vous imprimer une page de test et nous l'envoyer ?",
            "1d", "Tête d'impression nettoyée puis remplacée sous garantie ; étiquettes nettes.", "auto"),
    Routine("sgarnier", "Création des comptes pour deux stagiaires",
            "Deux stagiaires arrivent lundi : Inès Faure et Hugo Lambert, même profil que les dessinateurs.",
            "Comptes et accès", "23d2h", "agent1", "4h", "", "2h",
            "Comptes créés sur le modèle « Dessinateur », identifiants remis au responsable.", "6h", 5,
            "Parfait, ils ont pu commencer dès lundi.", ticket_type=SUPPORT, urgency=L),
    Routine("lmercier", "Écran qui scintille sur le poste de dessin",
            "Le grand écran du poste de dessin scintille dès qu'on ouvre un plan en 3D.",
            "Poste de travail", "22d5h", "agent1", "2h", "", "1d",
            "Câble DisplayPort remplacé et pilote graphique mis à jour ; plus de scintillement.", "3h", 2,
            "Deux jours pour un câble, c'est trop.", urgency=M, impact=M),
    Routine("erobert", "Mot de passe de la messagerie oublié",
            "Je ne retrouve plus mon mot de passe de messagerie depuis mes congés.",
            "Comptes et accès", "21d1h", "agent1", "15m", "", "15m",
            "Mot de passe réinitialisé ; changement demandé à la prochaine connexion.", "1h", 5, "",
            ticket_type=SUPPORT, channel=Channel.PHONE, urgency=H),
    Routine("sgarnier", "Synchronisation des agendas partagés",
            "Les rendez-vous du cabinet n'apparaissent plus dans l'agenda partagé sur les téléphones.",
            "Messagerie", "17d4h", "agent1", "1h", "Sur quels téléphones constatez-vous le problème ?", "4h",
            "Compte de messagerie réajouté sur les téléphones ; synchronisation de l'agenda partagé "
            "rétablie.", "1d", 4, "", urgency=M, impact=M),
    Routine("lmercier", "Le Wi-Fi de la salle de réunion est très lent",
            "Les visioconférences coupent dans la salle de réunion, le reste du bureau va bien.",
            "Wi-Fi", "13d2h", "agent1", "2h", "", "1d",
            "Borne de la salle de réunion déplacée et passée sur la bande 5 GHz ; débit triplé.", "4h", 4,
            "", urgency=M, impact=M),
    Routine("erobert", "Question : sauvegarde des ventes de la caisse",
            "Les ventes de la caisse sont-elles sauvegardées si l'ordinateur tombe en panne ?",
            "Logiciels", "10d3h", "agent1", "5h", "", "20m",
            "Oui : la caisse envoie ses ventes chaque nuit au serveur de sauvegarde, conservées 90 jours.",
            "auto", ticket_type=INFO, channel=Channel.EMAIL, urgency=L),
    Routine("sgarnier", "Le logiciel de métré ne démarre plus",
            "Message « base de licences introuvable » au lancement du logiciel de métré.",
            "Logiciels", "9d5h", "agent1", "1h", "", "3h",
            "Service de licences redémarré sur le serveur et démarrage automatique réactivé.", "2h", 3,
            "Le problème était déjà arrivé le mois dernier.", urgency=M, impact=M),
    Routine("lmercier", "Demande de second écran pour le poste d'accueil",
            "L'assistante souhaiterait un second écran pour l'agenda et la messagerie.",
            "Poste de travail", "7d6h", "agent1", "1d", "", "2d",
            "Second écran livré et installé ; affichage étendu configuré.", "5h", 5, "Merci !",
            ticket_type=SUPPORT, urgency=L),
    Routine("erobert", "La douchette ne lit plus les codes-barres",
            "Le lecteur de codes-barres de la caisse 1 bipe mais rien ne s'affiche dans la caisse.",
            "Matériel", "4d2h", "agent1", "30m", "", "1h",
            "Lecteur reconfiguré en mode clavier (code de configuration du manuel) ; lecture vérifiée.", "3h",
            5, "Super, merci !", channel=Channel.PHONE, urgency=H),
    Routine("lmercier", "Accès en lecture au dossier Archives 2019",
            "Je dois retrouver les plans du projet Confluence dans les archives de 2019.",
            "Comptes et accès", "2d5h", "agent1", "1h", "", "2h",
            "Accès en lecture ouvert au dossier Archives 2019 après accord de Sophie Garnier.", "1h", 4, "",
            ticket_type=SUPPORT, urgency=L),
)
