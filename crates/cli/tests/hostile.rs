//! Hostile clients against the real binary: connections that send nothing, or
//! too little, or too many, must not hold the server (ARCHITECTURE.md, Limits).
//!
//! Each wait below is bounded by [`GUARD`], far longer than the timeout under
//! test: the guard only turns a hang into a failure, it measures nothing.

#![allow(clippy::disallowed_methods)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

mod support;

use support::{start_with, Server, BIN};

const GUARD: Duration = Duration::from_secs(60);

fn init(dir: &Path) -> String {
    let data = dir.join("data");
    let out = std::process::Command::new(BIN)
        .args(["init", "--data", data.to_str().expect("utf8"), "--origin", "hostile.corridor/log"])
        .output()
        .expect("runs corridor");
    assert!(out.status.success(), "init: {}", String::from_utf8_lossy(&out.stderr));
    data.to_str().expect("utf8").to_owned()
}

/// `corridor serve` with extra flags.
fn serve(dir: &Path, flags: &[&str]) -> Server {
    let data = init(dir);
    let mut args = vec!["serve", "--data", &data, "--listen", "127.0.0.1:0"];
    args.extend_from_slice(flags);
    start_with(&args, dir)
}

fn addr(server: &Server) -> SocketAddr {
    server.url.trim_start_matches("http://").parse().expect("host:port")
}

/// Reads until the server closes the connection; what it sent.
async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let read = tokio::time::timeout(GUARD, stream.read_to_end(&mut out)).await;
    match read {
        Ok(Ok(_)) => out,
        // A reset after the response is a close too.
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionReset => out,
        Ok(Err(e)) => panic!("reading: {e}"),
        Err(_) => panic!("the server kept the connection open for {GUARD:?}"),
    }
}

/// The status and problem+json body of a raw HTTP/1.1 response.
fn problem(response: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(response);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("a response: {text:?}"));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
    assert!(
        head.to_ascii_lowercase().contains("content-type: application/problem+json"),
        "problem+json: {head}"
    );
    (status, serde_json::from_str(body).expect("a JSON body"))
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_that_send_nothing_or_too_little_are_closed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = serve(tmp.path(), &["--idle-timeout-s", "1", "--header-read-timeout-s", "1"]);

    // Sends nothing at all.
    let mut silent = TcpStream::connect(addr(&server)).await.expect("connects");
    assert!(read_to_close(&mut silent).await.is_empty(), "closed without a word");

    // Sends part of a head, then a byte now and then: the head deadline counts
    // from the first byte and is not pushed back by later ones.
    let mut trickle = TcpStream::connect(addr(&server)).await.expect("connects");
    trickle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.expect("writes");
    let closed = async {
        let mut byte = [0u8; 1];
        loop {
            if trickle.write_all(b"X").await.is_err() {
                return;
            }
            match tokio::time::timeout(Duration::from_millis(200), trickle.read(&mut byte)).await {
                Ok(Ok(0) | Err(_)) => return,
                Ok(Ok(_)) => panic!("a response to half a head"),
                Err(_) => {}
            }
        }
    };
    tokio::time::timeout(GUARD, closed).await.expect("a trickled head is cut off");

    // A kept-alive connection, idle after one answer.
    let mut kept = TcpStream::connect(addr(&server)).await.expect("connects");
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("writes");
    let answer = read_to_close(&mut kept).await;
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_stops_is_answered_408_and_an_oversized_one_413_unread() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = serve(tmp.path(), &["--body-read-timeout-s", "1"]);
    let before = reqwest::get(format!("{}/checkpoint", server.url)).await.expect("get").text().await;

    let mut slow = TcpStream::connect(addr(&server)).await.expect("connects");
    let head = "POST /v1/statements HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{";
    slow.write_all(head.as_bytes()).await.expect("writes");
    let (status, body) = problem(&read_to_close(&mut slow).await);
    assert_eq!((status, body["code"].as_str()), (408, Some("body_timeout")), "{body}");

    // Declares 10 MB and sends none of it: refused before the body is awaited,
    // so no body timeout can be what answers (the guard is far longer).
    let tmp2 = tempfile::tempdir().expect("tempdir");
    let patient = serve(tmp2.path(), &["--body-read-timeout-s", "3600"]);
    let mut big = TcpStream::connect(addr(&patient)).await.expect("connects");
    let head = "POST /v1/statements HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n";
    big.write_all(head.as_bytes()).await.expect("writes");
    let (status, body) = problem(&read_to_close(&mut big).await);
    assert_eq!((status, body["code"].as_str()), (413, Some("too_large")), "{body}");

    let after = reqwest::get(format!("{}/checkpoint", server.url)).await.expect("get").text().await;
    assert_eq!(before.expect("text"), after.expect("text"), "nothing was logged");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_thousand_idle_connections_from_one_address_leave_room_for_another() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // The default limits: this is what a public server faces.
    let server = serve(tmp.path(), &[]);
    let target = addr(&server);
    let mut idle = Vec::with_capacity(2_000);
    for _ in 0..2_000 {
        idle.push(TcpStream::connect(target).await.expect("the kernel accepts the connection"));
    }

    let other = TcpSocket::new_v4().expect("socket");
    other.bind("127.0.0.2:0".parse().expect("addr")).expect("binds another loopback address");
    let mut other =
        tokio::time::timeout(GUARD, other.connect(target)).await.expect("accepted").expect("connects");
    other.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.expect("writes");
    let answer = read_to_close(&mut other).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 200") && text.contains("\"ok\""), "{text}");

    // The flood itself was cut to its share: connections are accepted in the
    // order they were made, so all but the first 256 were closed unread.
    for (i, stream) in idle.iter_mut().enumerate().skip(256) {
        assert!(read_to_close(stream).await.is_empty(), "connection {i} is over the share and closed");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_stream_outlives_the_idle_timeout_with_keep_alives() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let flags = ["--idle-timeout-s", "1", "--header-read-timeout-s", "1", "--event-keep-alive-s", "0.25"];
    let server = serve(tmp.path(), &flags);
    let mut resp = reqwest::get(format!("{}/v1/events", server.url)).await.expect("subscribes");
    assert_eq!(resp.status(), 200);
    // Twelve keep-alives a quarter second apart span three seconds of the
    // server's clock: three idle timeouts.
    let mut keep_alives = 0;
    while keep_alives < 12 {
        let chunk = tokio::time::timeout(GUARD, resp.chunk()).await.expect("within the guard");
        let chunk = chunk.expect("the stream is open").expect("not ended");
        keep_alives += String::from_utf8_lossy(&chunk).lines().filter(|l| l.starts_with(':')).count();
    }
}
