//! C2SP tlog-policy: which logs and witnesses a verifier trusts, and the
//! quorum of witnesses whose cosignatures make a checkpoint believable.
//!
//! ```text
//! log <vkey> [<url>]
//! witness <name> <vkey> [<url>]
//! group <name> all|any|<k> <name>...
//! quorum <name>|none
//! ```
//!
//! Lines are separated by U+000A, items by spaces and tabs; `#` starts a
//! comment line; a group or the quorum names only what earlier lines defined;
//! exactly one quorum line; no two logs or witnesses share a public key; each
//! name appears at most once in a group (c2sp.org/tlog-policy). This reader
//! also requires UTF-8, which the spec recommends, and holds the policy to
//! [`MAX_POLICY_ITEMS`] of each kind (the spec asks for at least 32).

use corridor_note::cosignature::{Cosignature, CosignerKey};
use corridor_note::VerifierKey;

/// Most logs, witnesses and groups a policy may define, each.
pub const MAX_POLICY_ITEMS: usize = 64;
/// Largest policy file read, in bytes.
pub const MAX_POLICY_BYTES: usize = 64 * 1024;
/// How far ahead of the verifier's clock a cosignature may be dated, in
/// seconds; C2SP tlog-cosignature lets verifiers refuse later ones, and a
/// witness dating its cosignature ahead would date entries falsely.
pub const MAX_FUTURE_S: u64 = 600;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", if *line == 0 { "policy: ".to_owned() } else { format!("policy line {line}: ") })]
pub struct PolicyError {
    /// 1-based line number (0 for the file as a whole).
    pub line: usize,
    pub reason: String,
}

fn err(line: usize, reason: impl Into<String>) -> PolicyError {
    PolicyError { line, reason: reason.into() }
}

/// A log the policy accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyLog {
    pub vkey: VerifierKey,
    pub url: Option<String>,
}

/// A witness the policy names; `url` is its tlog-witness submission prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyWitness {
    pub name: String,
    pub vkey: CosignerKey,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Member {
    Witness(usize),
    Group(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    name: String,
    threshold: usize,
    members: Vec<Member>,
}

/// A parsed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub logs: Vec<PolicyLog>,
    pub witnesses: Vec<PolicyWitness>,
    groups: Vec<Group>,
    /// `None` for `quorum none`.
    quorum: Option<Member>,
}

/// The outcome of checking a note's cosignatures against a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumCheck {
    /// Per witness of the policy, in its order: its valid cosignature, if any.
    pub cosignatures: Vec<Option<Cosignature>>,
    pub satisfied: bool,
}

impl QuorumCheck {
    /// The earliest time by which the quorum had cosigned: the smallest t such
    /// that the cosignatures made at or before t satisfy the quorum. `None`
    /// when unsatisfied or when the quorum is `none`.
    pub fn quorum_time(&self, policy: &Policy) -> Option<u64> {
        let mut times: Vec<u64> = self.cosignatures.iter().flatten().map(|c| c.timestamp).collect();
        times.sort_unstable();
        times
            .into_iter()
            .find(|&t| policy.satisfied(&|i| self.cosignatures[i].is_some_and(|c| c.timestamp <= t)))
    }
}

fn split_items(line: &str) -> Vec<&str> {
    line.split([' ', '\t']).filter(|s| !s.is_empty()).collect()
}

fn check_octets(text: &str) -> Result<(), PolicyError> {
    for (i, line) in text.split('\n').enumerate() {
        if line.chars().any(|c| c.is_ascii_control() && c != '\t') {
            return Err(err(i + 1, "control characters other than tab are not allowed"));
        }
    }
    Ok(())
}

#[derive(Default)]
struct Builder {
    logs: Vec<PolicyLog>,
    witnesses: Vec<PolicyWitness>,
    groups: Vec<Group>,
    quorum: Option<Option<Member>>,
}

