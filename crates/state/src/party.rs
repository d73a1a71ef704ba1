//! Parties and their keys, with the log positions at which each key came and went.

use corridor_note::VerifierKey;
use corridor_statement::body::{PartyKind, PartyRegister};

use crate::Stamp;

#[derive(Debug, Clone, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct PartyKey {
    pub vkey: VerifierKey,
    pub added_at_index: u64,
    pub added_at_us: i64,
    pub revoked_at_index: Option<u64>,
    pub revoked_at_us: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub enum KeyStatus {
    Live,
    Revoked,
}

impl PartyKey {
    fn added(vkey: VerifierKey, at: Stamp) -> Self {
        Self {
            vkey,
            added_at_index: at.index,
            added_at_us: at.at_us,
            revoked_at_index: None,
            revoked_at_us: None,
        }
    }

    pub fn status(&self) -> KeyStatus {
        if self.revoked_at_index.is_some() {
            KeyStatus::Revoked
        } else {
            KeyStatus::Live
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Party {
    pub id: String,
    pub name: String,
    pub kind: PartyKind,
    pub registered_at_index: u64,
    pub registered_at_us: i64,
    pub keys: Vec<PartyKey>,
}

impl Party {
    pub(crate) fn register(reg: PartyRegister, at: Stamp) -> Self {
        Self {
            id: reg.id,
            name: reg.name,
            kind: reg.kind,
            registered_at_index: at.index,
            registered_at_us: at.at_us,
            keys: reg.keys.into_iter().map(|vkey| PartyKey::added(vkey, at)).collect(),
        }
    }

    pub fn key(&self, key_id: u32) -> Option<&PartyKey> {
        self.keys.iter().find(|k| k.vkey.key_id() == key_id)
    }

    pub(crate) fn add_key(&mut self, vkey: VerifierKey, at: Stamp) {
        self.keys.push(PartyKey::added(vkey, at));
    }

    pub(crate) fn revoke_key(&mut self, vkey: &VerifierKey, at: Stamp) {
        if let Some(k) = self.keys.iter_mut().find(|k| k.vkey == *vkey) {
            k.revoked_at_index = Some(at.index);
            k.revoked_at_us = Some(at.at_us);
        }
    }
}
