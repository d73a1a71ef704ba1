//! Word lists the drafter reads the text with. Kept together so that the
//! rules in `claim` and `incident` read as rules, and the vocabulary can be
//! reviewed in one place.

use corridor_statement::accountability::Stance;

/// Reporting verbs and the stance each implies (a denial can also come from
/// the reported clause; see `claim::negated`).
pub fn reporting_verb(w: &str) -> Option<Stance> {
    Some(match w {
        "accused" | "accuses" | "accusing" | "alleged" | "alleges" | "alleging" | "claimed" | "claims"
        | "claiming" | "blamed" | "blames" | "blaming" | "charged" | "charges" => Stance::Allegation,
        "denied" | "denies" | "denying" | "rejected" | "rejects" | "dismissed" | "dismisses" | "refuted"
        | "refutes" | "disputed" | "disputes" => Stance::Denial,
        "said" | "says" | "say" | "told" | "tells" | "stated" | "states" | "added" | "adds" | "reported"
        | "reports" | "confirmed" | "confirms" | "announced" | "announces" | "noted" | "warned" | "warns"
        | "explained" | "wrote" | "writes" | "posted" | "tweeted" | "insisted" | "insists" | "estimated"
        | "estimates" | "acknowledged" | "stressed" | "argued" | "maintained" | "recorded" | "documented"
        | "counted" | "saying" | "countered" => Stance::Assertion,
        _ => return None,
    })
}

/// Words that may stand between a subject and its reporting verb.
pub const AUXILIARIES: &[&str] = &[
    "has",
    "have",
    "had",
    "also",
    "later",
    "earlier",
    "previously",
    "repeatedly",
    "again",
    "publicly",
    "strongly",
    "flatly",
    "firmly",
    "categorically",
    "long",
    "separately",
    "quickly",
    "swiftly",
    "immediately",
    "further",
    "already",
    "then",
    "initially",
    "originally",
    "subsequently",
    "officially",
    "angrily",
    "vehemently",
];

/// Words that end a subject when walking left from its verb.
pub const CLAUSE_BOUNDARIES: &[&str] = &[
    "that",
    "but",
    "while",
    "whereas",
    "as",
    "which",
    "when",
    "after",
    "before",
    "because",
    "if",
    "although",
    "though",
    "and",
    "where",
    "whom",
    "so",
    "since",
    "until",
    "than",
    "what",
    "how",
    "why",
    "meanwhile",
    "however",
    "yet",
    "nor",
    "or",
];

/// Words that open an adverbial before the subject ("On Monday, ...").
pub const LEADING_ADVERBIALS: &[&str] = &[
    "on",
    "in",
    "late",
    "early",
    "earlier",
    "later",
    "meanwhile",
    "separately",
    "also",
    "however",
    "then",
    "overnight",
    "yesterday",
    "today",
    "last",
    "this",
    "at",
];

/// Titles: stripped from a person's name, and the sign that what precedes
/// them names the speaker's organisation ("Foreign Ministry spokesman").
pub const TITLES: &[&str] = &[
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "minister",
    "official",
    "officials",
    "director",
    "director-general",
    "head",
    "chief",
    "commander",
    "governor",
    "mayor",
    "envoy",
    "coordinator",
    "co-ordinator",
    "representative",
    "ambassador",
    "president",
    "premier",
    "general",
    "gen",
    "colonel",
    "col",
    "lieutenant",
    "lt",
    "major",
    "captain",
    "brigadier",
    "brig",
    "sergeant",
    "dr",
    "doctor",
    "medic",
    "nurse",
    "surgeon",
    "activist",
    "analyst",
    "researcher",
    "officer",
    "adviser",
    "advisor",
    "secretary",
    "secretary-general",
    "deputy",
    "senior",
    "chairman",
    "chairwoman",
    "chair",
    "member",
    "leader",
    "mr",
    "mrs",
    "ms",
    "sheikh",
    "imam",
    "mukhtar",
    "prof",
    "professor",
    "correspondent",
    "reporter",
    "journalist",
    "worker",
    "volunteer",
    "manager",
    "administrator",
    "lawyer",
    "judge",
    "investigator",
    "monitor",
    "expert",
    "economist",
    "resident",
    "witness",
    "founder",
    "executive",
    "undersecretary",
    "under-secretary-general",
    "rapporteur",
    "emergency",
    "relief",
    "humanitarian",
    "regional",
    "country",
    "local",
    "field",
    "acting",
    "former",
    "top",
    "army",
    "military",
    "police",
    "security",
    "press",
    "media",
    "communications",
    "public",
    "information",
];

