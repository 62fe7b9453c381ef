"""The phrases that carry a customer's intent, in the eight languages we read.

Written in lower case; matched against lower-cased sentences of the customer's new text.
Each pattern is a flat alternation with bounded gaps, so matching is linear.
"""

from __future__ import annotations

import re

from mailbot.ingest.lazy_pattern import LazyPattern


def _words(*alternatives: str) -> str:
    return r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)"


def _compile(*alternatives: str) -> re.Pattern[str]:
    return re.compile(_words(*alternatives))


NOT_WORKING = _compile(
    # en
    r"still (?:not|isn't|doesn't|does not|is not|failing|fails|broken|seeing|getting|the same|happening|occurring)",
    r"(?:did not|didn't|does not|doesn't|do not|don't|not|no longer|won't|will not) (?:work|help|fix|solve|resolve|change anything)",
    r"no luck", r"same (?:error|issue|problem|result|behaviou?r)", r"(?:keeps|kept) (?:failing|crashing)",
    r"(?:problem|issue|error) (?:persists|remains|is still there|still occurs|came back|is back)",
    r"not (?:working|resolved|fixed|solved)", r"no change", r"nothing changed",
    # de
    r"funktioniert (?:es |das |immer noch |leider |weiterhin |noch immer |trotzdem )*nicht",
    r"geht (?:immer noch |leider |weiterhin |noch immer )*nicht", r"klappt (?:leider |immer noch )*nicht",
    r"hat (?:leider )?nicht (?:geholfen|funktioniert|geklappt)", r"(?:fehler|problem) (?:besteht|tritt) (?:weiterhin|immer noch|noch immer)",
    r"(?:derselbe|der gleiche|gleiche|selbe) fehler", r"keine (?:änderung|besserung)",
    # fr
    r"ne (?:fonctionne|marche) (?:toujours |plus |)pas", r"n'a pas (?:fonctionné|marché|aidé|résolu|réglé)",
    r"toujours (?:le même|la même) (?:problème|erreur)", r"(?:le problème|l'erreur) persiste", r"ça ne marche (?:toujours )?pas",
    # es
    r"(?:sigue|todavía|aún) (?:sin funcionar|no funciona|fallando|con el mismo error)", r"no funcion(?:a|ó)",
    r"no ha funcionado", r"(?:el problema|el error) (?:persiste|continúa|sigue)", r"(?:el )?mismo error",
    # it
    r"non funziona(?: ancora)?", r"non ha funzionato", r"ancora lo stesso (?:errore|problema)",
    r"(?:il problema|l'errore) (?:persiste|continua|è ancora presente)", r"continua a (?:fallire|dare errore)",
    # nl
    r"werkt (?:nog steeds |nog altijd |helaas |nog )*niet", r"heeft niet geholpen", r"(?:het probleem|de fout) (?:blijft|is er nog)",
    r"nog steeds (?:dezelfde|hetzelfde) (?:fout|probleem)",
    # pt
    r"(?:ainda )?não (?:funciona|funcionou|resolveu|ajudou)", r"(?:o problema|o erro) (?:persiste|continua)",
    r"continua (?:a falhar|falhando|com o mesmo erro)", r"(?:o )?mesmo erro",
    # pl
    r"(?:nadal |wciąż |dalej )?nie (?:działa|zadziałało|pomogło|pomaga)", r"problem (?:nadal|wciąż) (?:występuje|jest)",
    r"ten sam błąd",
)  # fmt: skip

