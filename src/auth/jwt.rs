//! HS256 JWTs minted by the host application (SPEC §3), checked with the `jsonwebtoken`
//! crate: the host signs `{sub, role, tenants, exp}` with `OBROL_JWT_SECRET` and obrol
//! trusts those claims until `exp`. Only HS256 is accepted, so a token cannot pick a weaker
//! algorithm (or `none`) for itself.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Deserialize;

/// Clock skew tolerated between the host application and obrol when checking `exp`/`nbf`.
const LEEWAY_SECS: u64 = 30;

/// The claims obrol uses, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    /// `sub`: the host's user number (sent as a number or a numeric string).
    pub user: i64,
    pub role: String,
    /// `tenants`: the tenants this user may act for (absent = none).
    pub tenants: Vec<i64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Sub {
    Number(i64),
    Text(String),
}

#[derive(Deserialize)]
struct Raw {
    sub: Sub,
    role: String,
    #[serde(default)]
    tenants: Vec<i64>,
}

/// Whether a bearer token has the shape of a JWT (three dot-separated parts); opaque
/// tokens have no dots.
pub fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3
}

/// The claims of a valid token signed with `secret`; `None` when the signature, algorithm,
/// expiry or claims are wrong. Why it failed is not reported: the caller answers 401 alike.
pub fn verify(secret: &str, token: &str) -> Option<Claims> {
    let mut v = Validation::new(Algorithm::HS256);
    v.leeway = LEEWAY_SECS;
    v.validate_exp = true;
    v.validate_nbf = true;
    // obrol has no audience of its own to check; a host's `aud` claim is not an error
    v.validate_aud = false;
    // `sub` may be a number, which the crate's own `sub` check rejects; `Raw` requires it
    v.set_required_spec_claims(&["exp"]);
    let data = jsonwebtoken::decode::<Raw>(token, &DecodingKey::from_secret(secret.as_bytes()), &v).ok()?;
    let user = match data.claims.sub {
        Sub::Number(n) => n,
        Sub::Text(s) => s.trim().parse().ok()?,
    };
    Some(Claims { user, role: data.claims.role, tenants: data.claims.tenants })
}

/// Signs `claims` (any JSON object) with HS256, as a host application does. Used by the
/// tests and documented in `docs/tenant-api.md`.
pub fn mint(secret: &str, claims: &serde_json::Value) -> Option<String> {
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(secret.as_bytes())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exp_in(secs: i64) -> i64 {
        chrono::Utc::now().timestamp() + secs
    }

    #[test]
    fn accepts_string_or_number_sub() {
        for sub in [json!(42), json!("42")] {
            let t = mint("k", &json!({"sub": sub, "role": "umkm_admin", "tenants": [7], "exp": exp_in(60)}))
                .expect("mint");
            assert!(looks_like_jwt(&t));
            let c = verify("k", &t).expect("valid");
            assert_eq!((c.user, c.role.as_str(), c.tenants), (42, "umkm_admin", vec![7]));
        }
    }

    #[test]
    fn rejects_bad_signature_expiry_and_claims() {
        let good = json!({"sub": 1, "role": "support_agent", "exp": exp_in(60)});
        let t = mint("k", &good).expect("mint");
        assert!(verify("other", &t).is_none());
        assert!(verify("k", &t).is_some_and(|c| c.tenants.is_empty()));
        let expired = mint("k", &json!({"sub": 1, "role": "x", "exp": exp_in(-3600)})).expect("mint");
        assert!(verify("k", &expired).is_none());
        let no_exp = mint("k", &json!({"sub": 1, "role": "x"})).expect("mint");
        assert!(verify("k", &no_exp).is_none());
        let bad_sub = mint("k", &json!({"sub": "alice", "role": "x", "exp": exp_in(60)})).expect("mint");
        assert!(verify("k", &bad_sub).is_none());
        let bad_tenants = mint("k", &json!({"sub": 1, "role": "x", "tenants": ["a"], "exp": exp_in(60)})).expect("mint");
        assert!(verify("k", &bad_tenants).is_none());
        assert!(verify("k", "a.b.c").is_none());
    }

    #[test]
    fn rejects_other_algorithms() {
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &json!({"sub": 1, "role": "x", "exp": exp_in(60)}),
            &EncodingKey::from_secret(b"k"),
        )
        .expect("mint");
        assert!(verify("k", &hs512).is_none());
        // alg "none", unsigned
        let none = format!(
            "{}.{}.",
            base64url(br#"{"alg":"none","typ":"JWT"}"#),
            base64url(format!(r#"{{"sub":1,"role":"x","exp":{}}}"#, exp_in(60)).as_bytes())
        );
        assert!(verify("k", &none).is_none());
    }

    fn base64url(b: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in b.chunks(3) {
            let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &x)| acc | (u32::from(x) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }
}
