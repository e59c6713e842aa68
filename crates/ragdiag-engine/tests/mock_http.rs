//! The HTTP adapter and the runner against an in-process mock server (a `TcpListener` in a
//! thread answering from a script): each fault gives the question its cause, and nothing
//! hangs past the timeout.

use ragdiag_engine::cache::Cache;
use ragdiag_engine::config::EngineConfig;
use ragdiag_engine::runner::{run, Policy};
use ragdiag_engine::{Engine, EngineError, Request};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One scripted answer.
#[derive(Clone)]
enum Reply {
    /// Status and body.
    Http(u16, String),
    /// Sleep this long, then answer 200 with the body.
    Slow(Duration, String),
    /// Announce a 1,000-byte body, send these bytes, and close the connection.
    Partial(String),
}

/// A server answering the n-th request with `script[n]` (the last one repeats); it records each
/// request's headers and body.
struct Mock {
    url: String,
    count: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<String>>>,
}

fn mock(script: Vec<Reply>) -> Mock {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/search", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (c, s) = (count.clone(), seen.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { break };
            let n = c.fetch_add(1, Ordering::SeqCst);
            let reply = script[n.min(script.len() - 1)].clone();
            let s = s.clone();
            std::thread::spawn(move || serve(stream, &reply, &s));
        }
    });
    Mock { url, count, seen }
}

fn serve(stream: TcpStream, reply: &Reply, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
    }
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    seen.lock()
        .unwrap()
        .push(format!("{head}\n{}", String::from_utf8_lossy(&body)));
    let (status, body) = match reply {
        Reply::Partial(b) => {
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n{b}"
            );
            return;
        }
        Reply::Http(s, b) => (*s, b.clone()),
        Reply::Slow(d, b) => {
            std::thread::sleep(*d);
            (200, b.clone())
        }
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

const HITS: &str = r#"{"result": {"hits": [
    {"_id": "c1", "_score": 2.5, "_source": {"text": "alpha", "doc_id": "d1", "start": 0, "end": 5}},
    {"_id": 7, "_score": 1.0, "_source": {"text": "beta", "doc_id": "d2"}}]}}"#;

fn engine(url: &str, timeout_s: f64) -> Box<dyn Engine> {
    let cfg = serde_json::json!({
        "url": url,
        "body": r#"{"q": {{query}}, "vec": {{embedding}}, "size": {{k}}}"#,
        "headers": {"Authorization": {"env": "RAGDIAG_TEST_SECRET"}},
        "timeout_s": timeout_s,
        "doc_field": "doc_id", "start_field": "start", "end_field": "end",
        "response": {"hits": "/result/hits", "id": "/_id", "score": "/_score",
                     "text": "/_source/text", "metadata": "/_source"},
    });
    std::env::set_var("RAGDIAG_TEST_SECRET", "Bearer tok-0123456789");
    Box::new(EngineConfig::from_value(cfg).unwrap().build().unwrap())
}

fn requests(n: usize) -> Vec<Request> {
    (0..n)
        .map(|i| Request {
            id: format!("q{i}"),
            text: format!("question \"{i}\""),
            embedding: Some(vec![0.25, -0.5]),
            k: 10,
        })
        .collect()
}

fn quick(retries: u32) -> Policy {
    Policy {
        retries,
        backoff: Duration::from_millis(10),
        backoff_max: Duration::from_millis(40),
        ..Policy::default()
    }
}

