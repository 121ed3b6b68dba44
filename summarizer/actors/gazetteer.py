"""Rules for names the tagger should not have to learn: countries, a few regions and
organisations, demonyms, and the titles and roles that come before a person's name.

Countries come from pycountry (every ISO 3166 country under its short name, common name and
official name) plus the forms newspapers use ("U.S.", "America", "Britain", "Russia", ...).
Each has one canonical name ("United States", "United Kingdom", "Iran"). Demonyms ("Iranian",
"Israelis") are NORP: they are not mentions of the country, but :func:`Gazetteer.country_of`
links them to it.

Matching is case-sensitive and on word boundaries, longest match first, so "South America" is
one place and "Bank of America" (found by the tagger) keeps "America" inside it. An all-capitals
short form such as "US" or "WHO" is ignored inside all-capitals text ("US AND THEM").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from summarizer.types import EntityType

# ---------------------------------------------------------------- countries

# Canonical names where pycountry's short name is not what the news says.
_CANONICAL = {
    "BO": "Bolivia", "CD": "Democratic Republic of the Congo", "CG": "Republic of the Congo", "CI": "Ivory Coast",
    "CZ": "Czech Republic", "FM": "Micronesia", "GB": "United Kingdom", "IR": "Iran", "KP": "North Korea",
    "KR": "South Korea", "LA": "Laos", "MD": "Moldova", "PS": "Palestine", "RU": "Russia", "SY": "Syria",
    "TW": "Taiwan", "TZ": "Tanzania", "TR": "Turkey", "US": "United States", "VA": "Vatican City",
    "VE": "Venezuela", "VN": "Vietnam", "BN": "Brunei", "CV": "Cape Verde", "SZ": "Eswatini", "MK": "North Macedonia",
    "VG": "British Virgin Islands", "VI": "U.S. Virgin Islands", "FK": "Falkland Islands", "NL": "Netherlands",
}
_EXTRA_ALIASES = {
    "US": ("U.S.", "US", "USA", "U.S.A.", "United States of America", "America", "the United States"),
    "GB": ("U.K.", "UK", "Britain", "Great Britain", "United Kingdom"),
    "RU": ("Russia", "Russian Federation"),
    "KR": ("South Korea", "Republic of Korea"),
    "KP": ("North Korea", "DPRK", "Democratic People's Republic of Korea"),
    "CD": ("DR Congo", "DRC", "Democratic Republic of Congo", "Congo-Kinshasa"),
    "CG": ("Congo-Brazzaville", "Republic of Congo"),
    "CI": ("Côte d'Ivoire", "Cote d'Ivoire"),
    "CZ": ("Czechia",),
    "TR": ("Türkiye", "Turkiye"),
    "MM": ("Burma",),
    "NL": ("Holland", "the Netherlands"),
    "AE": ("UAE", "U.A.E.", "Emirates"),
    "VA": ("Vatican", "Holy See"),
    "SZ": ("Swaziland",),
    "PS": ("State of Palestine", "Palestinian territories"),
    "CN": ("People's Republic of China", "PRC"),
    "MK": ("Macedonia",),
    "TL": ("East Timor",),
    "BA": ("Bosnia",),
}
# pycountry names that are ordinary English words or given names far more often than countries.
_SKIP_FORMS = {"Jersey", "Chad", "Guernsey", "Man", "Jordan", "Georgia", "Niger", "Turkey", "Guinea", "Mali"}
# ... but a capitalised "Jordan", "Georgia" or "Turkey" in running news text is still mostly the
# country: these are kept for the country when nothing bigger (a person's name) contains them.
_WEAK_FORMS = {"Jordan", "Georgia", "Turkey", "Chad", "Niger", "Guinea", "Mali"}

# Political regions and territories (GPE) and geographic regions (LOC).
_REGIONS: dict[str, tuple[EntityType, tuple[str, ...]]] = {
    "Gaza Strip": ("GPE", ("Gaza Strip",)),
    "West Bank": ("GPE", ("West Bank",)),
    "Crimea": ("GPE", ("Crimea",)),
    "Kashmir": ("GPE", ("Kashmir",)),
    "Kurdistan": ("GPE", ("Kurdistan",)),
    "Hong Kong": ("GPE", ("Hong Kong",)),
    "Golan Heights": ("GPE", ("Golan Heights", "Golan")),
    "Soviet Union": ("GPE", ("Soviet Union", "USSR", "U.S.S.R.")),
    "Middle East": ("LOC", ("Middle East", "Mideast")),
    "Europe": ("LOC", ("Europe",)),
    "Asia": ("LOC", ("Asia",)),
    "Africa": ("LOC", ("Africa",)),
    "North America": ("LOC", ("North America",)),
    "South America": ("LOC", ("South America",)),
    "Latin America": ("LOC", ("Latin America",)),
    "Central America": ("LOC", ("Central America",)),
    "Southeast Asia": ("LOC", ("Southeast Asia", "South East Asia", "South-East Asia")),
    "East Asia": ("LOC", ("East Asia",)),
    "Central Asia": ("LOC", ("Central Asia",)),
    "Balkans": ("LOC", ("Balkans",)),
    "Caucasus": ("LOC", ("Caucasus",)),
    "Sahel": ("LOC", ("Sahel",)),
    "Persian Gulf": ("LOC", ("Persian Gulf",)),
    "Red Sea": ("LOC", ("Red Sea",)),
    "Mediterranean": ("LOC", ("Mediterranean", "Mediterranean Sea")),
    "Arctic": ("LOC", ("Arctic",)),
    "Antarctica": ("LOC", ("Antarctica",)),
}

# Organisations that news mentions constantly, with their short forms.
_ORGS: dict[str, tuple[str, ...]] = {
    "United Nations": ("United Nations", "UN", "U.N."),
    "UN Security Council": ("UN Security Council", "U.N. Security Council", "United Nations Security Council",
                            "Security Council"),
    "NATO": ("NATO", "Nato", "North Atlantic Treaty Organization"),
    "European Union": ("European Union", "EU", "E.U."),
    "European Commission": ("European Commission",),
    "World Health Organization": ("World Health Organization", "WHO"),
    "International Monetary Fund": ("International Monetary Fund", "IMF"),
    "World Bank": ("World Bank",),
    "OPEC": ("OPEC", "Organization of the Petroleum Exporting Countries"),
    "International Atomic Energy Agency": ("International Atomic Energy Agency", "IAEA"),
    "International Criminal Court": ("International Criminal Court", "ICC"),
    "African Union": ("African Union",),
    "Arab League": ("Arab League",),
    "ASEAN": ("ASEAN", "Association of Southeast Asian Nations"),
    "G7": ("G7", "G-7"),
    "G20": ("G20", "G-20"),
    "Hezbollah": ("Hezbollah", "Hizbollah", "Hizballah", "Hizbullah"),
    "Hamas": ("Hamas",),
    "Islamic Jihad": ("Islamic Jihad", "Palestinian Islamic Jihad"),
    "Taliban": ("Taliban",),
    "Islamic State": ("Islamic State", "ISIS", "ISIL", "Daesh"),
    "al-Qaeda": ("al-Qaeda", "al-Qaida", "Al-Qaeda", "Al Qaeda", "al Qaeda"),
    "Houthis": ("Houthis", "Houthi movement", "Ansar Allah"),
    "Islamic Revolutionary Guard Corps": ("Islamic Revolutionary Guard Corps", "IRGC", "Revolutionary Guards",
                                          "Revolutionary Guard"),
    "Red Cross": ("Red Cross", "International Committee of the Red Cross", "ICRC"),
    "Amnesty International": ("Amnesty International",),
    "Human Rights Watch": ("Human Rights Watch",),
    "Pentagon": ("Pentagon",),
    "Kremlin": ("Kremlin",),
    "FBI": ("FBI", "Federal Bureau of Investigation"),
    "CIA": ("CIA", "Central Intelligence Agency"),
    "Mossad": ("Mossad",),
    "Federal Reserve": ("Federal Reserve",),
    "European Central Bank": ("European Central Bank", "ECB"),
}

# Demonyms (singular, plural) -> ISO alpha-2 (or a region name).
_DEMONYMS: dict[str, str] = {}
for _code, _words in {
    "US": "American Americans", "GB": "British Briton Britons", "IR": "Iranian Iranians Persian Persians",
    "IL": "Israeli Israelis", "PS": "Palestinian Palestinians", "LB": "Lebanese", "SY": "Syrian Syrians",
    "IQ": "Iraqi Iraqis", "SA": "Saudi Saudis", "AE": "Emirati Emiratis", "QA": "Qatari Qataris",
    "EG": "Egyptian Egyptians", "JO": "Jordanian Jordanians", "TR": "Turkish Turk Turks", "RU": "Russian Russians",
    "UA": "Ukrainian Ukrainians", "CN": "Chinese", "JP": "Japanese", "KR": "Korean Koreans", "IN": "Indian Indians",
    "PK": "Pakistani Pakistanis", "AF": "Afghan Afghans", "FR": "French", "DE": "German Germans",
    "IT": "Italian Italians", "ES": "Spanish Spaniard Spaniards", "PT": "Portuguese", "NL": "Dutch",
    "BE": "Belgian Belgians", "CH": "Swiss", "AT": "Austrian Austrians", "PL": "Polish Pole Poles",
    "SE": "Swedish Swede Swedes", "NO": "Norwegian Norwegians", "DK": "Danish Dane Danes", "FI": "Finnish Finn Finns",
    "GR": "Greek Greeks", "HU": "Hungarian Hungarians", "CZ": "Czech Czechs", "RO": "Romanian Romanians",
    "BG": "Bulgarian Bulgarians", "RS": "Serbian Serbians Serb Serbs", "HR": "Croatian Croatians Croat Croats",
    "IE": "Irish", "CA": "Canadian Canadians", "MX": "Mexican Mexicans", "BR": "Brazilian Brazilians",
    "AR": "Argentine Argentines Argentinian Argentinians", "CL": "Chilean Chileans", "CO": "Colombian Colombians",
    "VE": "Venezuelan Venezuelans", "CU": "Cuban Cubans", "PE": "Peruvian Peruvians", "AU": "Australian Australians",
    "NZ": "New Zealander New Zealanders", "NG": "Nigerian Nigerians", "KE": "Kenyan Kenyans",
    "ET": "Ethiopian Ethiopians", "ZA": "South African South Africans", "SD": "Sudanese", "SO": "Somali Somalis",
    "LY": "Libyan Libyans", "TN": "Tunisian Tunisians", "DZ": "Algerian Algerians", "MA": "Moroccan Moroccans",
    "YE": "Yemeni Yemenis", "OM": "Omani Omanis", "KW": "Kuwaiti Kuwaitis", "BH": "Bahraini Bahrainis",
    "ID": "Indonesian Indonesians", "MY": "Malaysian Malaysians", "PH": "Filipino Filipinos Philippine",
    "TH": "Thai", "VN": "Vietnamese", "MM": "Burmese", "BD": "Bangladeshi Bangladeshis",
    "LK": "Sri Lankan Sri Lankans", "NP": "Nepali Nepalese", "TW": "Taiwanese", "KP": "North Korean North Koreans",
    "BY": "Belarusian Belarusians", "GE": "Georgian Georgians", "AM": "Armenian Armenians",
    "AZ": "Azerbaijani Azerbaijanis", "KZ": "Kazakh Kazakhs", "SG": "Singaporean Singaporeans",
    "Europe": "European Europeans", "Africa": "African Africans", "Asia": "Asian Asians",
}.items():
    _words_list = _words.split()
    i = 0
    while i < len(_words_list):  # two-word demonyms ("South African", "Sri Lankans")
        word = _words_list[i]
        if word in {"South", "Sri", "New", "North"} and i + 1 < len(_words_list):
            word = f"{word} {_words_list[i + 1]}"
            i += 1
        _DEMONYMS[word] = _code
        i += 1
for _group in ("Arab", "Arabs", "Kurdish", "Kurd", "Kurds", "Western", "Jewish", "Muslim", "Muslims", "Christian",
               "Christians", "Shiite", "Shiites", "Shia", "Sunni", "Sunnis"):
    _DEMONYMS[_group] = ""

# ---------------------------------------------------------------- titles and roles

# Honorifics and ranks: they go with a name ("Ayatollah Ali Khamenei", "Gen. Mark Milley").
HONORIFICS = (
    "Grand Ayatollah", "Ayatollah", "Hojatoleslam", "Sheikh", "Sheikha", "Imam", "Rabbi", "Pope", "Cardinal",
    "Archbishop", "Bishop", "Rev.", "Reverend", "Father", "Sister", "Mr.", "Mrs.", "Ms.", "Miss", "Mr", "Mrs", "Ms",
    "Dr.", "Dr", "Prof.", "Professor", "Sir", "Dame", "Lord", "Lady", "King", "Queen", "Prince", "Princess",
    "Crown Prince", "Emir", "Sultan", "Gen.", "General", "Lt. Gen.", "Maj. Gen.", "Brig. Gen.", "Lt.", "Lieutenant",
    "Col.", "Colonel", "Maj.", "Major", "Capt.", "Captain", "Adm.", "Admiral", "Sgt.", "Sergeant", "Cpl.",
    "Commander", "Marshal", "Field Marshal", "Sen.", "Senator", "Rep.", "Representative", "Gov.", "Governor",
    "Judge", "Justice", "Mayor", "Ambassador", "Speaker",
)
# Offices: "Iran's Supreme Leader", "French President", "Secretary of State".
_OFFICE_HEADS = (
    "Supreme Leader", "President", "Vice President", "President-elect", "Prime Minister", "Deputy Prime Minister",
    "Chancellor", "Premier", "Minister", "Secretary", "Secretary of State", "Secretary-General",
    "Secretary General", "Leader", "Chief", "Chief of Staff", "Chief Executive", "CEO", "Chairman", "Chairwoman",
    "Chair", "Spokesman", "Spokeswoman", "Spokesperson", "Director", "Director-General", "Director General",
    "Commander", "Head", "Ambassador", "Envoy", "Foreign Minister", "Defense Minister", "Defence Minister",
    "Speaker", "Governor", "Mayor", "Attorney General", "Army Chief", "Monarch",
)
_OFFICE_MODIFIERS = (
    "Supreme", "Deputy", "Vice", "Acting", "Interim", "Former", "former", "Foreign", "Defense", "Defence",
    "Interior", "Finance", "Economy", "Health", "Justice", "Energy", "Trade", "Oil", "Security", "Military",
    "Army", "Opposition", "Party", "Political", "Spiritual", "Chief", "Senior", "Top", "National", "Home",
    "Treasury", "Transport", "Education", "Environment", "Culture", "Labour", "Labor", "Agriculture",
    "Intelligence", "Nuclear", "Navy", "Naval", "Air Force", "Parliament", "Parliamentary", "State",
)


# Single words of titles and offices, lower-cased ("president", "ayatollah", "gen"): a feature of
# the tagger (a capitalised title word is seldom part of the name after it).
TITLE_TOKENS = frozenset(
    w.lower().rstrip(".") for phrase in (*HONORIFICS, *_OFFICE_HEADS) for w in re.split(r"[\s-]+", phrase)
) - {"of", "state", "head", "chair", "father", "sister", "miss", "justice", "speaker", "major", "lady", "lord", "army", "field", "staff",
      "executive", "elect", "grand", "crown"}


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_HONORIFIC_RE = _alternation(HONORIFICS)
OFFICE_PATTERN = rf"(?:(?:{_alternation(_OFFICE_MODIFIERS)})\s+)*(?:{_alternation(_OFFICE_HEADS)})"
_OFFICE_RE = OFFICE_PATTERN
# One or more titles ending right before a name (matched against text[:name_start]).
TITLE_BEFORE = re.compile(rf"(?:(?:{_OFFICE_RE}|{_HONORIFIC_RE})\s+)+$", re.IGNORECASE)
# The office part at the start of a title sequence ("Supreme Leader" in "Supreme Leader Ayatollah").
OFFICE_AT_START = re.compile(rf"(?:{_OFFICE_RE})(?=\s|$)", re.IGNORECASE)
HONORIFIC_ONLY = re.compile(rf"(?:(?:{_HONORIFIC_RE})\s*)+", re.IGNORECASE)
OFFICE_ONLY = re.compile(rf"{_OFFICE_RE}", re.IGNORECASE)
ONE_LEADING_TITLE = re.compile(rf"^(?:{_OFFICE_RE}|{_HONORIFIC_RE})\s+(?=\S)", re.IGNORECASE)
TITLE_WORD = re.compile(rf"(?<!\w)(?:{_OFFICE_RE}|{_HONORIFIC_RE})(?!\w)", re.IGNORECASE)
# A leading title inside a tagged name ("Ayatollah Khamenei", "President Biden").
LEADING_TITLES = re.compile(rf"^(?:(?:{_OFFICE_RE}|{_HONORIFIC_RE})\s+)+(?=\S)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class GazetteerMatch:
    start: int
    end: int
    text: str
    type: EntityType  # GPE, LOC, ORG or NORP
    canonical: str  # canonical name (for NORP: the country's canonical name, or "" when none)
    weak: bool = False  # a form that is often not the country ("Jordan"): used only when nothing overlaps


def _norm_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip()).casefold()


class Gazetteer:
    """Countries, regions, organisations and demonyms, with canonical names."""

    def __init__(self) -> None:
        import pycountry

        self._forms: dict[str, tuple[EntityType, str, bool]] = {}  # surface form -> (type, canonical, weak)
        self._canonical_by_key: dict[tuple[str, str], str] = {}  # (type, casefolded form) -> canonical
        self._country_by_alpha2: dict[str, str] = {}
        for country in pycountry.countries:
            code = country.alpha_2
            common = getattr(country, "common_name", None)
            canonical = _CANONICAL.get(code) or common or country.name
            self._country_by_alpha2[code] = canonical
            forms = {canonical, *(_EXTRA_ALIASES.get(code, ()))}
            if "," not in country.name and "(" not in country.name:
                forms.add(country.name)
            if common:
                forms.add(common)
            official = getattr(country, "official_name", None)
            if official and "," not in official and "(" not in official:
                forms.add(official.removeprefix("the "))
            for form in forms:
                self._add(form, "GPE", canonical)
        for canonical, (kind, forms) in _REGIONS.items():
            for form in forms:
                self._add(form, kind, canonical)
        for canonical, forms in _ORGS.items():
            for form in forms:
                self._add(form, "ORG", canonical)
        for word, code in _DEMONYMS.items():
            self._forms.setdefault(word, ("NORP", self._country_by_alpha2.get(code, code), False))
        self._pattern = re.compile(r"(?<!\w)" + _trie_pattern(self._forms) + r"(?!\w)")
        self._recent: list[tuple[str, list[GazetteerMatch]]] = []

    def _add(self, form: str, kind: EntityType, canonical: str) -> None:
        if form.startswith("the "):
            form = form[4:]
        if form in _SKIP_FORMS and form not in _WEAK_FORMS:
            return
        self._forms.setdefault(form, (kind, canonical, form in _WEAK_FORMS))
        self._canonical_by_key.setdefault((kind, _norm_key(form)), canonical)

    def find(self, text: str) -> list[GazetteerMatch]:
        """Every match in ``text``, longest first at each position, left to right, no overlaps."""
        for seen, found in self._recent:  # the tagger's features and the rules ask in turn
            if seen is text:
                return list(found)
        out = self._find(text)
        self._recent = [(text, out), *self._recent[:31]]
        return list(out)

    def _find(self, text: str) -> list[GazetteerMatch]:
        out: list[GazetteerMatch] = []
        for m in self._pattern.finditer(text):
            form = m.group(0)
            kind, canonical, weak = self._forms[form]
            if form.isupper() and len(form.replace(".", "")) <= 4 and _in_caps_context(text, m.start(), m.end()):
                continue
            out.append(GazetteerMatch(m.start(), m.end(), form, kind, canonical, weak))
        return out

    def canonical(self, name: str, kind: EntityType | None = None) -> str | None:
        """Canonical name of a known country, region or organisation, or None."""
        key = _norm_key(name)
        if key.startswith("the "):
            key = key[4:]
        kinds: tuple[str, ...] = (kind,) if kind else ("GPE", "LOC", "ORG")
        if kind in ("GPE", "LOC"):
            kinds = ("GPE", "LOC")
        for k in kinds:
            found = self._canonical_by_key.get((k, key))
            if found:
                return found
        return None

    def kind_of(self, name: str) -> EntityType | None:
        """GPE, LOC, ORG or NORP when ``name`` is a known form, else None."""
        entry = self._forms.get(name.strip())
        return entry[0] if entry else None

    def country_of(self, demonym: str) -> str | None:
        """The canonical country (or region) a demonym refers to: "Iranian" -> "Iran"."""
        entry = self._forms.get(demonym.strip())
        if entry and entry[0] == "NORP" and entry[1]:
            return entry[1]
        return None

    def is_demonym(self, word: str) -> bool:
        entry = self._forms.get(word.strip())
        return bool(entry and entry[0] == "NORP")


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex for many literal strings, as a character trie (fast with Python's re, which
    tries alternatives one by one); the longest match wins at each position."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return build(trie)


def _in_caps_context(text: str, start: int, end: int) -> bool:
    """True when the words around [start, end) are in capitals too (a shouted headline)."""
    before = re.findall(r"[A-Za-z]{2,}", text[max(0, start - 40) : start])[-2:]
    after = re.findall(r"[A-Za-z]{2,}", text[end : end + 40])[:2]
    words = before + after
    return bool(words) and all(w.isupper() for w in words)


@cache
def default_gazetteer() -> Gazetteer:
    return Gazetteer()
