//! Text rules shared by validation and search: trimming and length checks
//! that name the field, and the case- and accent-folding used for search.

use unicode_normalization::UnicodeNormalization;

use crate::error::{Error, Result};

/// Lowercases and strips accents, so "Équipe" and "equipe" match.
pub fn fold_for_search(s: &str) -> String {
    s.nfkd().filter(|c| !unicode_normalization::char::is_combining_mark(*c)).flat_map(char::to_lowercase).collect()
}

/// Escapes LIKE wildcards so user input matches literally (escape char `\`).
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Checks a length in characters (not bytes) and names the field on failure.
pub fn check_len(field: &str, value: &str, min: usize, max: usize) -> Result<()> {
    let n = value.chars().count();
    if n < min {
        return Err(if min == 1 {
            Error::validation(field, format!("{field} is required"))
        } else {
            Error::validation(field, format!("{field} must be at least {min} characters"))
        });
    }
    if n > max {
        return Err(Error::validation(field, format!("{field} must be at most {max} characters")));
    }
    Ok(())
}

/// A very small email check: something@something.something, no spaces.
pub fn check_email(value: &str) -> Result<()> {
    let ok = value.len() <= 254
        && !value.contains(char::is_whitespace)
        && value
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'));
    if ok {
        Ok(())
    } else {
        Err(Error::validation("email", "email must look like name@example.com"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_folding_ignores_case_and_accents() {
        assert_eq!(fold_for_search("Équipe Données"), "equipe donnees");
        assert_eq!(fold_for_search("ÅNGSTRÖM"), "angstrom");
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(like_escape("50%_a\\b"), "50\\%\\_a\\\\b");
    }

    #[test]
    fn length_errors_name_the_field_and_count_characters() {
        assert!(check_len("icon", "🚀", 0, 2).is_ok());
        let err = check_len("name", "", 1, 255).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("name"));
        let err = check_len("description", &"é".repeat(256), 0, 255).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("description"));
    }

    #[test]
    fn email_check_accepts_plain_addresses_only() {
        assert!(check_email("ada@example.com").is_ok());
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a da@example.com"] {
            assert_eq!(check_email(bad).unwrap_err().field.as_deref(), Some("email"), "{bad}");
        }
    }
}
