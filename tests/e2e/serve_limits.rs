//! `serve` against slow and greedy clients, over real TCP on loopback: a client that
//! trickles its request headers is dropped after `serve.header_read_timeout_secs`, one
//! that trickles its body gets 408 once `serve.request_timeout_secs` pass, a body over
//! `serve.max_body_bytes` gets 413, connections past `serve.max_connections` are closed
//! at once — and the server goes on answering everyone else. `/mcp` answers the
//! `serve.public_url` host and refuses other `Host`s.

use std::time::{Duration, Instant};

use jira_sim::generate::GenConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection (or `limit` passes); returns what
/// was read and how long it took.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while start.elapsed() < limit {
        match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), start.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_greedy_clients_cannot_hold_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let key = "limits-alice-key-0123456789abcdef";
    let toml = format!(
        "[serve]\nsync_interval_minutes = 0\nheader_read_timeout_secs = 1\nrequest_timeout_secs = 2\nmax_connections = 6\nmax_body_bytes = 4096\npublic_url = \"https://search.example.com\"\n\n[[serve.api_keys]]\nname = \"alice\"\nsha256 = \"{}\"\nemail = \"alice@example.com\"\n",
        serve::auth::key_hash(key)
    );
    let site = jira_index_tests::start_workspace(
        jira_sim::generate(&GenConfig::skeleton(2)),
        &tmp.path().join("data"),
        false,
        &toml,
    )
    .await
    .unwrap();
    let server = serve::start(site.config.clone(), None, Some(([127, 0, 0, 1], 0).into()))
        .await
        .unwrap();
    let addr = server.addr;
    let healthy = || async move {
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .map(|r| r.status().is_success())
            .unwrap_or(false)
    };
    assert!(healthy().await);

    // /mcp behind a real hostname: serve.public_url's host is allowed, others are not
    // (rmcp's Host check against DNS rebinding).
    let initialize = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-03-26", "capabilities": {},
                   "clientInfo": {"name": "limits-test", "version": "0"}}
    });
    for (host, allowed) in [("search.example.com", true), ("evil.example", false)] {
        let res = reqwest::Client::new()
            .post(format!("http://{addr}/mcp"))
            .header("host", host)
            .header("accept", "application/json, text/event-stream")
            .bearer_auth(key)
            .json(&initialize)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status() == reqwest::StatusCode::FORBIDDEN,
            !allowed,
            "{host}: {}",
            res.status()
        );
        if allowed {
            assert!(res.status().is_success(), "{host}: {}", res.status());
        }
    }

    // Headers trickled a byte every 200 ms: dropped after about a second, long
    // before the 10 s the trickle would take.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let trickle = tokio::spawn(async move {
        for _ in 0..50 {
            if slow.write_all(b"X").await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    });
    let dropped = tokio::time::timeout(Duration::from_secs(8), trickle)
        .await
        .expect("the trickling client was not dropped within 8 s")
        .unwrap();
    assert!(dropped, "the server kept reading a trickle of headers");

    // A body trickled after complete headers: 408 once the request timeout passes.
    let mut body = TcpStream::connect(addr).await.unwrap();
    body.write_all(
        b"POST /admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nkey=",
    )
    .await
    .unwrap();
    let (answer, took) = read_until_closed(&mut body, Duration::from_secs(6)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{took:?}: {answer:?}");
    drop(body);

    // A body over the limit: 413.
    let res = reqwest::Client::new()
        .post(format!("http://{addr}/webhooks/jira"))
        .body(vec![b'x'; 10_000])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);

    // Let the server see the earlier connections close.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Six idle connections hold every slot: the seventh is closed at once, without
    // an answer; once the idle ones are dropped, the server answers again.
    let mut idle = Vec::new();
    for _ in 0..6 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = TcpStream::connect(addr).await.unwrap();
    let _ = extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let (answer, took) = read_until_closed(&mut extra, Duration::from_secs(5)).await;
    assert!(
        answer.is_empty() && took < Duration::from_millis(900),
        "{took:?}: {answer:?}"
    );
    drop(idle);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !healthy().await {
        assert!(Instant::now() < deadline, "the server did not recover");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.shutdown().await.unwrap();
}
