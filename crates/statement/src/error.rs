//! Why a submission was refused before it reached the fold. Each variant has a
//! stable `code` that the HTTP API and the CLI report verbatim.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("{0} is not valid base64")]
    BadBase64(&'static str),
    #[error("envelope is invalid: {0}")]
    InvalidEnvelope(String),
    #[error("entry would be {0} bytes; the limit is 65,535")]
    TooLarge(usize),
    #[error("unknown statement type {0:?}")]
    UnknownType(String),
    #[error("statement is invalid: {0}")]
    InvalidStatement(String),
    #[error("body is invalid: {0}")]
    InvalidBody(String),
    #[error("geometry is invalid: {detail}")]
    InvalidGeometry { code: &'static str, detail: String },
    #[error("no key {0} is known")]
    UnknownKey(String),
    #[error("signature by {0} does not verify")]
    BadSignature(String),
    /// A JSON object names a member twice: readers disagree on which counts.
    #[error("member {0:?} appears twice in one object")]
    DuplicateMember(String),
    /// A value spelled other than its one canonical way (`noncanonical_time`,
    /// `noncanonical_key_id`, `noncanonical_number`, `noncanonical_key`).
    #[error("{detail}")]
    NonCanonical { code: &'static str, detail: String },
    /// A value that is well-formed but makes no sense in the domain
    /// (`weak_key`, `nonpositive_quantity`, `repeated_item`, `own_movement`,
    /// `inconsistent_counts`).
    #[error("{detail}")]
    Senseless { code: &'static str, detail: String },
}

impl StatementError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "malformed_json",
            Self::BadBase64(_) => "bad_base64",
            Self::InvalidEnvelope(_) => "invalid_envelope",
            Self::TooLarge(_) => "too_large",
            Self::UnknownType(_) => "unknown_type",
            Self::InvalidStatement(_) => "invalid_statement",
            Self::InvalidBody(_) => "invalid_body",
            Self::InvalidGeometry { code, .. } => code,
            Self::UnknownKey(_) => "unknown_key",
            Self::BadSignature(_) => "bad_signature",
            Self::DuplicateMember(_) => "duplicate_member",
            Self::NonCanonical { code, .. } | Self::Senseless { code, .. } => code,
        }
    }
}
