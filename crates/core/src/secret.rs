//! API key secrets: generation in the documented format, the offline
//! checksum, HMAC-SHA256 hashing with the deployment's pepper, and a wrapper
//! type that never shows its value in `Debug` or `Display` output.

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Random base62 characters after the prefix.
pub const RANDOM_LEN: usize = 32;
/// Base62 characters of the CRC32 checksum at the end of the key.
pub const CHECKSUM_LEN: usize = 6;
/// The prefix used when a deployment does not configure its own.
pub const DEFAULT_PREFIX: &str = "kd";

/// A value that must never be printed or logged: a full API key, a session
/// token, a password. It is not `Serialize`, so it cannot be written out by
/// accident; `expose()` is the one explicit way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Sensitive<T: Zeroize>(T);

impl<T: Zeroize> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Sensitive(value)
    }
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> Drop for Sensitive<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> std::fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T: Zeroize> std::fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A full API key secret, as given to its owner exactly once.
pub type ApiKeySecret = Sensitive<String>;

fn to_base62_fixed(mut n: u64, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out).expect("base62 is ascii")
}

fn checksum_of(body: &str) -> String {
    to_base62_fixed(u64::from(crc32fast::hash(body.as_bytes())), CHECKSUM_LEN)
}

/// Generates a new secret `<prefix>_<32 random base62><6 base62 CRC32>` from
/// the operating system's CSPRNG. The checksum covers everything before it.
pub fn generate_key(prefix: &str) -> ApiKeySecret {
    // ThreadRng is a CSPRNG (ChaCha) reseeded from the operating system.
    let mut rng = rand::rng();
    let mut body = String::with_capacity(prefix.len() + 1 + RANDOM_LEN + CHECKSUM_LEN);
    body.push_str(prefix);
    body.push('_');
    for _ in 0..RANDOM_LEN {
        let idx = rng.random_range(0..BASE62.len());
        body.push(BASE62[idx] as char);
    }
    let sum = checksum_of(&body);
    body.push_str(&sum);
    Sensitive::new(body)
}

/// Tells, without any database, whether `candidate` is shaped like a key of
/// this format and its checksum matches. Secret scanners use this offline.
pub fn checksum_ok(candidate: &str) -> bool {
    let Some((prefix, rest)) = candidate.rsplit_once('_') else { return false };
    if prefix.is_empty() || rest.len() != RANDOM_LEN + CHECKSUM_LEN {
        return false;
    }
    if !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (body, sum) = candidate.split_at(candidate.len() - CHECKSUM_LEN);
    bool::from(checksum_of(body).as_bytes().ct_eq(sum.as_bytes()))
}

/// The display form of a key: first 4 and last 4 characters.
pub fn hidden_form(secret: &str) -> String {
    let n = secret.len();
    if n <= 8 {
        return "****".to_owned();
    }
    format!("{}...{}", &secret[..4], &secret[n - 4..])
}

/// Hashes secrets with HMAC-SHA256 keyed by the deployment's pepper. The
/// pepper lives outside the database, so a stolen database alone cannot be
/// used to test guesses.
#[derive(Clone)]
pub struct KeyHasher {
    pepper: Sensitive<Vec<u8>>,
}

impl std::fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyHasher").field("pepper", &self.pepper).finish()
    }
}

impl KeyHasher {
    pub fn new(pepper: &[u8]) -> Self {
        KeyHasher { pepper: Sensitive::new(pepper.to_vec()) }
    }

    /// A fresh random pepper, for a new deployment.
    pub fn random_pepper() -> Vec<u8> {
        let mut bytes = vec![0u8; 32];
        rand::rng().fill(&mut bytes[..]);
        bytes
    }

    pub fn hash(&self, secret: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.pepper.expose()).expect("HMAC accepts keys of any length");
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Compares a secret with a stored hash in constant time.
    pub fn matches(&self, secret: &str, stored_hash: &[u8]) -> bool {
        bool::from(self.hash(secret).as_slice().ct_eq(stored_hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_has_documented_shape_and_valid_checksum() {
        let key = generate_key("kd");
        let s = key.expose();
        assert!(s.starts_with("kd_"));
        assert_eq!(s.len(), 3 + RANDOM_LEN + CHECKSUM_LEN);
        assert!(s[3..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(checksum_ok(s));
    }

    #[test]
    fn two_generated_keys_differ() {
        assert_ne!(generate_key("kd").expose(), generate_key("kd").expose());
    }

    #[test]
    fn any_single_character_change_breaks_the_checksum() {
        let key = generate_key("acme").expose().clone();
        for i in 5..key.len() {
            let mut bytes = key.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(bytes).unwrap();
            assert!(!checksum_ok(&altered), "change at {i} went unnoticed");
        }
    }

    #[test]
    fn malformed_candidates_fail_the_checksum() {
        for bad in ["", "kd_", "kd_short", "nounderscore0123456789012345678901234567", "kd_!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"] {
            assert!(!checksum_ok(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn secret_never_shows_in_debug_or_display() {
        let key = generate_key("kd");
        let raw = key.expose().clone();
        assert_eq!(format!("{key:?}"), "<redacted>");
        assert_eq!(format!("{key}"), "<redacted>");
        assert!(!format!("{:?}", Some(&key)).contains(&raw));
        let hasher = KeyHasher::new(b"pepper-value");
        assert!(!format!("{hasher:?}").contains("pepper-value"));
    }

    #[test]
    fn hidden_form_shows_first_and_last_four() {
        assert_eq!(hidden_form("kd_abcdefghijklmnopqrstuvwxyz"), "kd_a...wxyz");
    }

    #[test]
    fn hashing_depends_on_pepper_and_matches_only_the_same_secret() {
        let a = KeyHasher::new(b"one");
        let b = KeyHasher::new(b"two");
        let h = a.hash("kd_secret");
        assert_eq!(h.len(), 32);
        assert_ne!(h, b.hash("kd_secret"));
        assert!(a.matches("kd_secret", &h));
        assert!(!a.matches("kd_secreT", &h));
    }
}
