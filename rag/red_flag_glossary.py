"""Emergency words of the languages people mix into English messages, rewritten into the English the red-flag rules
read.

The knowledge base, the embedder and the rules are English, yet a parent writes "mi bebé de 2 meses tiene fiebre
de 38,7 grados, what should I do" and a son "Papa ko khansi mein bahut khoon aa raha hai". The assistant cannot
answer those in their language, but it must not stay silent on an emergency in them. This glossary covers the
findings each red flag needs (breathing, chest pain, face and speech, seizures, fever and the baby's age, a stiff
neck and a rash that stays, bleeding, swelling after a food or sting, wanting to die) in Spanish, Portuguese,
French and romanised Hindi, with the commonest of them in Tagalog, romanised Arabic and Polish. It is a
phrase list, not a translator: words outside it stay as they are, and a message wholly in another language with
none of these phrases gets no notice.

Patterns are written without accents and matched on a copy of the text whose accented Latin letters are
replaced by plain ones (`strip_accents`), so "fièvre", "fievre" and "FIÈVRE" all read "fever".
"""

from __future__ import annotations

import re
from functools import partial

_ACCENTS = str.maketrans(
    "áàâäãåéèêëíìîïóòôöõúùûüñçąćęłńśźżÁÀÂÄÃÅÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇĄĆĘŁŃŚŹŻ",
    "aaaaaaeeeeiiiiooooouuuuncacelnszzAAAAAAEEEEIIIIOOOOOUUUUNCACELNSZZ",
)

#: Numbers of weeks or months before "old" ("2 meses" → "2 months old"); "hace 2 meses" (ago) is read first.
_NUMBERS = {"un": "1", "una": "1", "uno": "1", "um": "1", "uma": "1", "une": "1"}
_NUMBERS |= {"dos": "2", "dois": "2", "duas": "2", "deux": "2", "tres": "3", "trois": "3"}
_N = r"(\d{1,2}|" + "|".join(_NUMBERS) + ")"