/// Words that make a phrase an organisation rather than a person.
pub const ORG_WORDS: &[&str] = &[
    "ministry",
    "observatory",
    "programme",
    "program",
    "council",
    "forces",
    "agency",
    "office",
    "army",
    "organisation",
    "organization",
    "committee",
    "government",
    "crescent",
    "cross",
    "nations",
    "defence",
    "defense",
    "command",
    "coalition",
    "group",
    "network",
    "un",
    "ocha",
    "wfp",
    "unhcr",
    "unicef",
    "who",
    "sana",
    "sdf",
    "icrc",
    "msf",
    "unrwa",
    "administration",
    "authority",
    "authorities",
    "department",
    "directorate",
    "commission",
    "union",
    "federation",
    "fund",
    "institute",
    "centre",
    "center",
    "foundation",
    "society",
    "watch",
    "international",
    "amnesty",
    "coalition",
    "alliance",
    "front",
    "party",
    "movement",
    "brigade",
    "brigades",
    "division",
    "militia",
    "ministries",
    "helmets",
    "mission",
    "bureau",
    "news",
    "agency's",
    "tv",
    "television",
    "radio",
    "channel",
    "daily",
    "wire",
    "times",
    "post",
    "press",
    "cluster",
    "court",
    "board",
    "association",
    "syndicate",
    "hospital",
    "bank",
    "company",
    "corps",
    "guard",
    "police",
    "defense",
    "service",
    "services",
    "monitor",
    "monitors",
    "secretariat",
    "embassy",
    "parliament",
    "presidency",
    "cabinet",
    "tribe",
    "tribes",
    "clan",
    "relief",
];

/// Words that are never a person's name even when capitalised (sentence
/// openers, collective speakers).
pub const NOT_NAMES: &[&str] = &[
    "officials",
    "residents",
    "activists",
    "witnesses",
    "sources",
    "doctors",
    "medics",
    "rescuers",
    "police",
    "authorities",
    "locals",
    "survivors",
    "villagers",
    "aid",
    "the",
    "a",
    "an",
    "some",
    "many",
    "he",
    "she",
    "they",
    "it",
    "we",
    "i",
    "his",
    "her",
    "their",
    "its",
    "one",
    "two",
    "three",
    "both",
    "others",
    "monitors",
    "diplomats",
    "officers",
    "troops",
    "soldiers",
    "analysts",
    "critics",
    "experts",
    "relatives",
    "families",
    "workers",
    "volunteers",
    "staff",
    "state",
    "syrian",
    "iraqi",
    "turkish",
    "russian",
    "lebanese",
    "jordanian",
    "kurdish",
    "israeli",
    "iranian",
    "american",
    "british",
    "french",
    "us",
    "un",
    "eu",
];

/// Heads of phrases that name who carried out an attack.
pub const PERPETRATOR_HEADS: &[&str] = &[
    "aircraft",
    "warplanes",
    "warplane",
    "jets",
    "jet",
    "drones",
    "drone",
    "forces",
    "troops",
    "army",
    "militants",
    "fighters",
    "factions",
    "faction",
    "gunmen",
    "artillery",
    "militia",
    "militias",
    "helicopters",
    "helicopter",
    "coalition",
    "rebels",
    "insurgents",
    "soldiers",
    "group",
    "groups",
    "regime",
    "government",
    "military",
    "sdf",
    "isis",
    "isil",
    "hts",
    "police",
    "units",
    "battalion",
    "brigade",
    "navy",
    "air",
    "force",
    "remnants",
    "cell",
    "cells",
    "guards",
    "militiamen",
    "jihadists",
];