impl Builder {
    fn lookup(&self, name: &str) -> Option<Member> {
        if let Some(i) = self.witnesses.iter().position(|w| w.name == name) {
            return Some(Member::Witness(i));
        }
        self.groups.iter().position(|g| g.name == name).map(Member::Group)
    }

    fn define_name(&self, n: usize, name: &str) -> Result<(), PolicyError> {
        if name == "none" {
            return Err(err(n, "`none` is predefined"));
        }
        if self.lookup(name).is_some() {
            return Err(err(n, format!("name {name:?} is already defined")));
        }
        Ok(())
    }

    fn line(&mut self, n: usize, items: &[&str]) -> Result<(), PolicyError> {
        match items {
            ["log", vkey, rest @ ..] if rest.len() <= 1 => self.log(n, vkey, rest.first()),
            ["witness", name, vkey, rest @ ..] if rest.len() <= 1 => {
                self.witness(n, name, vkey, rest.first())
            }
            ["group", name, threshold, members @ ..] if !members.is_empty() => {
                self.group(n, name, threshold, members)
            }
            ["quorum", name] => self.set_quorum(n, name),
            _ => Err(err(n, "expected `log`, `witness`, `group` or `quorum` with their items")),
        }
    }

    fn log(&mut self, n: usize, vkey: &str, url: Option<&&str>) -> Result<(), PolicyError> {
        let vkey = VerifierKey::parse(vkey).map_err(|e| err(n, format!("log vkey: {e}")))?;
        if self.logs.iter().any(|l| l.vkey.public_bytes() == vkey.public_bytes()) {
            return Err(err(n, "duplicate log key"));
        }
        if self.logs.len() == MAX_POLICY_ITEMS {
            return Err(err(n, format!("more than {MAX_POLICY_ITEMS} logs")));
        }
        self.logs.push(PolicyLog { vkey, url: url.map(|u| (*u).to_owned()) });
        Ok(())
    }

    fn witness(&mut self, n: usize, name: &str, vkey: &str, url: Option<&&str>) -> Result<(), PolicyError> {
        self.define_name(n, name)?;
        let vkey = CosignerKey::parse(vkey).map_err(|e| err(n, format!("witness vkey: {e}")))?;
        if self.witnesses.iter().any(|w| w.vkey.public_bytes() == vkey.public_bytes()) {
            return Err(err(n, "duplicate witness key"));
        }
        if self.witnesses.len() == MAX_POLICY_ITEMS {
            return Err(err(n, format!("more than {MAX_POLICY_ITEMS} witnesses")));
        }
        self.witnesses.push(PolicyWitness { name: name.to_owned(), vkey, url: url.map(|u| (*u).to_owned()) });
        Ok(())
    }

    fn group(&mut self, n: usize, name: &str, threshold: &str, names: &[&str]) -> Result<(), PolicyError> {
        self.define_name(n, name)?;
        let mut members = Vec::with_capacity(names.len());
        for m in names {
            let member =
                self.lookup(m).ok_or_else(|| err(n, format!("{m:?} is not defined on an earlier line")))?;
            if members.contains(&member) {
                return Err(err(n, format!("{m:?} is listed twice")));
            }
            members.push(member);
        }
        let threshold = match threshold {
            "all" => members.len(),
            "any" => 1,
            k => {
                let canonical = !k.starts_with('0') && k.bytes().all(|b| b.is_ascii_digit());
                let k: usize = k.parse().ok().filter(|_| canonical).ok_or_else(|| err(n, "bad threshold"))?;
                if k == 0 || k > members.len() {
                    return Err(err(n, "threshold must be between 1 and the number of members"));
                }
                k
            }
        };
        if self.groups.len() == MAX_POLICY_ITEMS {
            return Err(err(n, format!("more than {MAX_POLICY_ITEMS} groups")));
        }
        self.groups.push(Group { name: name.to_owned(), threshold, members });
        Ok(())
    }

