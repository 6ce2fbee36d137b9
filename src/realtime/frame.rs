//! The WebSocket wire format (RFC 6455), as much as a push-only server needs: encoding the
//! frames we send (text, pong, close; never masked) and decoding what a client may send
//! (masked frames; we act on close and ping and ignore the rest). Written here rather than
//! taken from rouille because rouille's `Websocket` does blocking I/O on one socket at a
//! time, and the writer threads must drive thousands of sockets without blocking.

/// Opcodes of RFC 6455 §5.2.
pub const TEXT: u8 = 0x1;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;

/// Largest client frame payload accepted. Clients have nothing to send but control frames,
/// so anything bigger is a misbehaving peer.
pub const MAX_CLIENT_PAYLOAD: u64 = 64 * 1024;

/// Appends one unmasked, final frame to `out`.
pub fn encode(out: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    out.push(0x80 | (opcode & 0x0f));
    let n = payload.len();
    if n < 126 {
        out.push(n as u8);
    } else if n <= u16::MAX as usize {
        out.push(126);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(n as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
}

/// Appends a close frame with `code` and a short reason.
pub fn encode_close(out: &mut Vec<u8>, code: u16, reason: &str) {
    let mut payload = code.to_be_bytes().to_vec();
    // control frame payloads are at most 125 bytes
    payload.extend(reason.bytes().take(123));
    encode(out, CLOSE, &payload);
}

/// One complete frame from a client.
#[derive(Debug, PartialEq, Eq)]
pub struct Frame {
    pub opcode: u8,
    pub payload: Vec<u8>,
}

/// What decoding the start of a buffer gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A frame, and how many bytes of the buffer it used.
    Frame(Frame, usize),
    /// More bytes are needed.
    Incomplete,
    /// The peer broke the protocol; close with this code.
    Invalid(u16),
}

/// Decodes the first frame of `buf` (a client frame: it must be masked).
pub fn decode(buf: &[u8]) -> Decoded {
    if buf.len() < 2 {
        return Decoded::Incomplete;
    }
    let opcode = buf[0] & 0x0f;
    if buf[0] & 0x70 != 0 {
        return Decoded::Invalid(1002); // no extension was negotiated
    }
    if buf[1] & 0x80 == 0 {
        return Decoded::Invalid(1002); // client frames must be masked
    }
    let (len, mut at) = match buf[1] & 0x7f {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Decoded::Incomplete,
        },
        127 => match buf.get(2..10) {
            Some(b) => {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                (u64::from_be_bytes(a), 10)
            }
            None => return Decoded::Incomplete,
        },
        n => (u64::from(n), 2),
    };
    if len > MAX_CLIENT_PAYLOAD {
        return Decoded::Invalid(1009);
    }
    if opcode >= 0x8 && len > 125 {
        return Decoded::Invalid(1002);
    }
    let Some(mask) = buf.get(at..at + 4) else { return Decoded::Incomplete };
    let mask = [mask[0], mask[1], mask[2], mask[3]];
    at += 4;
    let end = at + len as usize;
    let Some(data) = buf.get(at..end) else { return Decoded::Incomplete };
    let payload = data.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]).collect();
    Decoded::Frame(Frame { opcode, payload }, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [1u8, 2, 3, 4];
        let mut v = vec![0x80 | opcode];
        if payload.len() < 126 {
            v.push(0x80 | payload.len() as u8);
        } else {
            v.push(0x80 | 126);
            v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        }
        v.extend_from_slice(&mask);
        v.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        v
    }

    #[test]
    fn encodes_the_three_length_forms() {
        let mut out = Vec::new();
        encode(&mut out, TEXT, b"hi");
        assert_eq!(out, [0x81, 2, b'h', b'i']);
        out.clear();
        encode(&mut out, TEXT, &[b'a'; 300]);
        assert_eq!(&out[..4], &[0x81, 126, 1, 44]);
        assert_eq!(out.len(), 304);
        out.clear();
        encode(&mut out, TEXT, &vec![b'a'; 70_000]);
        assert_eq!(&out[..2], &[0x81, 127]);
        assert_eq!(out.len(), 70_010);
    }

    #[test]
    fn decodes_masked_frames_and_reports_what_is_missing() {
        let f = masked(PING, b"abc");
        assert_eq!(decode(&f), Decoded::Frame(Frame { opcode: PING, payload: b"abc".to_vec() }, f.len()));
        assert_eq!(decode(&f[..f.len() - 1]), Decoded::Incomplete);
        assert_eq!(decode(&f[..1]), Decoded::Incomplete);
        let long = masked(TEXT, &[7u8; 200]);
        assert!(matches!(decode(&long), Decoded::Frame(Frame { opcode: TEXT, .. }, n) if n == long.len()));
    }

    #[test]
    fn refuses_unmasked_oversized_and_long_control_frames() {
        assert_eq!(decode(&[0x81, 0x02, b'h', b'i']), Decoded::Invalid(1002));
        assert_eq!(decode(&[0x82, 0xff, 0, 0, 0, 0, 0, 0x10, 0, 0]), Decoded::Invalid(1009));
        assert_eq!(decode(&masked(PING, &[0u8; 126])), Decoded::Invalid(1002));
    }
}
