"""The words automatic mail uses: subject prefixes of auto-replies, out-of-office replies,
bounces and read receipts in many languages, and the opening lines of delivery reports.

Kept apart from the classifier so the lists can grow without touching the logic. Every
subject pattern is matched against the *core* of the subject (case-number labels taken
off both ends, reply prefixes kept: "RE: Automatic reply" is a person answering one).
"""

from __future__ import annotations

import re
from functools import lru_cache

from mailbot.ingest.lazy_pattern import LazyPattern

_CASE_LABEL = (
    r"(?:\[[^\[\]]{0,60}\]|\((?:case|ticket|trackingid)[^()]{0,40}\)|"
    r"(?:case|ticket|fall|dossier|caso|zaak|sprawa)?\s*(?:trackingid)?\s*#?\s*\d{8,20})"
)
_LEADING = re.compile(rf"^\s*(?:{_CASE_LABEL}\s*[:\-–|]?\s*)+", re.IGNORECASE)
_TRAILING = re.compile(rf"(?:\s*[:\-–|,]?\s*{_CASE_LABEL})+\s*$", re.IGNORECASE)

# Ends a subject prefix: a colon (any script), or the end of the subject.
_END = r"(?:\s*[:：]|\s*$)"


@lru_cache(maxsize=1024)
def subject_core(subject: str) -> str:
    """``subject`` without case-number labels at its start and end. Cached: the
    automatic-mail and out-of-office checks ask for the same subject up to five times,
    and the trailing pattern is tried at every position of it."""
    core = _LEADING.sub("", subject[:300])
    # a trailing label ends in "]", ")" or a digit, then only blanks: most subjects end
    # otherwise, and the pattern is tried at each position before it fails
    last = core.rstrip()[-1:]
    if last in ("]", ")") or last.isdecimal():
        core = _TRAILING.sub("", core)
    return core.strip()


def _prefix(words: str, end: str = _END) -> re.Pattern[str]:
    return re.compile(rf"^(?:{words}){end}", re.IGNORECASE)