BY_CUSTOMER = _compile(
    # en
    r"(?:we|i) (?:have |'ve |just )?(?:fixed|resolved|solved|sorted(?: out)?|worked out) (?:it|this|that|the (?:issue|problem|error))(?: ourselves| myself| on our own| on my own)?",
    r"(?:we|i) (?:have |'ve |just )?(?:found|figured out|identified|spotted) (?:it|the (?:cause|problem|issue|root cause|culprit|error)|what was wrong|the solution)(?: ourselves| myself| on our own| on my own)?",
    r"(?:found|fixed|solved|resolved|sorted|figured) (?:it|this|the (?:issue|problem|cause)) (?:out )?(?:ourselves|myself|on our own|on my own)",
    r"managed to (?:fix|resolve|solve|sort out|get it working)",
    r"(?:we|i) (?:have |'ve |just |finally )?(?:figured|worked|sorted|found) it out(?: ourselves| myself| on our own| on my own)?", r"(?:no longer|don't|do not) need (?:your )?(?:help|support) (?:anymore|any more)?",
    # de
    r"(?:haben|habe) (?:es|das(?: problem)?|den fehler|die ursache) (?:jetzt |nun |inzwischen )?(?:selbst|selber) (?:gelöst|behoben|gefunden)",
    r"(?:selbst|selber) (?:gelöst|behoben|gefunden|repariert|hinbekommen)", r"(?:wir|ich) (?:haben|habe) (?:die ursache|den fehler|das problem) gefunden",
    r"konnten (?:es|das problem) (?:selbst |selber )?lösen",
    # fr
    r"nous avons (?:résolu|corrigé|trouvé) (?:le problème|la cause|l'erreur|la solution)", r"(?:par )?nous-mêmes",
    r"j'ai (?:résolu|trouvé|corrigé) (?:le problème|la cause|l'erreur)(?: moi-même)?", r"moi-même",
    # es
    r"(?:lo )?(?:hemos|he) (?:resuelto|solucionado|encontrado)(?: el problema| la causa)?(?: nosotros mismos| yo mismo| por nuestra cuenta)?",
    r"lo (?:resolvimos|solucionamos|resolví|solucioné)", r"por nuestra cuenta", r"nosotros mismos",
    # it
    r"(?:abbiamo|ho) (?:risolto|trovato) (?:il problema|la causa|l'errore)?(?: da soli| da solo| da sola| noi stessi)?",
    r"l'(?:abbiamo|ho) risolto", r"da soli", r"noi stessi",
    # nl
    r"(?:we hebben|ik heb|hebben we|heb ik) het (?:zelf )?(?:opgelost|gevonden)", r"zelf (?:opgelost|gevonden|gerepareerd)",
    r"(?:we hebben|ik heb) (?:de oorzaak|het probleem|de fout) (?:zelf )?gevonden",
    # pt
    r"(?:resolvemos|resolvi|encontramos|encontrei|corrigimos|corrigi) (?:o problema|a causa|o erro)?(?: sozinhos| sozinho| nós mesmos| por conta própria)?",
    r"por conta própria", r"nós mesmos",
    # pl
    r"(?:sami|sam|sama) (?:rozwiązaliśmy|naprawiliśmy|znaleźliśmy|rozwiązałem|rozwiązałam|naprawiłem|znalazłem)",
    r"(?:rozwiązaliśmy|naprawiliśmy|znaleźliśmy) (?:problem|przyczynę|błąd)", r"poradziliśmy sobie",
)  # fmt: skip

