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
        }
    }
}
