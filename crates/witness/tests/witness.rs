//! The witness end to end, in process: every answer of the spec, and two
//! branches of a forked log racing each other.

use std::sync::Arc;

use corridor_note::cosignature::CosignerSigner;
use corridor_note::SignerKey;
use corridor_service::Clock;
use corridor_tlog::witness::AddCheckpoint;
use corridor_tlog::{leaf_hash, Checkpoint, SignedCheckpoint, Tree};
use corridor_witness::{Answer, Witness, WitnessLimits, WitnessStore};

struct Fixed;
impl Clock for Fixed {
    fn now_us(&self) -> i64 {
        1_700_000_000_000_000
    }
}

fn log_key() -> SignerKey {
    SignerKey::from_seed("log.example/one", [7; 32]).expect("name")
}

fn tree(n: u64, salt: u8) -> Tree {
    let mut t = Tree::new();
    for i in 0..n {
        t.push(leaf_hash(&[salt, i as u8]));
    }
    t
}

fn request(t: &Tree, old: u64, size: u64, key: &SignerKey) -> Vec<u8> {
    let cp = Checkpoint { origin: key.name().to_owned(), size, root: t.root(size).expect("root") };
    let note = SignedCheckpoint::sign(cp, key).expect("signs").note;
    let proof = if old == 0 { vec![] } else { t.consistency_proof(old, size).expect("proof") };
    AddCheckpoint { old_size: old, proof, checkpoint_note: note }.to_body().into_bytes()
}

fn witness(dir: &std::path::Path) -> Witness {
    let store = Arc::new(WitnessStore::open(&dir.join("witness.db")).expect("opens"));
    store.add_log(&log_key().verifier()).expect("adds");
    let key = CosignerSigner::from_seed("witness.example/w", [3; 32]).expect("name");
    Witness::new(store, key, Arc::new(Fixed), WitnessLimits::default())
}

fn status(a: &Answer) -> u16 {
    match a {
        Answer::Cosigned(_) => 200,
        Answer::Refused(r) => r.status(),
        Answer::Problem(s, _, _) => s.as_u16(),
    }
}

#[test]
fn each_answer_of_the_spec() {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = witness(dir.path());
    let t = tree(20, 0);
    let key = log_key();
    assert_eq!(status(&w.add_checkpoint(&request(&t, 0, 5, &key))), 200);
    assert_eq!(status(&w.add_checkpoint(&request(&t, 5, 9, &key))), 200);
    assert_eq!(status(&w.add_checkpoint(&request(&t, 5, 12, &key))), 409, "stale old size");
    assert_eq!(status(&w.add_checkpoint(&request(&t, 9, 9, &key))), 200, "the same tree again");
    assert_eq!(status(&w.add_checkpoint(b"old 9\n")), 400);
    let stranger = SignerKey::from_seed("log.example/other", [8; 32]).expect("name");
    assert_eq!(status(&w.add_checkpoint(&request(&t, 9, 12, &stranger))), 404);
    let impostor = SignerKey::from_seed("log.example/one", [9; 32]).expect("name");
    assert_eq!(status(&w.add_checkpoint(&request(&t, 9, 12, &impostor))), 403);
    let fork = tree(20, 1);
    let mut body = request(&fork, 9, 12, &key);
    let forked = w.add_checkpoint(&body);
    assert_eq!(status(&forked), 422);
    body.clear();
    let kinds = |w: &Witness| w.store().forks().expect("forks").iter().map(|f| f.proven).collect::<Vec<_>>();
    assert_eq!(kinds(&w), vec![false], "a failed proof is kept, unproven");
    assert_eq!(status(&w.add_checkpoint(&request(&fork, 9, 9, &key))), 409);
    assert_eq!(kinds(&w), vec![false, true], "a second root for size 9 proves the fork");
    assert_eq!(status(&w.add_checkpoint(&request(&fork, 9, 9, &key))), 409);
    assert_eq!(kinds(&w).len(), 2, "the same request is kept once");
    assert_eq!(status(&w.add_checkpoint(&request(&t, 9, 9, &key))), 200);
    assert_eq!(kinds(&w).len(), 2, "a stale or repeated honest request is no evidence");
    assert_eq!(status(&w.add_checkpoint(&request(&t, 9, 12, &key))), 200, "the honest branch goes on");
}

/// Many threads present both branches at once; whatever the interleaving,
/// the witness cosigns at most one root per size, and everything it cosigned
/// lies on one branch.
#[test]
fn racing_branches_never_get_two_roots_for_one_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let w = Arc::new(witness(dir.path()));
    let branches = [tree(64, 0), tree(64, 1)];
    let key = log_key();
    assert_eq!(status(&w.add_checkpoint(&request(&branches[0], 0, 1, &key))), 200);
    let cosigned = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for thread in 0..8u64 {
            let (w, branches, key, cosigned) = (&w, &branches, &key, &cosigned);
            s.spawn(move || {
                for step in 0..40u64 {
                    let b = &branches[((thread + step) % 2) as usize];
                    let latest = w.store().logs().expect("logs")[0].latest.map_or(0, |l| l.0);
                    let size = (latest + 1 + (thread + step) % 3).min(64);
                    let answer = w.add_checkpoint(&request(b, latest, size, key));
                    if let Answer::Cosigned(_) = answer {
                        cosigned.lock().expect("lock").push((size, b.root(size).expect("root")));
                    }
                }
            });
        }
    });
    let cosigned = cosigned.into_inner().expect("lock");
    assert!(cosigned.len() > 1, "some requests won");
    let mut by_size = std::collections::BTreeMap::new();
    for (size, root) in &cosigned {
        assert_eq!(*by_size.entry(*size).or_insert(*root), *root, "two roots cosigned for size {size}");
    }
    let branch = branches.iter().find(|b| cosigned.iter().all(|(s, r)| b.root(*s).expect("root") == *r));
    assert!(branch.is_some(), "everything cosigned lies on one branch");
}

/// The HTTP surface: each status and the 409's body and media type, as the
/// spec gives them, through the router.
#[tokio::test]
async fn the_http_answers_follow_the_spec() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let w = Arc::new(witness(dir.path()));
    let router = corridor_witness::router(w);
    let t = tree(10, 0);
    let key = log_key();
    let post = |body: Vec<u8>| Request::post("/add-checkpoint").body(Body::from(body)).expect("request");
    let answer = |req: Request<Body>| async {
        let resp = router.clone().oneshot(req).await.expect("answers");
        let status = resp.status().as_u16();
        let ctype = resp.headers().get("content-type").map(|v| v.to_str().expect("ascii").to_owned());
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.expect("body");
        (status, ctype.unwrap_or_default(), String::from_utf8_lossy(&body).into_owned())
    };
    let (status, _, line) = answer(post(request(&t, 0, 4, &key))).await;
    assert_eq!(status, 200);
    assert!(line.starts_with("\u{2014} witness.example/w ") && line.ends_with('\n'), "{line:?}");
    let (status, ctype, body) = answer(post(request(&t, 0, 6, &key))).await;
    assert_eq!((status, ctype.as_str(), body.as_str()), (409, "text/x.tlog.size", "4\n"));
    let (status, ctype, _) = answer(post(b"old x\n\n".to_vec())).await;
    assert_eq!((status, ctype.as_str()), (400, "application/problem+json"));
    let (status, _, _) = answer(post(vec![b'a'; 40 * 1024])).await;
    assert_eq!(status, 413);
    let get = Request::get("/add-checkpoint").body(Body::empty()).expect("request");
    assert_eq!(answer(get).await.0, 405);
}