CONFIRMED = _compile(
    # en
    r"(?:it|this|that|the (?:fix|solution|workaround|change|patch|update|suggestion|steps?)) (?:now )?(?:works|worked|is working|did the trick|fixed it|solved it|resolved it|helped)",
    r"(?:issue|problem|error) (?:is|has been) (?:now )?(?:resolved|fixed|solved|gone)",
    r"(?:your|the) (?:fix|solution|suggestion|workaround|change|patch|advice|steps?) (?:has |have )?(?:solved|fixed|resolved) (?:it|the (?:issue|problem|error))",
    r"(?:fires|runs|works|succeeds|completes|is running|is working|connects|loads) (?:now|again|fine now|correctly now|as expected)",
    r"works (?:perfectly|fine|great|like a charm)", r"all (?:good|fine) now", r"(?:everything|all) (?:is )?working (?:now|again|fine)",
    r"(?:you )?(?:can|may) (?:go ahead and )?close (?:the|this|our) (?:case|ticket|request)", r"please close (?:the|this|our) (?:case|ticket|request)",
    r"ok to close", r"feel free to close", r"consider (?:it|this|the (?:case|ticket)) (?:resolved|closed)",
    # de
    r"(?:es |das )?funktioniert (?:jetzt|wieder|nun|einwandfrei|wieder einwandfrei)", r"es (?:geht|läuft) (?:jetzt|wieder|nun)",
    r"(?:problem|fehler) (?:ist |wurde )?(?:jetzt |nun )?(?:gelöst|behoben)", r"hat (?:geholfen|funktioniert|geklappt)",
    r"(?:das ticket|der fall|den fall|das ticket) (?:kann|können sie|dürfen sie) (?:geschlossen werden|schließen)",
    r"(?:können|dürfen) (?:sie )?(?:das ticket|den fall|die anfrage) (?:gerne )?schließen", r"läuft (?:jetzt|wieder)",
    # fr
    r"(?:ça|cela|tout) (?:fonctionne|marche)(?: maintenant| à nouveau| de nouveau| bien)?", r"(?:ça|cela) a (?:fonctionné|marché)",
    r"(?:le )?problème (?:est )?(?:résolu|réglé)", r"vous pouvez (?:clôturer|fermer|clore) (?:le ticket|le dossier|la demande|le cas)",
    # es
    r"ya funciona", r"funciona (?:ahora|correctamente|perfectamente|bien)", r"(?:ha funcionado|funcionó)",
    r"(?:el )?problema (?:está |quedó |ha sido )?(?:resuelto|solucionado)", r"(?:pueden|puede|podéis) cerrar (?:el caso|el ticket|la solicitud)",
    # it
    r"(?:ora |adesso )?funziona(?: correttamente| perfettamente| di nuovo)?", r"ha funzionato",
    r"(?:il )?problema (?:è )?(?:stato )?risolto", r"(?:potete|può|puoi) chiudere (?:il caso|il ticket|la richiesta)",
    # nl
    r"het werkt(?: nu| weer| prima)?", r"werkt nu", r"(?:het )?probleem is (?:nu )?opgelost", r"het heeft gewerkt",
    r"(?:u kunt|je kunt|jullie kunnen|mag) (?:de case|het ticket|de zaak|de melding) (?:sluiten|afsluiten)",
    # pt
    r"(?:já )?(?:está )?funciona(?:ndo)?(?: agora| corretamente| perfeitamente)?", r"funcionou",
    r"(?:já )?está a funcionar", r"(?:o )?problema (?:está |foi )?resolvido",
    r"(?:podem|pode) (?:fechar|encerrar) (?:o caso|o chamado|o ticket|a solicitação|o pedido|o processo)",
    # pl
    r"(?:teraz |już )?działa(?: poprawnie| prawidłowo| bez problemu)?", r"zadziałało", r"problem (?:został |jest )?rozwiązany",
    r"(?:można|możecie|może pan|może pani) zamknąć (?:zgłoszenie|sprawę|ticket)",
)  # fmt: skip

# A confirmation right after one of these is not one ("not sure it works", "if it works").
NEGATION_BEFORE = re.compile(
    r"(?<!\w)(?:not|n't|no|nicht|kein|pas|jamais|nunca|non|niet|geen|não|nie)(?!\w)[^.!?]{0,14}$"
)
CONDITION_BEFORE = re.compile(
    r"(?<!\w)(?:if|once|when|whether|as soon as|unless|wenn|falls|sobald|ob|si|dès que|quand|cuando|"
    r"en cuanto|se|quando|appena|als|zodra|of|caso|assim que|jeśli|jeżeli|gdy|kiedy|czy)(?!\w)[^.!?]{0,40}$"
)

