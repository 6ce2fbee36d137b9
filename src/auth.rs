//! Secrets: password hashes (argon2), bearer tokens (random, stored as SHA-256),
//! and the OSS identity check (HMAC-SHA256 `user_hash`). No home-made crypto.
//! HS256 JWTs of the tenant family live in `auth/jwt.rs`.

pub mod jwt;

use crate::error::{Error, Result};
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::{Condvar, Mutex};

/// Argon2 takes ~19 MiB and tens of milliseconds per hash: at most this many run at once,
/// so a burst of logins cannot exhaust memory.
const MAX_CONCURRENT_HASHES: usize = 4;

static HASH_SLOTS: Mutex<usize> = Mutex::new(0);
static HASH_FREED: Condvar = Condvar::new();

fn with_hash_slot<T>(f: impl FnOnce() -> T) -> T {
    {
        let mut busy = HASH_SLOTS.lock().unwrap_or_else(|p| p.into_inner());
        while *busy >= MAX_CONCURRENT_HASHES {
            busy = HASH_FREED.wait(busy).unwrap_or_else(|p| p.into_inner());
        }
        *busy += 1;
    }
    let out = f();
    *HASH_SLOTS.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
    HASH_FREED.notify_one();
    out
}

pub const MIN_PASSWORD_CHARS: usize = 8;

pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::field("password", format!("must be at least {MIN_PASSWORD_CHARS} characters")));
    }
    let salt = SaltString::generate(&mut OsRng);
    with_hash_slot(|| Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()))
        .map_err(|e| Error::Internal(format!("argon2: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => with_hash_slot(|| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()),
        Err(_) => false,
    }
}

/// A new random bearer token (256 bits, hex) with a recognisable prefix.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{prefix}_{}", hex::encode(bytes))
}

/// What is stored instead of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A short one-time code (first-run setup).
pub fn new_setup_code() -> String {
    let mut bytes = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// `hex(HMAC-SHA256(secret, oss_user_id))`, as the host application computes it.
pub fn identity_hash(secret: &str, oss_user_id: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(), // HMAC takes keys of any length; unreachable
    };
    mac.update(oss_user_id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a `user_hash` in constant time.
pub fn verify_identity(secret: &str, oss_user_id: &str, user_hash: &str) -> bool {
    let Ok(given) = hex::decode(user_hash.trim()) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(oss_user_id.as_bytes());
    mac.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip() {
        let h = hash_password("correct horse").expect("hash");
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse!", &h));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn identity_hmac() {
        let h = identity_hash("s3cret", "USER123");
        assert_eq!(h.len(), 64);
        assert!(verify_identity("s3cret", "USER123", &h));
        assert!(!verify_identity("s3cret", "USER124", &h));
        assert!(!verify_identity("s3cret", "USER123", "zz"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token("obrol"), new_token("obrol"));
        assert_ne!(a, b);
        assert!(a.starts_with("obrol_"));
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}
