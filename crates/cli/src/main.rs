//! `corridor`: the one binary. Each subcommand lives in its own module; this file
//! is only the command line.

// The binary is where time enters: it builds the system clock the service is given, and times benchmarks.
#![allow(clippy::disallowed_methods)]

mod audit;
mod bench;
mod bench_headroom;
mod bench_witness;
mod client;
mod data;
mod demo;
mod evidence;
mod intake;
mod keys;
mod receipt;
mod serve;
mod verify;
mod witness;

use std::path::PathBuf;

use anyhow::Result;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "corridor", version, about = "A shared, verifiable record for humanitarian access")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a data directory: database, log key, and the operator party.
    Init {
        #[arg(long)]
        data: PathBuf,
        /// The log's origin line (also the log key's name), e.g. corridor.example/log.
        #[arg(long)]
        origin: String,
        /// The operator party's id.
        #[arg(long, default_value = "ops")]
        operator: String,
        /// The operator party's display name.
        #[arg(long, default_value = "Coordination office")]
        operator_name: String,
        /// Keep the log in this store instead of the directory's corridor.db:
        /// postgres://… (a libpq URI; the schema through
        /// options=-csearch_path%3DNAME) or sqlite:PATH. Recorded in the
        /// directory's config.json.
        #[arg(long, value_parser = data::Store::parse)]
        store: Option<data::Store>,
    },
    /// Serve the API, the C2SP read API and the console.
    Serve {
        #[arg(long)]
        data: PathBuf,
        /// Serve the log in this store rather than the one the directory names.
        #[arg(long, value_parser = data::Store::parse)]
        store: Option<data::Store>,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        #[command(flatten)]
        http: serve::HttpArgs,
        #[command(flatten)]
        witnesses: serve::WitnessPolicyArgs,
        #[command(flatten)]
        cluster: serve::ClusterArgs,
        #[command(flatten)]
        snapshots: serve::SnapshotArgs,
    },
    /// Make a snapshot of the state now (the server makes them by itself:
    /// see `serve --snapshot-every-entries`); the server must be stopped.
    Snapshot {
        #[arg(long)]
        data: PathBuf,
        /// Read the log in this store rather than the one the directory names.
        #[arg(long, value_parser = data::Store::parse)]
        store: Option<data::Store>,
        /// Snapshots kept; older ones are removed.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=100))]
        keep: u64,
    },
    /// Create (once) a data directory with the exercise scenario, and serve it.
    Demo {
        #[arg(long, default_value = "corridor-data")]
        data: PathBuf,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        #[command(flatten)]
        http: serve::HttpArgs,
        /// Serve without the two in-process exercise witnesses.
        #[arg(long)]
        no_witnesses: bool,
    },
    /// Generate a party's private key file and print its verifier key.
    Keygen {
        #[arg(long)]
        party: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Parties.
    Party {
        #[command(subcommand)]
        command: PartyCommand,
    },
    /// Sign a statement with a private key file; prints the DSSE envelope.
    Sign {
        #[arg(long)]
        key: PathBuf,
        /// Statement type, e.g. message.send.
        #[arg(long = "type", required_unless_present_any = ["draft", "countersign"], conflicts_with_all = ["draft", "countersign"])]
        kind: Option<String>,
        /// The body as JSON, or @FILE to read it from a file.
        #[arg(long, required_unless_present_any = ["draft", "countersign"], conflicts_with_all = ["draft", "countersign"])]
        body: Option<String>,
        /// Add this key's signature to an envelope another party signed
        /// (FILE, or - for stdin), e.g. the receiver of a custody.transfer.
        #[arg(long, conflicts_with = "draft")]
        countersign: Option<PathBuf>,
        /// A reviewed draft from `corridor intake --out FILE`: FILE#N signs draft N
        /// (its type and body), once its needs_review list is empty.
        #[arg(long)]
        draft: Option<String>,
        /// Statement id (default: a random one).
        #[arg(long)]
        id: Option<String>,
    },
    /// Draft claims and incidents from a news report's text, for review; never signs or submits.
    Intake(intake::IntakeArgs),
    /// Submit envelopes (a file holds one envelope, a JSON array, or one per line).
    Submit {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Write a self-contained, offline-verifiable evidence bundle about an incident.
    Evidence {
        /// The incident, as issuer/id.
        incident: String,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Export sites, movements, incidents or distributions as CSV (with HXL hashtags) or GeoJSON.
    Export {
        /// sites, movements, incidents or distributions.
        kind: String,
        #[arg(long, default_value = "csv")]
        format: String,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify the log (checkpoint, tiles, consistency), a proof file or an evidence bundle.
    Verify(verify::VerifyArgs),
    /// Replay the whole log: every hash, signature, fold step and checkpoint.
    Audit {
        #[arg(long)]
        data: PathBuf,
        /// Audit the log in this store rather than the one the directory names.
        #[arg(long, value_parser = data::Store::parse)]
        store: Option<data::Store>,
        /// Checkpoints gathered elsewhere (one note per file, or an
        /// add-checkpoint request): each must agree with the log and with the others.
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
    },
    /// A witness (C2SP tlog-witness): init, add-log, list-logs, serve, forks.
    Witness {
        #[command(subcommand)]
        command: witness::WitnessCommand,
    },
    /// Benchmarks that print numbers.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum PartyCommand {
    /// Register a party, signed with the operator key in DIR/keys.
    Add {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// coordination, agency, authority, armed_force, monitor or observer.
        #[arg(long)]
        kind: String,
        /// The party's verifier key (repeat for several).
        #[arg(long = "vkey", required = true)]
        vkeys: Vec<String>,
        /// Submit through this running server instead of appending directly.
        #[arg(long)]
        server: Option<String>,
    },
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // A log line that cannot be written (stderr closed by whoever
        // started the server) is lost, never a panic: tracing's own report
        // of the failure goes to stderr with eprintln!, which panics there,
        // and took down the thread that logged (the snapshot thread).
        .log_internal_errors(false)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    let result = runtime.map_err(anyhow::Error::from).and_then(|rt| rt.block_on(run(cli)));
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init { data, store, origin, operator, operator_name } => {
            serve::init(&data, store, &origin, &operator, &operator_name).await
        }
        Command::Serve { data, store, listen, http, witnesses, cluster, snapshots } => {
            let policy = witnesses.policy()?.map(|p| (p, witnesses.cosigner()));
            serve::serve(&data, store, &listen, &http.limits(), policy, &cluster, &snapshots).await
        }
        Command::Snapshot { data, store, keep } => serve::snapshot_now(&data, store, keep as usize),
        Command::Demo { data, listen, http, no_witnesses } => {
            demo::demo(&data, &listen, &http.limits(), !no_witnesses).await
        }
        Command::Keygen { party, out } => keys::keygen(&party, &out),
        Command::Party { command: PartyCommand::Add { data, id, name, kind, vkeys, server } } => {
            keys::party_add(&data, &id, &name, &kind, &vkeys, server.as_deref()).await
        }
        Command::Sign { key, kind, body, draft, countersign, id } => match (countersign, draft, kind, body) {
            (Some(envelope), ..) => keys::countersign_cmd(&key, &envelope),
            (None, Some(d), _, _) => {
                let (kind, body) = intake::reviewed_draft(&d)?;
                keys::sign_cmd(&key, &kind, &serde_json::to_string(&body)?, id.as_deref())
            }
            (None, None, Some(kind), Some(body)) => keys::sign_cmd(&key, &kind, &body, id.as_deref()),
            _ => anyhow::bail!("sign needs --type and --body, --draft FILE#N, or --countersign FILE"),
        },
        Command::Intake(args) => intake::run(&args),
        Command::Submit { server, files } => client::submit_files(&server, &files).await,
        Command::Verify(args) => verify::run(args).await,
        Command::Evidence { incident, server, out } => evidence::write_bundle(&server, &incident, &out).await,
        Command::Export { kind, format, server, out } => {
            client::export(&server, &kind, &format, out.as_deref()).await
        }
        Command::Audit { data, store, checkpoints } => audit::run(&data, store, &checkpoints).map(|_| ()),
        Command::Bench { command } => bench::run(command).await,
        Command::Witness { command } => witness::run(command).await,
    }
}