PHONE = _compile(
    r"please (?:call|phone|ring) me", r"call me (?:at|on|back|please|when)", r"give me a (?:call|ring)",
    r"(?:prefer|rather have|would like) a (?:call|phone call)", r"reach me (?:by|on the) phone", r"(?:can|could) you (?:please )?call me",
    r"by phone rather than (?:e-?mail|mail)", r"(?:discuss|talk) (?:this )?(?:by|on the|over the) phone",
    r"(?:have|schedule|set up|arrange|jump on|hop on|do) a (?:quick |short |brief )?(?:call|phone call|teams call)",
    r"(?:kurz|gerne) telefonieren", r"(?:ein|einen) (?:kurzes |kurzen )?(?:telefonat|anruf)", r"können wir telefonieren",
    r"(?:un|faire un) (?:appel|point téléphonique)(?: rapide)?", r"(?:hacer|tener) una (?:llamada|reunión telefónica)",
    r"(?:fare|fissare) una (?:chiamata|telefonata)", r"sentirci al telefono", r"even bellen", r"kunnen we (?:even )?bellen",
    r"(?:fazer|marcar|ter) uma (?:chamada|ligação|call)", r"(?:porozmawiać|rozmowa) telefoniczn(?:ie|a)",
    r"rufen sie mich (?:bitte )?(?:gerne )?an", r"bitte rufen sie", r"telefonisch erreichbar", r"lieber telefon(?:isch|ieren)",
    r"(?:können|könnten) sie mich (?:bitte )?anrufen",
    r"appelez-moi", r"merci de m'appeler", r"pouvez-vous m'appeler", r"je préfère (?:un appel|être appelé)",
    r"ll[aá]me(?:me|nos)?", r"prefiero una llamada", r"(?:puede|podría) llamarme",
    r"mi chiami", r"chiamatemi", r"(?:potete|può|potrebbe) chiamarmi", r"preferisco una (?:telefonata|chiamata)",
    r"bel me", r"belt u mij", r"(?:kunt u|kun je) mij (?:even )?bellen", r"liever telefonisch",
    r"ligue-me", r"me ligue", r"(?:pode|podem) me ligar", r"prefiro uma (?:ligação|chamada)",
    r"proszę (?:o telefon|zadzwonić)", r"zadzwońcie", r"wolę (?:telefon|rozmowę telefoniczną)",
)  # fmt: skip

UPSET = _compile(
    r"unacceptable", r"not acceptable", r"(?:very|extremely|really|deeply) (?:disappointed|unhappy|frustrated|dissatisfied|annoyed|upset)",
    r"this is ridiculous", r"escalat(?:e|ion|ing)", r"complain(?:t)?(?: to your manager)?", r"speak to your (?:manager|supervisor)",
    r"waste of (?:my|our) time", r"still no (?:answer|solution|response|reply)", r"terrible (?:service|support)", r"fed up",
    r"inakzeptabel", r"nicht akzeptabel", r"sehr (?:enttäuscht|unzufrieden|verärgert)", r"eskal(?:ation|ieren)", r"beschwerde", r"frechheit",
    r"inacceptable", r"très (?:déçue?s?|mécontente?s?|insatisfaite?s?)", r"plainte", r"scandaleux", r"escalade",
    r"inaceptable", r"muy (?:decepcionad[oa]s?|molest[oa]s?|insatisfech[oa]s?)", r"queja", r"vergonzoso",
    r"inaccettabile", r"molto (?:delus[oaie]|insoddisfatt[oaie]|arrabbiat[oaie])", r"reclamo", r"vergognoso",
    r"onacceptabel", r"onaanvaardbaar", r"zeer (?:teleurgesteld|ontevreden)", r"klacht", r"belachelijk",
    r"inaceitável", r"muito (?:decepcionad[oa]s?|insatisfeit[oa]s?|chatead[oa]s?)", r"reclamação", r"absurdo",
    r"niedopuszczalne", r"nie do przyjęcia", r"bardzo (?:rozczarowany|rozczarowana|niezadowolony|niezadowolona)", r"skarga", r"eskalacj[ai]",
)  # fmt: skip

