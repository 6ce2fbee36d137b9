//! `api_tokens`: opaque tokens of the tenant family. Only the SHA-256 of a token is stored.
