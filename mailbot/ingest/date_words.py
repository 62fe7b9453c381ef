"""The words of dates in the languages mailbot reads: month and weekday names, relative
days, and the cue words around a date that say what it means (the first day back, the
last day away, the start of an absence, a date in the past).

Tables per language, so only the languages a message may be written in are matched:
abbreviations that are ordinary words elsewhere ("out" is October in Portuguese, "set"
September in Italian, "Sie" August in Polish) are left out altogether.
"""

from __future__ import annotations

SUPPORTED = ("en", "de", "fr", "es", "it", "nl", "pt", "pl")

MONTHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "en": (
        ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
        ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"),
        ("october", "oct"), ("november", "nov"), ("december", "dec"),
    ),
    "de": (
        ("januar", "jänner", "jan"), ("februar", "feber", "feb"), ("märz", "maerz", "mrz"),
        ("april", "apr"), ("mai",), ("juni", "jun"), ("juli", "jul"), ("august", "aug"),
        ("september", "sept", "sep"), ("oktober", "okt"), ("november", "nov"),
        ("dezember", "dez"),
    ),
    "fr": (
        ("janvier", "janv"), ("février", "fevrier", "févr", "fevr"), ("mars",), ("avril", "avr"),
        ("mai",), ("juin",), ("juillet", "juil"), ("août", "aout"), ("septembre", "sept"),
        ("octobre", "oct"), ("novembre", "nov"), ("décembre", "decembre", "déc"),
    ),
    "es": (
        ("enero", "ene"), ("febrero", "feb"), ("marzo", "mar"), ("abril", "abr"), ("mayo",),
        ("junio", "jun"), ("julio", "jul"), ("agosto", "ago"), ("septiembre", "setiembre", "sept"),
        ("octubre", "oct"), ("noviembre", "nov"), ("diciembre", "dic"),
    ),
    "it": (
        ("gennaio",), ("febbraio", "feb"), ("marzo", "mar"), ("aprile", "apr"), ("maggio",),
        ("giugno", "giu"), ("luglio", "lug"), ("agosto", "ago"), ("settembre", "sett"),
        ("ottobre", "ott"), ("novembre", "nov"), ("dicembre", "dic"),
    ),
    "nl": (
        ("januari", "jan"), ("februari", "feb"), ("maart", "mrt"), ("april", "apr"), ("mei",),
        ("juni", "jun"), ("juli", "jul"), ("augustus", "aug"), ("september", "sept", "sep"),
        ("oktober", "okt"), ("november", "nov"), ("december", "dec"),
    ),
    "pt": (
        ("janeiro", "jan"), ("fevereiro", "fev"), ("março", "marco"), ("abril", "abr"), ("maio",),
        ("junho", "jun"), ("julho", "jul"), ("agosto", "ago"), ("setembro",), ("outubro",),
        ("novembro", "nov"), ("dezembro", "dez"),
    ),
    "pl": (
        ("styczeń", "stycznia"), ("luty", "lutego"), ("marzec", "marca"), ("kwiecień", "kwietnia"),
        ("maj", "maja"), ("czerwiec", "czerwca"), ("lipiec", "lipca"), ("sierpień", "sierpnia"),
        ("wrzesień", "września"), ("październik", "października"), ("listopad", "listopada"),
        ("grudzień", "grudnia"),
    ),
}  # fmt: skip

# Monday first, as datetime.weekday() counts.
WEEKDAYS: dict[str, tuple[tuple[str, ...], ...]] = {
    "en": (
        ("monday", "mon"), ("tuesday", "tues", "tue"), ("wednesday",), ("thursday", "thurs", "thu"),
        ("friday", "fri"), ("saturday",), ("sunday",),
    ),
    "de": (
        ("montag",), ("dienstag",), ("mittwoch",), ("donnerstag",), ("freitag",),
        ("samstag", "sonnabend"), ("sonntag",),
    ),
    "fr": (("lundi",), ("mardi",), ("mercredi",), ("jeudi",), ("vendredi",), ("samedi",), ("dimanche",)),
    "es": (
        ("lunes",), ("martes",), ("miércoles", "miercoles"), ("jueves",), ("viernes",),
        ("sábado", "sabado"), ("domingo",),
    ),
    "it": (
        ("lunedì", "lunedi"), ("martedì", "martedi"), ("mercoledì", "mercoledi"),
        ("giovedì", "giovedi"), ("venerdì", "venerdi"), ("sabato",), ("domenica",),
    ),
    "nl": (("maandag",), ("dinsdag",), ("woensdag",), ("donderdag",), ("vrijdag",), ("zaterdag",), ("zondag",)),
    "pt": (
        ("segunda-feira", "segunda"), ("terça-feira", "terca-feira", "terça", "terca"),
        ("quarta-feira", "quarta"), ("quinta-feira", "quinta"), ("sexta-feira", "sexta"),
        ("sábado", "sabado"), ("domingo",),
    ),
    "pl": (
        ("poniedziałek", "poniedziałku"), ("wtorek", "wtorku"), ("środa", "środę", "środy"),
        ("czwartek", "czwartku"), ("piątek", "piątku"), ("sobota", "sobotę", "soboty"),
        ("niedziela", "niedzielę", "niedzieli"),
    ),
}  # fmt: skip