# What a customer says they will do on the date they name (R07).
COMMITMENT = LazyPattern(_words(
    r"test|try|check|verify|send|reply|respond|get back|come back|update you|let you know|confirm|report back|look into|"
    r"be able|available|call you|have (?:the|a|an) (?:result|answer|update)|provide|share|upload|deploy|install|apply|run|"
    r"schedule|planned|back in the office|will|i'll|we'll|shall|going to|can only|not before|earliest|"
    r"update|patch|upgrade|maintenance|rollout|go-live|migration|einspielen|wartung|umstellung|mise à jour|"
    r"actualización|aggiornamento|onderhoud|atualização|aktualizacja|wdrożenie|wdrożymy",
    r"teste|testen|prüfe|prüfen|melde mich|melden uns|schicke|schicken|sende|senden|antworte|gebe bescheid|geben bescheid|"
    r"rückmeldung|probiere|versuche|werde|werden|kann erst|können erst|installieren|einspielen|erst am|frühestens",
    r"je teste|nous testerons|tester|je vais|nous allons|je reviens vers vous|je vous envoie|je vous enverrai|"
    r"je vous répondrai|je vérifie|je vous tiens au courant|je vous recontacte|essayer|envoyer|pourrai|pourrons|pas avant",
    r"probaré|probaremos|le envío|enviaré|enviaremos|responderé|confirmaré|le aviso|le escribo|voy a|vamos a|podré|"
    r"podremos|le contactaré|te aviso|revisaré|no antes",
    r"proverò|proveremo|invierò|invieremo|le farò sapere|vi farò sapere|risponderò|verificherò|ti aggiorno|vi aggiorno|"
    r"potrò|potremo|manderò|le invio|vi invio|ti invio|non prima",
    r"ik test|we testen|ik stuur|we sturen|ik laat het weten|laat ik het weten|ik kom erop terug|ik reageer|ik kan pas|"
    r"zal|zullen|ga ik|gaan we|probeer|niet eerder",
    r"vou testar|vamos testar|envio|enviarei|enviaremos|retorno|aviso|respondo|responderei|poderei|poderemos|vou|vamos|"
    r"não antes",
    r"przetestuję|przetestujemy|wyślę|wyślemy|dam znać|damy znać|odpowiem|sprawdzę|sprawdzimy|odezwę się|odezwiemy się|"
    r"będę mógł|będę mogła|będziemy mogli|nie wcześniej",
    # first-person futures by their endings ("verificheremo", "enviaremos", "testerai",
    # "enviarei"); "però" (but) ends like one and is left out
    r"(?!però)[^\W\d_]{2,}(?:erò|irò|eremo|iremo)|[^\W\d_]{2,}(?:aré|eré|iré|aremos|eremos|iremos)|"
    r"[^\W\d_]{3,}(?:erai|irai|errai|erons|errons)|[^\W\d_]{2,}(?:arei|erei|irei)|"
    r"faremo sapere|faccio sapere|facciamo sapere|te kunnen (?:sturen|testen|leveren|installeren)|"
    r"(?:ver)?sturen|verwachten|plannen|gepland|zullen we|wir werden|we plan|we expect|expect to",
))  # fmt: skip
# Words in the next sentence that point back at the date ("… on 18 November. I'll get back
# to you then", "… ends on January 11th; we'll deploy after that").
THEN = LazyPattern(
    r"(?<!\w)(?:then|after that|afterwards|that day|on that day|by then|from then|dann|danach|an dem tag|"
    r"an diesem tag|alors|après|ce jour-là|à ce moment-là|entonces|después|ese día|allora|dopo|quel giorno|"
    r"dan|daarna|die dag|então|depois|nesse dia|wtedy|potem|tego dnia)(?!\w)"
)
# Words right before a numeric date without a year ("on 12/15", "am 4.12"): then it is a
# date, not a version number.
DATE_PREPOSITION = LazyPattern(
    r"(?<!\w)(?:on|by|before|after|until|from|am|bis|ab|vor|nach|zum|le|du|au|avant|après|el|del|"
    r"antes del|hasta el|il|entro il|prima del|dal|op|voor|na|tot|vanaf|em|no dia|dia|até|antes de|"
    r"dnia|przed|po|do)\s*$",
    re.IGNORECASE,
)