    fn set_quorum(&mut self, n: usize, name: &str) -> Result<(), PolicyError> {
        if self.quorum.is_some() {
            return Err(err(n, "a second quorum line"));
        }
        let q = if name == "none" {
            None
        } else {
            Some(
                self.lookup(name)
                    .ok_or_else(|| err(n, format!("{name:?} is not defined on an earlier line")))?,
            )
        };
        self.quorum = Some(q);
        Ok(())
    }
}

impl Policy {
    /// Parses a policy file.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(err(0, format!("larger than {MAX_POLICY_BYTES} bytes")));
        }
        check_octets(text)?;
        let mut b = Builder::default();
        for (i, line) in text.split('\n').enumerate() {
            let items = split_items(line);
            if items.is_empty() || items[0].starts_with('#') {
                continue;
            }
            b.line(i + 1, &items)?;
        }
        let quorum = b.quorum.ok_or_else(|| err(0, "no quorum line"))?;
        Ok(Self { logs: b.logs, witnesses: b.witnesses, groups: b.groups, quorum })
    }

    /// Whether a checkpoint signed by `vkey` may be accepted: the policy
    /// lists that log, or lists no log at all (the log is known from context).
    pub fn accepts_log(&self, vkey: &VerifierKey) -> bool {
        self.logs.is_empty() || self.logs.iter().any(|l| l.vkey == *vkey)
    }

    /// Whether the policy asks for any cosignature at all.
    pub fn requires_cosignatures(&self) -> bool {
        self.quorum.is_some()
    }

    /// Whether the witnesses for which `cosigned(i)` holds meet the quorum.
    pub fn satisfied(&self, cosigned: &dyn Fn(usize) -> bool) -> bool {
        self.quorum.is_none_or(|q| self.member_witnessed(q, cosigned))
    }

    fn member_witnessed(&self, m: Member, cosigned: &dyn Fn(usize) -> bool) -> bool {
        match m {
            Member::Witness(i) => cosigned(i),
            Member::Group(g) => {
                let group = &self.groups[g];
                group.members.iter().filter(|&&m| self.member_witnessed(m, cosigned)).count()
                    >= group.threshold
            }
        }
    }

    /// Checks every witness's cosignature on `note` (a checkpoint note) and
    /// whether together they meet the quorum. A cosignature line by a policy
    /// witness that does not verify is an error (the note was altered).
    pub fn check_cosignatures(&self, note: &str) -> Result<QuorumCheck, corridor_note::NoteError> {
        let cosignatures =
            self.witnesses.iter().map(|w| w.vkey.find_in(note)).collect::<Result<Vec<_>, _>>()?;
        let satisfied = self.satisfied(&|i| cosignatures[i].is_some());
        Ok(QuorumCheck { cosignatures, satisfied })
    }

    /// A one-line description of the quorum, for people: `2 of {a, b}`.
    pub fn describe_quorum(&self) -> String {
        match self.quorum {
            None => "none".to_owned(),
            Some(m) => self.describe(m),
        }
    }

    fn describe(&self, m: Member) -> String {
        match m {
            Member::Witness(i) => self.witnesses[i].name.clone(),
            Member::Group(g) => {
                let group = &self.groups[g];
                let names: Vec<String> = group.members.iter().map(|&m| self.describe(m)).collect();
                format!("{} of {{{}}}", group.threshold, names.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corridor_note::cosignature::CosignerSigner;
    use corridor_note::SignerKey;

    fn wkey(i: u8) -> CosignerSigner {
        CosignerSigner::from_seed(&format!("w{i}.example"), [i; 32]).expect("name")
    }

    fn log() -> SignerKey {
        SignerKey::from_seed("log.example", [99; 32]).expect("name")
    }

    fn example() -> String {
        let w: Vec<String> = (1..=6).map(|i| wkey(i).verifier().to_vkey()).collect();
        format!(
            "# the spec's example, two levels of groups\nlog {} https://log.example/\n\n\
             witness X1 {}\n witness X2 {}\t\nwitness X3 {}\ngroup X-witnesses 2 X1 X2 X3\n\
             witness Y1 {}\nwitness Y2 {}\nwitness Y3 {}\ngroup Y-witnesses any Y1 Y2 Y3\n\
             group X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n",
            log().verifier().to_vkey(),
            w[0],
            w[1],
            w[2],
            w[3],
            w[4],
            w[5]
        )
    }

    #[test]
    fn the_spec_example_parses_and_its_quorum_holds() {
        let p = Policy::parse(&example()).expect("parses");
        assert_eq!((p.logs.len(), p.witnesses.len()), (1, 6));
        assert_eq!(p.logs[0].url.as_deref(), Some("https://log.example/"));
        let set = |ws: &[usize]| p.satisfied(&|i| ws.contains(&i));
        assert!(set(&[0, 1, 3]));
        assert!(set(&[0, 2, 5]));
        assert!(!set(&[0, 3, 4, 5]), "one X is not enough");
        assert!(!set(&[0, 1, 2]), "no Y");
        assert_eq!(p.describe_quorum(), "2 of {2 of {X1, X2, X3}, 1 of {Y1, Y2, Y3}}");
    }

    #[test]
    fn bad_policies_are_refused_with_their_line() {
        let w1 = wkey(1).verifier().to_vkey();
        let w2 = wkey(2).verifier().to_vkey();
        let lv = log().verifier().to_vkey();
        for (text, line) in [
            (format!("witness a {w1}\n"), 0),
            (format!("witness a {w1}\nquorum b\n"), 2),
            (format!("witness a {w1}\nwitness a {w2}\nquorum a\n"), 2),
            (format!("witness a {w1}\nwitness b {w1}\nquorum a\n"), 2),
            (format!("witness a {w1}\ngroup g 2 a\nquorum g\n"), 2),
            (format!("witness a {w1}\ngroup g 0 a\nquorum g\n"), 2),
            (format!("witness a {w1}\ngroup g any a a\nquorum g\n"), 2),
            (format!("witness a {w1}\nquorum a\nquorum a\n"), 3),
            (format!("group g any a\nwitness a {w1}\nquorum g\n"), 1),
            (format!("witness none {w1}\nquorum none\n"), 1),
            (format!("witness a {lv}\nquorum a\n"), 1),
            (format!("log {w1}\nquorum none\n"), 1),
            (format!("log {lv}\nlog {lv}\nquorum none\n"), 2),
            ("quorum none\nbogus line\n".to_owned(), 2),
            ("quorum none\r\n".to_owned(), 1),
        ] {
            assert_eq!(Policy::parse(&text).map_err(|e| e.line), Err(line), "{text}");
        }
        assert!(!Policy::parse("quorum none\n").expect("parses").requires_cosignatures());
    }

    #[test]
    fn cosignatures_are_checked_and_timed() {
        let text = format!(
            "witness a {}\nwitness b {}\nwitness c {}\ngroup g 2 a b c\nquorum g\n",
            wkey(1).verifier().to_vkey(),
            wkey(2).verifier().to_vkey(),
            wkey(3).verifier().to_vkey()
        );
        let p = Policy::parse(&text).expect("parses");
        let body = "log.example\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let signed = corridor_note::sign_note(body, &[&log()]).expect("signs");
        let one = format!("{signed}{}", wkey(3).cosign(body, 50));
        let check = p.check_cosignatures(&one).expect("valid");
        assert!(!check.satisfied);
        let two = format!("{one}{}{}", wkey(1).cosign(body, 70), wkey(2).cosign(body, 60));
        let check = p.check_cosignatures(&two).expect("valid");
        assert!(check.satisfied);
        assert_eq!(check.quorum_time(&p), Some(60), "c at 50 and b at 60 make two");
        // A's cosignature of another checkpoint, moved onto this one.
        let other = "log.example\n6\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let forged = format!("{signed}{}", wkey(1).cosign(other, 1));
        assert!(p.check_cosignatures(&forged).is_err());
    }
}
