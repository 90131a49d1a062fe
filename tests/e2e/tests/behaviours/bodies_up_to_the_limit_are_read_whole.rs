//! A request body up to the limit (16,384 bytes) is read whole on every
//! build, however the client frames it: announced with `Content-Length`, or
//! chunked in one chunk or in many. A body of exactly the limit once came
//! out "malformed JSON" from the p2 build when chunked.
//!
//! The bodies are a login for a login nobody holds, padded with JSON
//! whitespace to the size wanted: read whole, it is a well-formed login and
//! answers 401; cut anywhere, it is malformed JSON and answers 400.

use e2e::unique_number;
use std::io::{Read, Write};

const LIMIT: usize = 16 * 1024;

/// A login body of exactly `size` bytes.
fn login_body(size: usize) -> Vec<u8> {
    let head = format!(
        r#"{{"login":"nobody-{}","password":"not a password""#,
        unique_number()
    );
    let mut body = head.into_bytes();
    assert!(body.len() < size);
    body.resize(size - 1, b' ');
    body.push(b'}');
    body
}

/// How the body goes on the wire.
enum Framing {
    Length,
    /// Chunks of this many bytes (the last may be shorter).
    Chunked(usize),
}

/// Sends one HTTP/1.1 login request by hand and returns the status line and
/// the answer's body.
fn post_login(body: &[u8], framing: Framing) -> (String, String) {
    let base = e2e::env("AUTH_BASE_URL");
    let address = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut request = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Connection: close\r\n"
    )
    .into_bytes();
    match framing {
        Framing::Length => {
            request.extend(format!("Content-Length: {}\r\n\r\n", body.len()).bytes());
            request.extend_from_slice(body);
        }
        Framing::Chunked(size) => {
            request.extend(b"Transfer-Encoding: chunked\r\n\r\n");
            for chunk in body.chunks(size) {
                request.extend(format!("{:x}\r\n", chunk.len()).bytes());
                request.extend_from_slice(chunk);
                request.extend(b"\r\n");
            }
            request.extend(b"0\r\n\r\n");
        }
    }
    stream.write_all(&request).unwrap();
    stream.flush().unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn assert_read_whole(size: usize, framing: Framing) {
    let how = match framing {
        Framing::Length => "Content-Length".to_string(),
        Framing::Chunked(n) => format!("chunks of {n}"),
    };
    let (status, body) = post_login(&login_body(size), framing);
    assert!(
        status.starts_with("HTTP/1.1 401"),
        "{size} bytes in {how}: {status} {body}"
    );
}

#[test]
fn a_body_of_exactly_the_limit_is_read_whole_when_chunked() {
    assert_read_whole(LIMIT, Framing::Chunked(LIMIT));
    assert_read_whole(LIMIT, Framing::Chunked(4096));
    assert_read_whole(LIMIT, Framing::Chunked(1000));
    assert_read_whole(LIMIT, Framing::Chunked(LIMIT / 2 + 1));
}

#[test]
fn bodies_just_under_the_limit_are_read_whole_however_framed() {
    for size in [LIMIT - 1, LIMIT - 4096, 4097, 100] {
        assert_read_whole(size, Framing::Length);
        assert_read_whole(size, Framing::Chunked(size));
        assert_read_whole(size, Framing::Chunked(777));
    }
}

#[test]
fn a_body_of_exactly_the_limit_is_read_whole_with_its_length() {
    assert_read_whole(LIMIT, Framing::Length);
}

#[test]
fn one_byte_over_the_limit_is_413_however_framed() {
    for framing in [
        Framing::Length,
        Framing::Chunked(LIMIT + 1),
        Framing::Chunked(1000),
    ] {
        let (status, body) = post_login(&login_body(LIMIT + 1), framing);
        assert!(status.starts_with("HTTP/1.1 413"), "{status} {body}");
    }
}
