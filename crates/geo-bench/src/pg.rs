//! The PostGIS side: a private schema holding one `geography` table with a
//! GiST index on `(geog, valid)`, the deconfliction query as a prepared
//! statement, and its server-side execution time from `EXPLAIN ANALYZE`.

use std::io::Write;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use corridor_geo::{Geometry, Window};
use postgres::types::Type;
use postgres::{Client, NoTls, Statement};

use crate::data::{range_text, Item};

/// Default connection to the local PostGIS (see `scripts/ci-postgis.sh`).
pub const DEFAULT_CONNINFO: &str = "host=127.0.0.1 port=5432 user=postgres dbname=test";

/// The deconfliction query; parameters arrive as text so that geometry and
/// range travel exactly as written.
const QUERY: &str = "SELECT id FROM {schema}.objects \
     WHERE ST_DWithin(geog, $1::text::geography, $2) AND valid && $3::text::tstzrange";

/// A loaded PostGIS table in its own schema, dropped by [`PostGis::drop`].
pub struct PostGis {
    client: Client,
    schema: String,
    within: Statement,
}

impl std::fmt::Debug for PostGis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostGis").field("schema", &self.schema).finish_non_exhaustive()
    }
}

impl PostGis {
    /// Connects, creates schema `schema` (replacing a leftover one) and loads
    /// `items` with the GiST index built.
    pub fn load(conninfo: &str, schema: &str, items: &[Item]) -> Result<Self> {
        let mut client = Client::connect(conninfo, NoTls)
            .with_context(|| format!("connecting to PostGIS at {conninfo:?}"))?;
        let version: String = client
            .query_one("SELECT postgis_lib_version()", &[])
            .context("PostGIS extension missing: run scripts/ci-postgis.sh")?
            .get(0);
        if version.is_empty() {
            return Err(anyhow!("PostGIS reported no version"));
        }
        client.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema};
             CREATE TABLE {schema}.objects (id integer NOT NULL, geog geography NOT NULL, valid tstzrange NOT NULL);"
        ))?;
        copy_items(&mut client, schema, items)?;
        client.batch_execute(&format!(
            "CREATE INDEX ON {schema}.objects USING gist (geog, valid); ANALYZE {schema}.objects;
             PREPARE corridor_within (text, float8, text) AS {};",
            QUERY.replace("{schema}", schema).replace("$1::text", "$1").replace("$3::text", "$3")
        ))?;
        let within = client
            .prepare_typed(&QUERY.replace("{schema}", schema), &[Type::TEXT, Type::FLOAT8, Type::TEXT])?;
        Ok(Self { client, schema: schema.to_owned(), within })
    }

    /// Ids within `distance_m` of `g` whose window overlaps `w`, sorted.
    pub fn within(&mut self, g: &Geometry, distance_m: f64, w: &Window) -> Result<Vec<u32>> {
        let rows = self.client.query(&self.within, &[&g.to_wkt(), &distance_m, &range_text(w)])?;
        let mut ids: Vec<u32> = rows.iter().map(|r| r.get::<_, i32>(0) as u32).collect();
        ids.sort_unstable();
        Ok(ids)
    }

    /// Server-side execution time of the same query (planning excluded).
    pub fn execution_time(&mut self, g: &Geometry, distance_m: f64, w: &Window) -> Result<Duration> {
        let sql = format!(
            "EXPLAIN (ANALYZE, TIMING OFF) EXECUTE corridor_within('{}', {distance_m:?}, '{}')",
            g.to_wkt(),
            range_text(w)
        );
        for row in self.client.query(&sql, &[])? {
            let line: String = row.get(0);
            if let Some(ms) = line.strip_prefix("Execution Time: ").and_then(|s| s.strip_suffix(" ms")) {
                let ms: f64 = ms.parse().context("parsing EXPLAIN execution time")?;
                return Ok(Duration::from_secs_f64(ms / 1000.0));
            }
        }
        Err(anyhow!("EXPLAIN ANALYZE printed no execution time"))
    }

    /// PostGIS `ST_Distance` between stored object `id` and `g`.
    pub fn distance_to(&mut self, id: u32, g: &Geometry) -> Result<f64> {
        let sql = format!(
            "SELECT ST_Distance(geog, $1::text::geography) FROM {}.objects WHERE id = $2",
            self.schema
        );
        Ok(self.client.query_one(&sql, &[&g.to_wkt(), &(id as i32)])?.get(0))
    }

    /// PostGIS `ST_Distance` between two geometries.
    pub fn distance(&mut self, a: &Geometry, b: &Geometry) -> Result<f64> {
        let sql = "SELECT ST_Distance($1::text::geography, $2::text::geography)";
        Ok(self.client.query_one(sql, &[&a.to_wkt(), &b.to_wkt()])?.get(0))
    }

    /// Size of the table and its index on disk, in bytes.
    pub fn relation_bytes(&mut self) -> Result<i64> {
        let sql = format!("SELECT pg_total_relation_size('{}.objects')", self.schema);
        Ok(self.client.query_one(&sql, &[])?.get(0))
    }

    /// Drops the schema and everything in it.
    pub fn drop(mut self) -> Result<()> {
        self.client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema))?;
        Ok(())
    }
}

fn copy_items(client: &mut Client, schema: &str, items: &[Item]) -> Result<()> {
    let mut writer = client.copy_in(&format!("COPY {schema}.objects (id, geog, valid) FROM STDIN"))?;
    let mut buf = Vec::with_capacity(1 << 20);
    for item in items {
        writeln!(buf, "{}\tSRID=4326;{}\t{}", item.id, item.geometry.to_wkt(), range_text(&item.window))?;
        if buf.len() > 1 << 20 {
            writer.write_all(&buf)?;
            buf.clear();
        }
    }
    writer.write_all(&buf)?;
    writer.finish()?;
    Ok(())
}
