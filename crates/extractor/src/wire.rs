//! The worker protocol on a pipe: a request is one JSON line ([`Request`]) followed by
//! exactly `len` bytes of file; an answer is one JSON line ([`Answer`]).

use content::{ExtractError, ExtractLimits, Extracted};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Request {
    pub file_name: String,
    pub limits: ExtractLimits,
    pub len: usize,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) enum Answer {
    Ok(Extracted),
    Err(ExtractError),
}

impl From<Result<Extracted, ExtractError>> for Answer {
    fn from(r: Result<Extracted, ExtractError>) -> Self {
        match r {
            Ok(x) => Answer::Ok(x),
            Err(e) => Answer::Err(e),
        }
    }
}

impl From<Answer> for Result<Extracted, ExtractError> {
    fn from(a: Answer) -> Self {
        match a {
            Answer::Ok(x) => Ok(x),
            Answer::Err(e) => Err(e),
        }
    }
}
