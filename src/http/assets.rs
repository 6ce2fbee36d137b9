//! The browser side (widget, full-page chat, agent console, demo page): files from assets/,
//! embedded at build time, served with their content type, an ETag and gzip when accepted.

use super::{error, Ctx};
use crate::error::Error;
use flate2::{write::GzEncoder, Compression};
use rouille::Response;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::OnceLock;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/assets.rs"));
}

struct Asset {
    bytes: &'static [u8],
    gzipped: Option<Vec<u8>>,
    etag: String,
    content_type: &'static str,
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "wav" => "audio/wav",
        "mp3" => "audio/mpeg",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn compressible(ct: &str) -> bool {
    ct.starts_with("text/") || ct == "application/json" || ct == "image/svg+xml"
}

fn table() -> &'static HashMap<&'static str, Asset> {
    static TABLE: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    TABLE.get_or_init(|| {
        embedded::FILES
            .iter()
            .map(|(path, bytes)| {
                let ct = content_type(path);
                let gzipped = compressible(ct).then(|| {
                    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
                    enc.write_all(bytes).ok();
                    enc.finish().unwrap_or_default()
                });
                let etag = format!("\"{}\"", &hex::encode(Sha256::digest(bytes))[..32]);
                (*path, Asset { bytes, gzipped, etag, content_type: ct })
            })
            .collect()
    })
}

/// The file behind a URL path: `/` → index.html, `/chat` → chat.html, `/agent/` → agent/index.html.
fn file_for(path: &str) -> Option<&str> {
    match path {
        "/" => Some("index.html"),
        "/chat" | "/chat/" => Some("chat.html"),
        "/agent/" => Some("agent/index.html"),
        p => p.strip_prefix('/'),
    }
}

pub fn route(ctx: &Ctx, path: &str) -> Response {
    if path == "/agent" {
        return Response::redirect_302("/agent/");
    }
    let asset = file_for(path).and_then(|f| table().get(f));
    let Some(asset) = asset else { return error::plain(&Error::NotFound("Page")) };
    if !matches!(ctx.method(), "GET" | "HEAD") {
        return error::plain(&Error::MethodNotAllowed);
    }
    let fresh = ctx.req.header("If-None-Match").map(|v| v.split(',').any(|t| t.trim() == asset.etag));
    let base = |r: Response| {
        r.with_additional_header("ETag", asset.etag.clone())
            .with_additional_header("Cache-Control", "no-cache")
            .with_additional_header("Vary", "Accept-Encoding")
    };
    if fresh == Some(true) {
        return base(Response::empty_204().with_status_code(304));
    }
    let gzip_ok = ctx.req.header("Accept-Encoding").is_some_and(|v| v.contains("gzip"));
    match (&asset.gzipped, gzip_ok) {
        (Some(gz), true) => base(Response::from_data(asset.content_type, gz.clone()))
            .with_additional_header("Content-Encoding", "gzip"),
        _ => base(Response::from_data(asset.content_type, asset.bytes)),
    }
}