/// Casualty words: what a figure next to them counts.
pub fn casualty(w: &str) -> Option<&'static str> {
    Some(match w {
        "killed" | "killing" | "kills" | "kill" | "dead" | "died" | "die" | "deaths" | "death"
        | "fatalities" | "lives" | "bodies" | "dying" => "killed",
        "wounded" | "wounding" | "injured" | "injuring" | "injuries" | "hurt" | "injures" | "wounds"
        | "burns" => "injured",
        "displaced" | "displacing" | "fled" | "uprooted" => "displaced",
        "detained" | "arrested" | "abducted" | "kidnapped" | "detaining" | "arresting" => "detained",
        "missing" => "missing",
        "evacuated" => "evacuated",
        "stranded" => "stranded",
        _ => return None,
    })
}

/// The unit of the noun that follows a figure ending before token `after`,
/// skipping an adjective or two but never past a casualty word, punctuation
/// or a word that opens another phrase ("five contractors last week" has no
/// unit of weeks). Returns the unit and the noun's token index.
pub fn unit_after(doc: &crate::text::Doc<'_>, after: usize, end: usize) -> Option<(&'static str, usize)> {
    for k in after..(after + 3).min(end) {
        let t = &doc.tokens[k];
        if let Some(u) = unit(&t.lower) {
            return Some((u, k));
        }
        let opens = matches!(
            t.lower.as_str(),
            "last"
                | "this"
                | "next"
                | "on"
                | "in"
                | "at"
                | "since"
                | "ago"
                | "and"
                | "or"
                | "of"
                | "for"
                | "from"
                | "during"
                | "over"
                | "by"
                | "to"
                | "were"
                | "was"
                | "had"
                | "have"
                | "are"
                | "is"
        );
        if casualty(&t.lower).is_some() || t.kind != crate::text::Tok::Word || opens {
            return None;
        }
    }
    None
}

/// The unit a noun after a figure names.
pub fn unit(w: &str) -> Option<&'static str> {
    Some(match w {
        "people" | "persons" | "civilians" | "residents" | "person" | "individuals" | "men" | "patients"
        | "contractors" | "employees" | "guards" | "doctors" | "nurses" | "farmers" | "shepherds"
        | "passengers" | "villagers" | "relatives" | "members" | "others" | "labourers" | "laborers"
        | "medics" | "journalists" | "refugees" | "inhabitants" => "people",
        "children" | "child" | "minors" | "kids" | "boys" | "girls" | "pupils" | "schoolchildren"
        | "students" => "children",
        "women" => "women",
        "trucks" | "truck" | "lorries" | "vehicles" | "lorry" => "trucks",
        "tonnes" | "tons" | "tonne" | "ton" => "tonnes",
        "km" | "kilometres" | "kilometers" | "kilometre" | "kilometer" => "km",
        "airstrikes" | "strikes" | "raids" | "airstrike" => "airstrikes",
        "attacks" | "attack" => "attacks",
        "families" | "family" => "families",
        "households" => "households",
        "fighters" | "soldiers" | "troops" | "militants" | "combatants" => "fighters",
        "percent" | "%" | "per" => "percent",
        "hours" | "hour" => "hours",
        "days" | "day" => "days",
        "weeks" | "week" => "weeks",
        "months" | "month" => "months",
        "years" | "year" => "years",
        "shells" | "rockets" | "missiles" | "mortars" | "bombs" => "munitions",
        "convoys" | "convoy" => "convoys",
        "buildings" | "homes" | "houses" => "buildings",
        "meals" | "rations" | "parcels" | "baskets" | "kits" => "rations",
        "litres" | "liters" => "litres",
        "dollars" | "usd" | "$" => "usd",
        "hospitals" | "schools" | "bakeries" | "clinics" => "sites",
        "workers" | "staff" => "workers",
        "camps" => "camps",
        "tents" => "tents",
        _ => return None,
    })
}