# Relative days: (phrase, days from the message's day). "next week" is handled apart.
RELATIVE_DAYS: dict[str, tuple[tuple[str, int], ...]] = {
    "en": (("tomorrow", 1), ("the day after tomorrow", 2)),
    "de": (("übermorgen", 2), ("morgen", 1)),
    "fr": (("après-demain", 2), ("demain", 1)),
    "es": (("pasado mañana", 2), ("mañana", 1)),
    "it": (("dopodomani", 2), ("domani", 1)),
    "nl": (("overmorgen", 2), ("morgen", 1)),
    "pt": (("depois de amanhã", 2), ("amanhã", 1)),
    "pl": (("pojutrze", 2), ("jutro", 1)),
}
NEXT_WEEK: dict[str, tuple[str, ...]] = {
    "en": ("next week",),
    "de": ("nächste woche", "nächsten woche", "kommende woche", "kommenden woche"),
    "fr": ("la semaine prochaine", "semaine prochaine"),
    "es": (
        "la próxima semana",
        "la semana que viene",
        "la semana próxima",
        "semana que viene",
        "próxima semana",
    ),
    "it": (
        "la prossima settimana",
        "la settimana prossima",
        "prossima settimana",
        "settimana prossima",
    ),
    "nl": ("volgende week", "komende week"),
    "pt": ("próxima semana", "semana que vem"),
    "pl": ("przyszłym tygodniu", "przyszły tydzień"),
}
# "next <weekday>" before the weekday, or "<weekday> prochain" after it.
NEXT_BEFORE: dict[str, tuple[str, ...]] = {
    "en": ("next", "this coming", "coming"),
    "de": ("nächsten", "nächster", "kommenden", "kommender"),
    "fr": (),
    "es": ("el próximo", "el proximo", "próximo", "proximo"),
    "it": ("il prossimo", "prossimo", "la prossima", "prossima"),
    "nl": ("volgende", "aanstaande", "komende"),
    "pt": ("na próxima", "no próximo", "próxima", "próximo"),
    "pl": ("w przyszły", "w przyszłą", "przyszły", "przyszłą", "w najbliższy", "w najbliższą"),
}
NEXT_AFTER: dict[str, tuple[str, ...]] = {
    "fr": ("prochain",),
    "es": ("próximo", "que viene"),
    "it": ("prossimo", "prossima"),
    "pt": ("que vem",),
}
# "in 2 weeks", "dans 3 jours": (before the number, unit words for days, for weeks).
IN_N: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "en": (("in",), ("days", "day"), ("weeks", "week")),
    "de": (("in",), ("tagen", "tag"), ("wochen", "woche")),
    "fr": (("dans",), ("jours", "jour"), ("semaines", "semaine")),
    "es": (("en", "dentro de"), ("días", "dias", "día"), ("semanas", "semana")),
    "it": (("tra", "fra"), ("giorni", "giorno"), ("settimane", "settimana")),
    "nl": (("over",), ("dagen", "dag"), ("weken", "week")),
    "pt": (("daqui a", "em", "dentro de"), ("dias", "dia"), ("semanas", "semana")),
    "pl": (("za",), ("dni", "dzień"), ("tygodnie", "tygodni", "tydzień")),
}

