//! Lenient serde helpers for Jira's JSON: ids that come as strings or numbers,
//! `null` where a list or text is expected, empty text meaning absent. They know no
//! model type (user references without an account are read in `model::user`).

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum IdRepr {
    Str(String),
    Int(i64),
    UInt(u64),
    Float(f64),
}

impl IdRepr {
    fn into_string<E: serde::de::Error>(self) -> Result<String, E> {
        match self {
            IdRepr::Str(s) => Ok(s),
            IdRepr::Int(i) => Ok(i.to_string()),
            IdRepr::UInt(u) => Ok(u.to_string()),
            IdRepr::Float(f) if f.fract() == 0.0 && f.is_finite() && f.abs() < 9.0e15 => {
                Ok(format!("{}", f as i64))
            }
            IdRepr::Float(f) => Err(E::custom(format!("id {f} is not an integer"))),
        }
    }
}

/// An id given as `"10000"` or `10000`, read as a string.
pub(crate) fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    IdRepr::deserialize(d)?.into_string()
}

/// A list of ids, each `"10000"` or `10000` (`null` → empty).
pub(crate) fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Option::<Vec<IdRepr>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .map(IdRepr::into_string)
        .collect()
}

/// An optional id (`null` or missing → `None`, `""` → `None`).
pub(crate) fn opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<IdRepr>::deserialize(d)? {
        None => Ok(None),
        Some(r) => {
            let s = r.into_string()?;
            Ok(if s.is_empty() { None } else { Some(s) })
        }
    }
}

/// `null` → the type's default (empty string, empty list, false, 0).
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Optional text where `""` means absent (hidden e-mail addresses).
pub(crate) fn opt_nonempty<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.filter(|s| !s.trim().is_empty()))
}