#[test]
fn a_200_is_mapped_by_json_pointer() {
    let m = mock(vec![Reply::Http(200, HITS.into())]);
    let e = engine(&m.url, 5.0);
    let out = run(e.as_ref(), &requests(1), &quick(0), None);
    let hits = out.results[0].as_ref().unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!((hits[0].id.as_str(), hits[0].doc_id()), ("c1", "d1"));
    assert_eq!(hits[0].span, Some((0, 5)));
    assert_eq!(hits[0].score, Some(2.5));
    assert_eq!(hits[0].text.as_deref(), Some("alpha"));
    assert_eq!(
        (hits[1].id.as_str(), hits[1].doc_id(), hits[1].span),
        ("7", "d2", None)
    );
    // The body is the template with JSON values; the credential went in its header.
    let seen = m.seen.lock().unwrap()[0].clone();
    assert!(
        seen.contains(r#"{"q": "question \"0\"", "vec": [0.25,-0.5], "size": 10}"#),
        "{seen}"
    );
    assert!(seen.contains("Bearer tok-0123456789"), "{seen}");
}

#[test]
fn a_429_then_200_is_retried() {
    let m = mock(vec![
        Reply::Http(429, "slow down".into()),
        Reply::Http(200, HITS.into()),
    ]);
    let e = engine(&m.url, 5.0);
    let out = run(e.as_ref(), &requests(1), &quick(3), None);
    assert_eq!(out.results[0].as_ref().unwrap().len(), 2);
    assert_eq!((out.sent, out.retried), (2, 1));
}

#[test]
fn a_500_fails_the_question_after_the_retries_with_its_cause() {
    // The server echoes the credential in its error body: it is scrubbed.
    let m = mock(vec![Reply::Http(500, "boom Bearer tok-0123456789".into())]);
    let e = engine(&m.url, 5.0);
    let out = run(e.as_ref(), &requests(2), &quick(2), None);
    assert_eq!(out.failed(), 2);
    assert_eq!(out.sent, 6);
    let err = out.results[0].as_ref().unwrap_err();
    assert!(
        matches!(err, EngineError::Status { status: 500, .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("HTTP 500") && msg.contains(&m.url), "{msg}");
    assert!(!msg.contains("tok-0123456789"), "{msg}");
}

#[test]
fn a_4xx_is_not_retried() {
    let m = mock(vec![
        Reply::Http(401, "no".into()),
        Reply::Http(200, HITS.into()),
    ]);
    let e = engine(&m.url, 5.0);
    let out = run(e.as_ref(), &requests(1), &quick(3), None);
    assert_eq!(out.sent, 1);
    assert!(out.results[0]
        .as_ref()
        .unwrap_err()
        .to_string()
        .contains("HTTP 401"));
}

#[test]
fn malformed_answers_name_what_is_wrong() {
    for (body, expect) in [
        ("{not json", "not JSON"),
        (r#"{"result": {}}"#, "/result/hits: not found"),
        (
            r#"{"result": {"hits": [{"_score": 1}]}}"#,
            "expected a string or integer id",
        ),
        (
            r#"{"result": {"hits": [{"_id": "a", "_score": "x"}]}}"#,
            "not a finite number",
        ),
        (
            r#"{"result": {"hits": [{"_id": "a", "_source": {}}]}}"#,
            "document field \"doc_id\"",
        ),
    ] {
        let m = mock(vec![Reply::Http(200, body.into())]);
        let e = engine(&m.url, 5.0);
        let out = run(e.as_ref(), &requests(1), &quick(3), None);
        let err = out.results[0].as_ref().unwrap_err();
        assert!(
            matches!(err, EngineError::Malformed { .. }),
            "{body}: {err:?}"
        );
        assert!(err.to_string().contains(expect), "{body}: {err}");
        assert_eq!(out.sent, 1, "malformed answers are not retried");
    }
}

#[test]
fn a_partial_answer_fails_the_question_after_the_retries() {
    let m = mock(vec![Reply::Partial(
        r#"{"result": {"hits": [{"_id""#.into(),
    )]);
    let e = engine(&m.url, 5.0);
    let started = Instant::now();
    let out = run(e.as_ref(), &requests(1), &quick(2), None);
    assert!(started.elapsed() < Duration::from_secs(3));
    let err = out.results[0].as_ref().unwrap_err();
    assert!(err.to_string().contains("the answer broke off"), "{err}");
    assert_eq!(out.sent, 3, "a broken answer is transient: retried");
}

#[test]
fn a_slow_engine_times_out_without_hanging() {
    let m = mock(vec![Reply::Slow(Duration::from_secs(5), HITS.into())]);
    let e = engine(&m.url, 0.3);
    let started = Instant::now();
    let out = run(e.as_ref(), &requests(2), &quick(1), None);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    for r in &out.results {
        let err = r.as_ref().unwrap_err();
        assert!(matches!(err, EngineError::Timeout { .. }), "{err:?}");
        assert!(err.to_string().contains("within 0.3 s"), "{err}");
    }
}

/// A port nothing answers on, held for as long as the returned socket lives: bound and not
/// listening, so a connection to it is refused, and no other test binding port 0 can take it (a
/// listener dropped to free its port races with the next one bound).
fn refusing_port() -> (socket2::Socket, u16) {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let port = s.local_addr().unwrap().as_socket().unwrap().port();
    (s, port)
}

#[test]
fn a_refused_connection_fails_each_question() {
    let (_held, port) = refusing_port();
    let e = engine(&format!("http://127.0.0.1:{port}/x"), 2.0);
    let started = Instant::now();
    let out = run(e.as_ref(), &requests(3), &quick(2), None);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(out.failed(), 3);
    assert_eq!(out.sent, 9);
    let msg = out.results[2].as_ref().unwrap_err().to_string();
    assert!(
        msg.starts_with(&format!("cannot connect to http://127.0.0.1:{port}/x")),
        "{msg}"
    );
}

#[test]
fn a_rerun_is_answered_from_the_cache() {
    let m = mock(vec![Reply::Http(200, HITS.into())]);
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::new(tmp.path().join("engine-cache"));
    let e = engine(&m.url, 5.0);
    let first = run(e.as_ref(), &requests(4), &quick(0), Some(&cache));
    assert_eq!((first.sent, first.cached), (4, 0));
    let again = run(e.as_ref(), &requests(4), &quick(0), Some(&cache));
    assert_eq!((again.sent, again.cached), (0, 4));
    assert_eq!(m.count.load(Ordering::SeqCst), 4);
    for (a, b) in first.results.iter().zip(&again.results) {
        assert_eq!(a.as_ref().unwrap(), b.as_ref().unwrap());
    }
    // No credential in the cache files.
    for entry in walk(tmp.path()) {
        let text = std::fs::read_to_string(&entry).unwrap();
        assert!(!text.contains("tok-0123456789"), "{}", entry.display());
    }
    // The identity holds the variable's name, not its value.
    assert!(!e.identity().contains("tok-0123456789"));
    assert!(e.identity().contains("$RAGDIAG_TEST_SECRET"));
}

#[test]
fn concurrency_is_bounded_and_the_rate_limited() {
    let m = mock(vec![Reply::Slow(Duration::from_millis(100), HITS.into())]);
    let e = engine(&m.url, 5.0);
    let policy = Policy {
        concurrency: 4,
        ..quick(0)
    };
    let started = Instant::now();
    let out = run(e.as_ref(), &requests(16), &policy, None);
    let took = started.elapsed();
    assert_eq!(out.failed(), 0);
    // 16 questions of 100 ms, 4 at a time: four waves (400 ms), neither one wave of 16 nor
    // sixteen one after the other (1.6 s).
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_millis(1200),
        "{took:?}"
    );
    let m = mock(vec![Reply::Http(200, HITS.into())]);
    let e = engine(&m.url, 5.0);
    let policy = Policy {
        concurrency: 4,
        rate: Some(20.0),
        ..quick(0)
    };
    let started = Instant::now();
    let _ = run(e.as_ref(), &requests(6), &policy, None);
    // Six requests at 20 a second: the last starts 250 ms after the first.
    assert!(
        started.elapsed() >= Duration::from_millis(240),
        "{:?}",
        started.elapsed()
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