# Cue words *before* a date. RETURN: the date is the first day back. UNTIL: the date is
# the last day away (the customer is back the next working day). FROM: the date starts
# something; whether an absence or the return, the rest of the sentence tells.
RETURN_BEFORE: dict[str, tuple[str, ...]] = {
    "en": (
        "back on", "back in the office on", "back in office on", "back", "return on", "returning on",
        "returning", "return", "return date", "back from", "in the office on", "in the office again on",
        "available again on", "available again from", "available on", "reachable again on",
        "i will be back on", "i'll be back on", "i will return on", "i'll return on", "be back",
        "resume on", "back at work on", "back to work on", "not return until", "not be back until",
        "not back until", "not be returning until", "not returning until", "not be in the office until",
        "not be in until", "won't be back until", "won't return until", "won't be in the office until",
        "not be available until", "won't be available until", "won’t be back until", "won’t return until",
    ),
    "de": (
        "zurück am", "zurück ab", "wieder im büro am", "wieder im büro ab", "wieder erreichbar ab",
        "wieder erreichbar am", "wieder da am", "wieder da ab", "wieder ab", "wieder am", "rückkehr am",
        "zurück", "wieder verfügbar ab", "wieder im hause ab", "erreichbar ab", "im büro ab",
    ),
    "fr": (
        "de retour le", "de retour au bureau le", "de retour lundi", "de retour", "retour le", "retour prévu le",
        "retour", "je reviens le", "je rentre le", "je serai de retour le", "joignable à partir du",
        "disponible à partir du", "je serai joignable le", "reprise le", "présent à partir du",
        "je reviendrai le", "reviendrai le", "reviendrai", "je rentrerai le", "rentrerai le", "rentrerai",
        "serai de retour", "pas de retour avant le", "pas de retour avant",
    ),
    "es": (
        "de vuelta el", "de vuelta", "regreso el", "regreso", "regresaré el", "regresaré", "volveré el",
        "volveré", "vuelvo el", "vuelvo", "estaré de regreso el", "me reincorporo el", "me reincorporo",
        "disponible de nuevo el", "disponible nuevamente el", "disponible a partir del", "de regreso el",
        "de regreso", "retorno el", "estaré en la oficina el", "no volveré hasta el", "no regresaré hasta el",
        "no estaré de vuelta hasta el", "no estaré disponible hasta el",
    ),
    "it": (
        "rientro il", "rientro in data", "rientro previsto per il", "rientro previsto il", "rientro",
        "rientrerò il", "rientrerò", "tornerò il", "tornerò", "di ritorno il", "di ritorno",
        "sarò di nuovo in ufficio il", "di nuovo disponibile dal", "nuovamente disponibile dal",
        "sarò nuovamente in ufficio", "sarò in ufficio", "ritorno il", "ritorno",
    ),
    "nl": (
        "terug op", "terug vanaf", "weer aanwezig op", "weer aanwezig vanaf", "weer op kantoor op",
        "weer op kantoor vanaf", "weer bereikbaar op", "weer bereikbaar vanaf", "ben ik weer",
        "terug", "weer aanwezig", "weer beschikbaar vanaf", "aanwezig vanaf",
    ),
    "pt": (
        "de volta em", "de volta no dia", "de volta a", "de volta", "regresso a", "regresso em",
        "regresso no dia", "regresso", "retorno em", "retorno no dia", "retorno a", "retorno",
        "volto em", "volto no dia", "volto a", "volto", "estarei de volta em", "estarei de volta",
        "disponível a partir de", "voltarei a", "voltarei em", "voltarei no dia", "voltarei",
        "regressarei a", "regressarei em", "regressarei", "retornarei em", "retornarei no dia", "retornarei",
    ),
    "pl": (
        "wracam dnia", "wracam w", "wracam", "powrót dnia", "powrót", "będę dostępny od", "będę dostępna od",
        "będę dostępny", "będę dostępna", "będę w biurze od", "z powrotem", "ponownie dostępny od",
        "ponownie dostępna od", "wrócę dnia", "wrócę", "będę z powrotem",
    ),
}  # fmt: skip
UNTIL_BEFORE: dict[str, tuple[str, ...]] = {
    "en": ("until and including", "up to and including", "until", "till", "til", "through", "thru"),
    "de": (
        "bis einschließlich", "bis einschl.", "bis inkl.", "bis inklusive", "bis zum", "bis am",
        "bis", "einschließlich bis",
    ),
    "fr": ("jusqu'au", "jusqu’au", "jusqu'à", "jusqu’à", "jusqu'au inclus"),
    "es": ("hasta el día", "hasta el", "hasta"),
    "it": ("fino al", "fino all'", "fino all’", "fino a tutto il", "fino a", "sino al"),
    "nl": ("tot en met", "t/m", "tot", "tm"),
    "pt": ("até ao dia", "até o dia", "até ao", "até o", "até dia", "até"),
    "pl": ("do dnia", "do"),
}  # fmt: skip
# Between the two dates of a range ("30.11.–4.12.", "du 30 novembre au 4 décembre").
RANGE_BETWEEN: dict[str, tuple[str, ...]] = {
    "en": ("-", "–", "—", "to", "through", "until", "till", "thru", "and"),
    "de": ("-", "–", "bis", "bis zum", "bis einschließlich", "bis einschl.", "und"),
    "fr": ("-", "–", "au", "jusqu'au", "jusqu’au", "et"),
    "es": ("-", "–", "al", "a", "hasta el", "y"),
    "it": ("-", "–", "al", "all'", "all’", "fino al", "fino all'", "fino all’", "e"),
    "nl": ("-", "–", "t/m", "tot en met", "tot", "en"),
    "pt": ("-", "–", "a", "até", "ao", "e"),
    "pl": ("-", "–", "do", "i"),
}
FROM_BEFORE: dict[str, tuple[str, ...]] = {
    "en": ("from", "starting", "as of", "beginning"),
    "de": ("vom", "von", "ab", "seit dem", "ab dem"),
    "fr": ("du", "à partir du", "depuis le", "dès le"),
    "es": ("del", "desde el", "a partir del", "desde"),
    "it": ("dal", "dall'", "dall’", "a partire dal", "a partire dall'", "da"),
    "nl": ("van", "vanaf", "per"),
    "pt": ("de", "desde", "a partir de", "a partir do dia", "do dia"),
    "pl": ("od", "od dnia"),
}
# Words *after* a date that make it the first day back (verb-final word order:
# "am 7.12. bin ich wieder im Büro", "7 december ben ik weer terug").
PRESENCE_AFTER: dict[str, tuple[str, ...]] = {
    "en": ("back", "return", "available again", "in the office again"),
    "de": ("wieder", "zurück", "erreichbar", "im büro"),
    "fr": ("de retour", "je serai là", "joignable"),
    "es": ("de vuelta", "de regreso", "disponible"),
    "it": ("di ritorno", "in ufficio", "rientro"),
    "nl": ("weer", "terug", "aanwezig", "bereikbaar"),
    "pt": ("de volta", "regresso", "disponível"),
    "pl": ("wracam", "z powrotem", "dostępny", "dostępna"),
}
# Words saying the writer is away (for a date with no cue of its own, and for "from").
ABSENCE: dict[str, tuple[str, ...]] = {
    "en": (
        "out of the office", "out of office", "away", "absent", "on vacation", "on holiday", "on leave",
        "annual leave", "parental leave", "sick leave", "off work", "unavailable", "not available",
        "travelling", "traveling", "limited access", "no access", "ooo", "holidays", "vacation",
    ),
    "de": (
        "abwesend", "abwesenheit", "nicht im büro", "urlaub", "nicht erreichbar", "außer haus",
        "eingeschränkt erreichbar", "nicht verfügbar", "elternzeit", "krank", "dienstreise",
    ),
    "fr": (
        "absent", "absente", "absence", "en congé", "en congés", "en vacances", "hors du bureau",
        "pas au bureau", "indisponible", "accès limité", "congé",
    ),
    "es": (
        "fuera de la oficina", "fuera de oficina", "ausente", "de vacaciones", "de viaje", "ausencia",
        "sin acceso", "no estaré disponible", "de permiso", "vacaciones",
    ),
    "it": (
        "fuori ufficio", "fuori sede", "assente", "in ferie", "in vacanza", "assenza", "non sono in ufficio",
        "non disponibile", "ferie",
    ),
    "nl": (
        "afwezig", "niet aanwezig", "met vakantie", "niet op kantoor", "vrij", "verlof", "afwezigheid",
        "niet bereikbaar", "vakantie",
    ),
    "pt": (
        "ausente", "fora do escritório", "fora do escritorio", "de férias", "de ferias", "ausência",
        "indisponível", "de licença", "férias",
    ),
    "pl": ("nieobecny", "nieobecna", "nieobecność", "poza biurem", "na urlopie", "urlop", "niedostępny", "niedostępna"),
}  # fmt: skip
# Words before a date that put it in the past ("since Monday", "seit dem 3.").
PAST_BEFORE: dict[str, tuple[str, ...]] = {
    "en": (
        "since",
        "last",
        "ago",
        "yesterday",
        "started on",
        "began on",
        "happened on",
        "occurred on",
        "was on",
    ),
    "de": ("seit", "letzten", "letzte", "letzter", "gestern", "vorigen", "vergangenen", "war am"),
    "fr": ("depuis", "dernier", "dernière", "hier", "passé"),
    "es": ("desde", "pasado", "pasada", "ayer", "último", "última"),
    "it": ("da", "dal", "scorso", "scorsa", "ieri"),
    "nl": ("sinds", "vorige", "afgelopen", "gisteren"),
    "pt": ("desde", "passado", "passada", "ontem", "último", "última"),
    "pl": ("od", "ostatni", "ostatnią", "zeszły", "wczoraj"),
}
