//! Parties and their keys, with the log positions at which each key came and went.

use corridor_note::VerifierKey;
use corridor_statement::body::{PartyKind, PartyRegister};
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartyKey {
    #[serde(serialize_with = "vkey_text")]
    pub vkey: VerifierKey,
    pub added_at_index: u64,
    pub added_at_us: i64,
    pub revoked_at_index: Option<u64>,
    pub revoked_at_us: Option<i64>,
}

fn vkey_text<S: Serializer>(k: &VerifierKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&k.to_vkey())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    Live,
    Revoked,
}

impl PartyKey {
    pub fn status(&self) -> KeyStatus {
        if self.revoked_at_index.is_some() {
            KeyStatus::Revoked
        } else {
            KeyStatus::Live
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    pub id: String,
    pub name: String,
    pub kind: PartyKind,
    pub registered_at_index: u64,
    pub registered_at_us: i64,
    pub keys: Vec<PartyKey>,
}

impl Party {
    pub(crate) fn register(reg: &PartyRegister, index: u64, at_us: i64) -> Self {
        let keys = reg
            .keys
            .iter()
            .filter_map(|k| VerifierKey::parse(k).ok())
            .map(|vkey| PartyKey {
                vkey,
                added_at_index: index,
                added_at_us: at_us,
                revoked_at_index: None,
                revoked_at_us: None,
            })
            .collect();
        Self {
            id: reg.id.clone(),
            name: reg.name.clone(),
            kind: reg.kind,
            registered_at_index: index,
            registered_at_us: at_us,
            keys,
        }
    }

    pub fn key(&self, key_id: u32) -> Option<&PartyKey> {
        self.keys.iter().find(|k| k.vkey.key_id() == key_id)
    }

    pub(crate) fn add_key(&mut self, vkey: VerifierKey, index: u64, at_us: i64) {
        self.keys.push(PartyKey {
            vkey,
            added_at_index: index,
            added_at_us: at_us,
            revoked_at_index: None,
            revoked_at_us: None,
        });
    }

    pub(crate) fn revoke_key(&mut self, vkey: &VerifierKey, index: u64, at_us: i64) {
        if let Some(k) = self.keys.iter_mut().find(|k| k.vkey == *vkey) {
            k.revoked_at_index = Some(index);
            k.revoked_at_us = Some(at_us);
        }
    }
}