#: (pattern over accent-free text, English). Longer phrases come before the words inside them.
_PHRASES: tuple[tuple[str, str], ...] = (
    # Time: "ago" before "months old".
    (rf"(?:hace|ha|il y a) {_N} (?:meses|mes|mois)", r"\1 months ago"),
    (rf"(?:hace|ha|il y a) {_N} (?:semanas|semana|semaines|semaine)", r"\1 weeks ago"),
    (rf"(?:hace|ha|il y a) {_N} (?:anos|ano|ans|an)", r"\1 years ago"),
    (rf"{_N} (?:meses|mes|mois)(?: de edad)?", r"\1 months old"),
    (rf"{_N} (?:semanas|semana|semaines|semaine)(?: de edad)?", r"\1 weeks old"),
    (r"de repente|subitement|soudain(?:ement)?|de repente|achanak", "suddenly"),
    # Breathing.
    (
        r"no (?:puede|puedo|podia|pudo|logra) respirar|nao (?:consegue|consigo|conseguia|pode|posso) respirar|"
        r"n'arrive (?:pas|plus) a respirer|ne (?:peut|peux) (?:pas|plus) respirer|ne respire (?:pas|plus)|"
        r"saa?ns (?:nahi|nahin|nai) (?:le pa|aa)\w*(?: rah[aei])?|hindi (?:siya |ako )?makahinga|"
        r"mish (?:3am|aam) yetnaffas|(?:nie moze|nie moge) oddychac",
        "can't breathe",
    ),
    (
        r"dificultad para respirar|le cuesta respirar|falta de ar|falta de aire|du mal a respirer|"
        r"saa?ns lene mein (?:taklee?f|dikkat|pareshani)|hirap (?:siyang |akong )?(?:huminga|makahinga)|"
        r"duszno|ma dusznosci",
        "difficulty breathing",
    ),
    (r"se (?:esta )?ahog(?:a|ando)|s'etouffe|engasgad[oa]", "is choking"),
    (
        r"labios (?:morados|azules)|labios (?:roxos|azuis)|levres (?:bleues|violettes)|usta (?:sa |ma )?sine|"
        r"sine usta",
        "lips are blue",
    ),
    (r"bombinha|inhalador|inhalateur|pompe|inhalator", "inhaler"),
    (r"nie pomaga|no (?:le )?ayuda|nao (?:esta )?ajuda(?:ndo)?|n'aide pas", "isn't helping"),
    (r"atak astmy|crisis de asma|crise de asma|crise d'asthme", "asthma attack"),
    # Chest pain and the heart.
    (
        r"dolor (?:muy )?(?:fuerte )?(?:en el|de) pecho|dolor toracico|dor (?:forte )?no peito|"
        r"(?:douleur|mal) (?:a|dans) la poitrine|douleur thoracique|"
        r"(?:seene|chhati|chest) (?:mein|me) (?:bahut |bohot |bahot |tez |zor ka )?dard|"
        r"(?:masakit|sakit) (?:ang |sa )?dibdib|(?:alam|waja3) (?:fi|fil|bi) (?:al)?sadr\w*|"
        r"bol w klatce(?: piersiowej)?",
        "chest pain",
    ),
    (r"(?:fi|fil) (?:al)?sadr\w*", "in the chest"),
    (r"brazo izquierdo|braco esquerdo|bras gauche|baayen haath", "left arm"),
    (r"sudor frio|sudando(?: frio)?|suando|en sueur|pasina|pinagpapawisan|3araq\w*|araq katheer|poci sie", "sweating"),
    (r"ataque al corazon|ataque cardiaco|infarto|crise cardiaque|dil ka daura", "heart attack"),
    # Stroke.
    (
        r"(?:la mitad de la )?cara (?:caida|torcida|paralizada)|boca torcida|rosto caido|boca torta|"
        r"visage (?:tombant|paralyse|de travers)|bouche de travers|muh tedha",
        "face drooping",
    ),
    (
        r"no (?:puede|puedo) hablar|nao (?:consegue|consigo) falar|ne (?:peut|peux) (?:pas|plus) parler|"
        r"bol nahi pa rah[aei]",
        "can't speak",
    ),
    (r"habla raro|arrastra las palabras|fala enrolada", "slurred speech"),
    # Seizures.
    (
        r"(?:esta )?convulsionando|(?:tiene|teniendo|tuvo) (?:una )?convulsion(?:es)?|crise convulsiva|"
        r"(?:esta )?(?:tendo|teve) (?:uma )?convulsao|fait une crise(?: d'epilepsie)?|"
        r"(?:daura|mirgi ka daura) (?:pad|pada|padh)\w*(?: rah[aei])?|(?:abhi )?fit aa (?:raha|rahi|rahe) h\w*",
        "is having a seizure",
    ),
    (r"convulsion(?:es)?|convulsao|convulsoes|kombulsyon|drgawki|atak padaczki", "seizure"),
    (r"no responde|nao responde|ne repond (?:pas|plus)|inconsciente|inconscient", "unresponsive"),
    # Fever, the baby, the neck and the rash.
    (r"sin fiebre|sem febre|sans (?:la )?fievre|bukhaa?r nahi|walang lagnat|bez goraczki", "no fever"),
    (r"fiebre|calentura|febre|fievre|bukhaa?r|lagnat|goraczk\w*|7arara|harara", "fever"),
    (r"grados|graus", "degrees"),
    (r"bebe|bebita|bebito|nourrisson|nouveau-ne|recien nacido|recem-nascido", "baby"),
    (
        r"(?:el )?cuello (?:rigido|tieso|duro)|rigidez de nuca|nuca rigida|pescoco (?:rigido|duro)|rigidez na nuca|"
        r"(?:la )?nuque raide|raideur de (?:la )?nuque|gardan (?:akad|akdi|jakad)\w*",
        "stiff neck",
    ),
    (r"manchas (?:moradas|purpuras|roxas)|taches (?:violettes|violacees|pourpres)", "purple spots"),
    (r"manchas|taches|pintas", "spots"),
    (
        r"que no (?:desaparecen|se quitan|se van|desaparece)|que nao (?:somem|desaparecem)|"
        r"qui ne (?:disparaissent|partent|s'effacent) pas",
        "that don't fade",
    ),
    (
        r"muy dormido|muy somnolient[oa]|somnolent[oea]?|no (?:se )?despierta|nao acorda|ne se reveille pas",
        "hard to wake",
    ),
    (r"decaid[oa]|flojit?[oa]|mou comme une poupee", "floppy"),
    (
        r"no (?:quiere )?(?:come|comer|toma el pecho|toma el biberon)|nao (?:quer )?mama|"
        r"ne (?:boit|mange) (?:pas|plus)",
        "won't feed",
    ),
    # Bleeding.
    (
        r"(?:tosiendo|tose) sangre|tossindo sangue|tousse du sang|khaa?nsi (?:mein|me) (?:bahut )?khoon",
        "coughing up blood",
    ),
    (r"vomitando sangre|vomita sangre|vomitando sangue|vomit du sang|ulti (?:mein|me) khoon", "vomiting blood"),
    (
        r"no (?:para|deja) de sangrar|nao para de sangrar|ne s'arrete pas de saigner|khoon (?:ruk|band) nahi",
        "bleeding won't stop",
    ),
    (r"(?:le )?sang (?:gicle|jaillit|pisse)(?: partout)?|la sangre sale a chorros", "blood is spurting everywhere"),
    (
        r"mucha sangre|mucho sangrado|muito sangue|beaucoup de sang|bahut khoon|maraming dugo|duzo krwi",
        "a lot of blood",
    ),
    (r"sangrando|sangra|sangrado|saigne|khoon beh", "bleeding"),
    (r"sangre|sangue|khoon|dugo|krew|krwi", "blood"),
    # Swelling after a food, sting or drug.
    (r"(?:se le )?hinch(?:o|ada|ado|adas|ados|ando)|inchad[oa]s?|inchando|gonfle(?:e|s|es)?|soojh\w*", "swollen"),
    (r"la garganta|a garganta|la gorge", "throat"),
    (r"la lengua|a lingua|la langue", "tongue"),
    (r"(?:la|su) cara|(?:o|seu) rosto|le visage", "face"),
    (r"los labios|os labios|les levres", "lips"),
    (r"urticaria|ronchas|urticaire", "hives"),
    (r"alergic[oa]|alergia|allergique|allergie", "allergic"),
    (r"nueces|cacahuetes?|cacahuates?|amendoim|noix", "nuts"),
    (r"picadura|pico una abeja|picada|piqure", "sting"),
    (r"comio|comeu|a mange", "ate"),
    # Wanting to die.
    (
        r"(?:me )?quiero morir(?:me)?|ya no quiero vivir|no quiero vivir|quero morrer|nao quero (?:mais )?viver|"
        r"(?:je )?veux mourir|envie de mourir|(?:je )?ne veux plus vivre|mar(?:na)? jaa?na? chaht[aei]|"
        r"marna chaht[aei]|jeena nahi chaht[aei]|gusto ko nang mamatay|ayoko nang mabuhay|"
        r"chce umrzec|nie chce zyc|bidd(?:i|y) amoot",
        "i want to die",
    ),
    (
        r"matarme|suicidarme|quitarme la vida|me matar|me suicidar|me tuer|me suicider|aatmahatya|khudkushi",
        "kill myself",
    ),
    (r"sobredosis|sobredose|surdose", "overdose"),
    (r"pastillas|pastilhas|comprimidos|cachets|goliyan", "pills"),
    # Study framing ("para mi examen": a student's question, not a patient's).
    (
        r"estudiante de (?:medicina|enfermeria)|estudante de (?:medicina|enfermagem)|etudiant(?:e)? en medecine",
        "medical student",
    ),
    (r"para mi examen|para (?:a )?minha prova|pour mon examen", "for my exam"),
)
_COMPILED = tuple(
    (re.compile(rf"(?<![\w'])(?:{pattern})(?![\w'])", re.IGNORECASE), english) for pattern, english in _PHRASES
)


def strip_accents(text: str) -> str:
    """The text with accented Latin letters replaced by plain ones (same length)."""
    return text.translate(_ACCENTS)


def _english(match: re.Match[str], english: str) -> str:
    # A number word of the phrase ("dos meses") becomes a digit: the rules read "2 months old".
    number = match.group(1) if match.re.groups else None
    if number is not None and number.lower() in _NUMBERS:
        return match.expand(english).replace(number, _NUMBERS[number.lower()], 1)
    return match.expand(english)


def to_english(text: str) -> str:
    """`text` with the glossary's emergency phrases rewritten in English; anything else is left as it is."""
    out = strip_accents(text)
    for pattern, english in _COMPILED:
        out = pattern.sub(partial(_english, english=english), out)
    return out