# Exchange and Outlook localise "Automatic reply"; it is what an out-of-office reply
# (OOF) is called. Lotus Notes writes "AUTO: <name> is out of the office".
OOO_SUBJECT = re.compile(
    r"^(?:"
    r"(?:automatic reply|automatische antwort|réponse automatique|respuesta automática|"
    r"risposta automatica|automatisch antwoord|resposta automática|odpowiedź automatyczna|"
    r"automatyczna odpowiedź|automatiskt svar|autosvar|automaattinen vastaus|automatická odpověď|"
    r"automatikus válasz|răspuns automat|out of (?:the )?office(?: auto ?reply| reply)?|ooo|"
    r"abwesenheit(?:snotiz|smeldung|sbenachrichtigung)?|abwesend|nicht im büro|"
    r"absence(?: du bureau)?|absent(?:e)?(?: du bureau)?|message d'absence|hors du bureau|"
    r"fuera de (?:la )?oficina|ausente|ausencia|fuori (?:ufficio|sede)|assente|assenza|"
    r"afwezig(?:heid|heidsmelding|heidsbericht)?|niet aanwezig|buiten kantoor|"
    r"ausência|fora do escritório|nieobecn(?:y|a|ość)|poza biurem|"
    r"on (?:vacation|holiday|leave)|vacation reply|urlaub|en congés?|de vacaciones|in ferie|"
    r"met vakantie|de férias|na urlopie)"
    r"\s*[:：\-–(]"
    r"|AUTO:.{0,120}\bout of (?:the )?office"
    r")",
    re.IGNORECASE,
)
AUTO_REPLY_SUBJECT = re.compile(
    r"^(?:(?:auto[- ]?reply|auto[- ]?response|automatic response|automated (?:reply|response)|"
    r"auto[- ]?antwort|automatische (?:rückantwort|nachricht)|réponse auto|respuesta automática|"
    r"resposta automática|risposta automatica|autoresponder|autorespuesta)\s*(?:[:：\-–]|$)"
    r"|(?-i:AUTO):)",
    re.IGNORECASE,
)
# Bounce subjects: with a colon after the phrase, or the whole subject being one of the
# fixed forms mail servers write (so "Undeliverable emails from our tenant" stays a
# person's subject).
BOUNCE_SUBJECT = re.compile(
    r"^(?:"
    r"(?:undeliverable(?: mail| message)?|undelivered(?: mail)?|unzustellbar|nicht zustellbar|"
    r"non remis|non distribuable|no entregado|no se puede entregar|non recapitabile|"
    r"impossibile recapitare|onbestelbaar|niet bezorgd|não entregue|não é possível entregar|"
    r"niedostarczalne|nie dostarczono|delivery failure|delivery failed|returned mail|"
    r"mail delivery failed|mail delivery failure|delivery status notification|"
    r"message delivery failure|failure notice|nondeliverable mail|non-delivery report|"
    r"delivery notification|warning: could not send message|mail system error|"
    r"übermittlungsstatusbenachrichtigung|notification d'état de (?:la )?distribution|"
    r"notificación de estado de entrega|notifica sullo stato del recapito)"
    r"\s*(?:[:：]|\(|-|$)"
    r"|undelivered mail returned to sender|mail delivery failed\b|delivery status notification\b"
    r"|message delivery has failed|returned mail\b|failure notice\b|delayed mail\b"
    r"|delivery delayed\b|message delayed\b|mail could not be delivered|"
    r"undeliverable mail\b|mail delivery system\b|mail failure\b|delivery has failed"
    r"|error sending message|message not delivered|rejected:|mail system error - returned mail"
    r"|メッセージを配信できません|メールエラー通知|配信エラー|送信エラー"
    r")",
    re.IGNORECASE,
)
READ_RECEIPT_SUBJECT = re.compile(
    r"^(?:read|not read|gelesen|nicht gelesen|lu|non lu|leído|no leído|letto|non letto|gelezen|"
    r"niet gelezen|lida|não lida|przeczytane|przeczytano|delivered|zugestellt|remis|entregado|"
    r"read receipt|return receipt|lesebestätigung|accusé de lecture|confirmación de lectura|"
    r"conferma di lettura|leesbevestiging|confirmação de leitura|potwierdzenie przeczytania)"
    r"\s*[:：]",
    re.IGNORECASE,
)
# First lines of delivery reports (what a person never opens a mail with).
BOUNCE_OPENING = re.compile(
    r"^(?:"
    r"this is the mail system at host|this is the (?:[\w.-]+ )?mail (?:agent|system|delivery)|"
    r"this is an automatically generated delivery status notification|"
    r"this message was created automatically by (?:mail delivery software|the smtp relay)|"
    r"delivery to the following recipients? failed|delivery has failed to these recipients|"
    r"your message did not reach some or all of the intended recipients|"
    r"your message (?:could not|cannot|can't|wasn't|was not) (?:be )?delivered|"
    r"your message:?$|your mail sent on\b|"
    r"i'm sorry to have to inform you that your message could not|"
    r"i'm afraid i wasn't able to deliver|hi\. this is the qmail-send program|"
    r"the original message was received at|-+ ?the following addresses had (?:permanent fatal errors|delivery problems)|"
    r"unable to deliver (?:the )?message to|an error occurred while trying to deliver the mail|"
    r"sorry, we were unable to deliver your message|message delivery to .{1,80} failed|"
    r"the following message to .{1,80} was undeliverable|"
    r"delivery of your message to .{1,80} has been delayed|"
    r"your message to .{1,80} (?:couldn't|could not|can't|cannot) be delivered|"
    r"we're writing to let you know that the group you tried to contact|"
    r"this is a delivery status notification|undeliverable message|"
    r"(?:transcript of session follows|----- transcript of session follows -----)|"
    r"dies ist eine automatisch erstellte benachrichtigung über den zustellungsstatus|"
    r"ihre nachricht (?:konnte nicht|hat einige oder alle empfänger nicht erreicht)|"
    r"votre message n'a pas pu être remis|"
    r"su mensaje no (?:pudo ser entregado|llegó a algunos o a todos los destinatarios)|"
    r"il messaggio non è stato recapitato|uw bericht kon niet worden bezorgd"
    r")",
    re.IGNORECASE,
)
# What a notice says of itself near its top: "this is an automated message", "this mailbox
# is not monitored", in eight languages. People quote such lines, so it is a weak signal:
# it counts with one more (a no-reply sender, a read-receipt subject, a CRM add-in header).
AUTOMATED_WORDING = LazyPattern(
    r"\b(?:this is an? (?:automated|automatic|auto-generated|system[- ]generated) "
    r"(?:message|response|reply|notification|notice|e-?mail)|"
    r"(?:automatically|auto-|system-) ?generated (?:message|e-?mail|notification|notice)|"
    r"this (?:e-?mail|message|notification) (?:was|has been|is) (?:sent|generated|created) "
    r"automatically|this (?:mailbox|e-?mail address|address) is not monitored|"
    r"diese (?:e-mail|nachricht|benachrichtigung) wurde automatisch (?:erstellt|generiert|"
    r"versendet|verschickt|erzeugt)|automatisch (?:erstellte|generierte|erzeugte) "
    r"(?:e-mail|nachricht|benachrichtigung)|"
    r"ceci est un (?:message|e-mail|courriel|mail) automatique|"
    r"(?:message|e-mail|courriel|mail) (?:généré|envoyé) automatiquement|"
    r"este es un (?:mensaje|correo(?: electrónico)?) automático|"
    r"(?:mensaje|correo) (?:generado|enviado) automáticamente|"
    r"questo è un messaggio (?:automatico|generato automaticamente)|"
    r"(?:messaggio|e-?mail) (?:generat[oa]|inviat[oa]) automaticamente|"
    r"dit is een automatisch (?:gegenereerd |verzonden )?(?:bericht|e-?mail)|"
    r"automatisch (?:gegenereerd|verzonden) (?:bericht|e-?mail)|"
    r"esta é uma mensagem (?:automática|gerada automaticamente)|"
    r"(?:mensagem|e-?mail) (?:gerad[oa]|enviad[oa]) automaticamente|"
    r"(?:ta )?wiadomość (?:została )?(?:wygenerowana|wysłana) automatycznie|"
    r"to jest (?:automatyczna wiadomość|wiadomość automatyczna))",
    re.IGNORECASE,
)
# A mail gateway telling the sender it held their message ("Your message to … has been
# quarantined", "Message blocked: RE: …"), in eight languages. People write this too ("the
# attachment was quarantined by our scanner"), so it is a weak signal: with a postmaster
# or no-reply sender it makes a notice, not a customer's reply.
QUARANTINE_WORDING = LazyPattern(
    r"\b(?:"
    r"(?:has been|have been|was|were|is) (?:quarantined|placed in quarantine|"
    r"moved to quarantine|held for review|held in quarantine|"
    r"held by the (?:mail )?(?:gateway|filter)|blocked by (?:policy|the (?:mail )?"
    r"(?:gateway|filter)|(?:a |the )?(?:content|security|spam|virus|attachment) "
    r"(?:policy|filter|scan)))|"
    r"message (?:quarantined|held for review|blocked)|"
    r"quarantine (?:notification|notice|report)|"
    r"wurde (?:in (?:die )?quarantäne (?:verschoben|gestellt)|unter quarantäne gestellt)|"
    r"(?:a été|ont été) mise?s? en quarantaine|"
    r"(?:ha sido|fue|han sido) (?:puest[oa]s? en|enviad[oa]s? a) cuarentena|"
    r"(?:è stat[oa]|sono stat[ie]) mess[oaie] in quarantena|"
    r"(?:is|zijn) in quarantaine (?:geplaatst|gezet)|"
    r"(?:foi|foram) (?:colocad[oa]s?|enviad[oa]s?) (?:em|para) quarentena|"
    r"(?:został[oa]?|zostały) (?:poddan[ea]|przeniesion[ea]) (?:kwarantannie|do kwarantanny)"
    r")",
    re.IGNORECASE,
)
# A read receipt written as text ("Your message … was read on Monday …").
READ_WORDING = LazyPattern(
    r"\b(?:was read on|wurde am .{1,60} gelesen|a été lu le|fue leído el|è stato letto il|"
    r"is gelezen op|foi lida em|został[ao]? przeczytan[ya])",
    re.IGNORECASE,
)
