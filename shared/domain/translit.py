"""Model names typed in Cyrillic ("клинг", "банана", "сора"): the Latin spellings a search also tries. A plain
letter table, and the few names whose Russian spelling is not a letter-by-letter one."""
from __future__ import annotations

LETTERS = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya",
}
# Russian spellings of model names that letters alone do not give (by their beginning: "флакс", "флаксом").
NAMES = {
    "флакс": "flux", "флюкс": "flux", "миджорни": "midjourney", "миджерни": "midjourney", "имаджен": "imagen",
    "имажен": "imagen", "сиданс": "seedance", "сидданс": "seedance", "сидрим": "seedream", "сидream": "seedream",
"хайлуо": "hailuo", "хейлуо": "hailuo", "квен": "qwen", "ван": "wan", "рунвей": "runway",
    "рэнвей": "runway", "идеограм": "ideogram", "гугл": "google", "элевен": "eleven", "нано": "nano",
    "грок": "grok", "топаз": "topaz", "рекрафт": "recraft", "вео": "veo", "сора": "sora", "суно": "suno",
}


def to_latin(word: str) -> str:
    return "".join(LETTERS.get(ch, ch) for ch in word.lower())


def spellings(word: str) -> set[str]:
    """The word, its letter-by-letter Latin spelling (3 letters or more: "и" is no "i"), and a known name it
    begins with."""
    word = word.lower()
    found = {word, to_latin(word)} if len(word) >= 3 else {word}
    found |= {latin for russian, latin in NAMES.items() if word.startswith(russian)}
    return found
