//! The one conformance suite of `corridor-store`, fault cases included,
//! against PostgreSQL: a fresh schema per run.

mod common;

use corridor_store::conformance::{run_all, Harness};
use corridor_store_postgres::{connect, PgLimits, PgReader, PgWriter};

struct Postgres {
    url: String,
}

impl Harness for Postgres {
    type Writer = PgWriter;
    type Reader = PgReader;
    fn open(&mut self) -> (PgWriter, PgReader) {
        connect(&self.url, PgLimits::default()).expect("connects").open().expect("opens")
    }
}

#[test]
fn conformance() {
    let schema = common::Schema::new("conformance");
    run_all(&mut Postgres { url: schema.url() });
}
