"""One key for every way a name is written: the normaliser used for indexing and for querying.

A relative types "Тоқаев", a journalist "Tokaev", the source says "Tokayev": all three must give
the same key. The rules (DESIGN.md, "Search"):

1. Unicode NFKC and case folding.
2. Cyrillic, Russian and Kazakh, to Latin by our own table (Unidecode is GPL and turns Ә into
   "@"; anyascii turns Қ into "Q"): a transliteration close to the common passport spellings,
   whose variants step 4 folds anyway.
3. Soft and hard signs, apostrophes and diacritics dropped; anything else that is not a letter
   or digit separates words ("Kassym-Jomart" is two words).
4. Transliteration variants folded, repeated until nothing changes (so the key is a fixed point
   and normalising a key gives the key): dzh/dj/zh → j, kh → h, q → k, gh → g, ts → c, x → ks,
   ye → e and yu → u (at the start of a word and after a vowel, where Russian е and ю are
   written with a y, and after a dropped soft sign), y → i, doubled letters → one, ng → n, and
   the endings -iyev/-iev/-yev/-ev and -iyeva/-ieva/-yeva/-eva → -ev, -eva.
5. Word order ignored: the words are sorted.
"""

import re
import unicodedata

# Russian and Kazakh Cyrillic, lower case (the text is case-folded first). Letters of
# neighbouring alphabets that appear in names of the region (Ukrainian, Belarusian) as well.
CYRILLIC = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    # Kazakh
    "ә": "a",
    "ғ": "gh",
    "қ": "q",
    "ң": "ng",
    "ө": "o",
    "ұ": "u",
    "ү": "u",
    "һ": "h",
    "і": "i",
    # Ukrainian and Belarusian
    "є": "ye",
    "ї": "yi",
    "ґ": "g",
    "ў": "u",
}

# Latin letters of the Kazakh Latin alphabets whose plain form is a digraph (ş, ç), and letters
# that decomposition (NFKD) leaves alone but that have a plain equivalent (ı, ß, ø, ł).
LATIN = {
    "ş": "sh",
    "ç": "ch",
    "ı": "i",
    "ß": "ss",
    "æ": "ae",
    "ø": "o",
    "đ": "d",
    "ð": "d",
    "ł": "l",
    "þ": "th",
    "œ": "oe",
}

# Dropped without separating words: soft and hard signs (above) and apostrophes of every kind,
# so "Tat'yana" and "Татьяна" meet.
SILENT = frozenset("'`´ʹʺʻʼʽˈ‘’‛′″")

_TRANSLATE = str.maketrans({**CYRILLIC, **LATIN, **dict.fromkeys(SILENT, "")})

VOWELS = "aeiou"

# Applied in order to each word, and the whole list repeated until no rule changes the word.
_FOLDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"dzh|dj|zh"), "j"),
    (re.compile(r"kh"), "h"),
    (re.compile(r"q"), "k"),
    (re.compile(r"gh"), "g"),
    (re.compile(r"ts"), "c"),
    (re.compile(r"x"), "ks"),
    # Russian е, ю written ye, yu at the start of a word and after a vowel ("Yerlan",
    # "Sadyrbayeva"), and after a soft sign that is dropped ("Vasilyev" / "Васильев").
    (re.compile(r"y(?=[eu])"), ""),
    (re.compile(r"y"), "i"),
    (re.compile(r"(.)\1+"), r"\1"),
    (re.compile(r"ng"), "n"),
    # -iyev/-iev/-yev/-ev and the feminine -iyeva/-ieva/-yeva/-eva (y is i by now).
    (re.compile(r"iev(a?)$"), r"ev\1"),
]


def _fold_word(word: str) -> str:
    while True:
        before = word
        for pattern, replacement in _FOLDS:
            word = pattern.sub(replacement, word)
        if word == before:
            return word


def _letters(text: str) -> str:
    """Case-folded, transliterated text with diacritics stripped, stable when applied again."""
    for _round in range(3):
        before = text
        text = unicodedata.normalize("NFKC", text).casefold().translate(_TRANSLATE)
        text = "".join(
            ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
        )
        text = unicodedata.normalize("NFC", text)
        if text == before:
            break
    return text


def normalise_name(text: str) -> str:
    """The search key of a name: folded Latin words, sorted, separated by single spaces."""
    text = _letters(text or "")
    words = "".join(ch if ch.isalnum() else " " for ch in text).split()
    folded = (_fold_word(w) for w in words)
    return " ".join(sorted(w for w in folded if w))
