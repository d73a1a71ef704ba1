//! `corridor intake`: drafts claims and incidents from a news report, for an
//! analyst to review; `corridor sign --draft FILE#N` signs one once reviewed;
//! `corridor bench intake` scores the drafter against the labelled corpus.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use corridor_intake::score::{add, Scores, FIELDS};
use corridor_intake::{draft, read_text, Gazetteer, Options, Parties, MAX_TEXT_BYTES};
use serde_json::Value;

/// `corridor intake` options.
#[derive(Debug, clap::Args)]
pub struct IntakeArgs {
    /// The report: a UTF-8 text file, or `-` for standard input.
    pub article: PathBuf,
    /// When it was published (RFC 3339); relative dates ("on Wednesday") resolve against it.
    #[arg(long)]
    pub published: Option<String>,
    /// The outlet that published it.
    #[arg(long)]
    pub outlet: Option<String>,
    /// Where it was published.
    #[arg(long)]
    pub url: Option<String>,
    /// Registered parties' names and aliases: {"party-id": ["name", "alias", …]}.
    #[arg(long)]
    pub parties: Option<PathBuf>,
    /// Write the drafts here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Reads at most `MAX_TEXT_BYTES + 1` bytes, so an endless input is refused
/// without being held.
fn read_article(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let limit = (MAX_TEXT_BYTES + 1) as u64;
    if path == Path::new("-") {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes).context("reading standard input")?;
    } else {
        let f = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
        f.take(limit).read_to_end(&mut bytes).with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(bytes)
}

pub fn run(args: &IntakeArgs) -> Result<()> {
    let published_us = match &args.published {
        Some(p) => Some(
            corridor_intake::parse_published(p)
                .with_context(|| format!("--published {p:?} is not an RFC 3339 time"))?,
        ),
        None => None,
    };
    let parties = match &args.parties {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            Parties::from_json(&text)?
        }
        None => Parties::default(),
    };
    let bytes = read_article(&args.article)?;
    let text = read_text(&bytes).with_context(|| format!("{}", args.article.display()))?;
    let options = Options { published_us, outlet: args.outlet.clone(), url: args.url.clone(), parties };
    let out = draft(text, &options, &Gazetteer::builtin()?);
    let json = serde_json::to_string_pretty(&out)?;
    if let Some(out) = &args.out {
        let same = std::fs::canonicalize(out)
            .ok()
            .is_some_and(|o| std::fs::canonicalize(&args.article).ok() == Some(o));
        if same {
            bail!("--out {} is the article itself; write the drafts elsewhere", out.display());
        }
    }
    match &args.out {
        Some(path) => {
            std::fs::write(path, json + "\n").with_context(|| format!("writing {}", path.display()))?
        }
        None => print_out(&json)?,
    }
    Ok(())
}

/// Prints to standard output; a reader that stops early (`| head`) is not an error.
fn print_out(text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.write_all(b"\n")).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// The type and body of draft `N` of a drafts file (`FILE#N`), refused while
/// the analyst has not cleared its `needs_review` list.
pub fn reviewed_draft(spec: &str) -> Result<(String, Value)> {
    let (file, index) = match spec.rsplit_once('#') {
        Some((f, n)) => (
            f,
            n.parse::<usize>()
                .with_context(|| format!("{spec:?}: the part after # must be a draft number"))?,
        ),
        None => (spec, 0),
    };
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
    let doc: Value = serde_json::from_str(&text).with_context(|| format!("{file} is not JSON"))?;
    let drafts = doc["drafts"].as_array().with_context(|| format!("{file} holds no \"drafts\" list"))?;
    if spec.rsplit_once('#').is_none() && drafts.len() > 1 {
        bail!("{file} holds {} drafts: name one as {file}#N (0 to {})", drafts.len(), drafts.len() - 1);
    }
    let d = drafts
        .get(index)
        .with_context(|| format!("{file} has no draft {index} (it holds {})", drafts.len()))?;
    let kind = d["type"].as_str().with_context(|| format!("draft {index} has no type"))?;
    let review = &d["needs_review"];
    let cleared = review.is_null() || review.as_array().is_some_and(Vec::is_empty);
    if !cleared {
        let fields: Vec<&str> =
            review.as_array().map_or(Vec::new(), |r| r.iter().filter_map(|x| x["field"].as_str()).collect());
        let mut fields = fields;
        fields.dedup();
        let what = if fields.is_empty() { review.to_string() } else { fields.join(", ") };
        bail!("draft {index} still needs review: {what}. Edit its body in {file}, then empty its \"needs_review\" list");
    }
    Ok((kind.to_owned(), d["body"].clone()))
}

/// `corridor bench intake`: precision and recall per field on the labelled
/// corpus, and drafting time per 1,000 words.
pub fn bench(corpus: &Path, rounds: usize, explain: bool) -> Result<()> {
    let g = Gazetteer::builtin()?;
    let reports = load_corpus(corpus)?;
    let mut scores = Scores::new();
    let mut words = 0usize;
    for (text, label) in &reports {
        let options = corridor_intake::score::label_options(label);
        let mut got = serde_json::to_value(draft(text, &options, &g))?;
        got["text"] = Value::String(text.clone());
        add(&mut scores, &label["expect"], &got);
        words += text.split_whitespace().count();
        if explain {
            for (field, gold, pred) in corridor_intake::score::explain(&label["expect"], &got) {
                println!(
                    "{} {field}\n    labelled  {gold:?}\n    drafted   {pred:?}",
                    label["name"].as_str().unwrap_or("?")
                );
            }
        }
    }
    println!("intake on {} reports ({} words) from {}", reports.len(), words, corpus.display());
    println!(
        "{:<12} {:>9} {:>7} {:>6} {:>5} {:>9} {:>8}",
        "field", "precision", "recall", "F1", "tp", "predicted", "labelled"
    );
    for f in FIELDS {
        let c = scores.get(f).copied().unwrap_or_default();
        println!(
            "{f:<12} {:>9.3} {:>7.3} {:>6.3} {:>5} {:>9} {:>8}",
            c.precision(),
            c.recall(),
            c.f1(),
            c.tp,
            c.predicted,
            c.labelled
        );
    }
    let start = Instant::now();
    for _ in 0..rounds {
        for (text, label) in &reports {
            std::hint::black_box(draft(text, &corridor_intake::score::label_options(label), &g));
        }
    }
    let per_1000 = start.elapsed().as_secs_f64() * 1e3 / (rounds * words) as f64 * 1000.0;
    let build = Instant::now();
    std::hint::black_box(Gazetteer::builtin()?);
    println!(
        "time: {per_1000:.2} ms per 1,000 words ({rounds} rounds); gazetteer load {:.1} ms",
        build.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

fn load_corpus(dir: &Path) -> Result<Vec<(String, Value)>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading the corpus directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    names.sort();
    if names.is_empty() {
        bail!("{} holds no .txt reports", dir.display());
    }
    names
        .into_iter()
        .map(|txt| {
            let text = std::fs::read_to_string(&txt).with_context(|| format!("reading {}", txt.display()))?;
            let json = txt.with_extension("json");
            let label = serde_json::from_str(
                &std::fs::read_to_string(&json).with_context(|| format!("reading {}", json.display()))?,
            )
            .with_context(|| format!("{} is not JSON", json.display()))?;
            Ok((text, label))
        })
        .collect()
}
