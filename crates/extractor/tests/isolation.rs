//! The isolating extractor against the real worker binary (`jira-index-extract`): the
//! same answers as in-process extraction, a crashing parser reported as one failed
//! file while the pool goes on, a stuck worker killed at the hard limit.

use std::time::{Duration, Instant};

use content::{ExtractError, ExtractLimits};
use extractor::{Extractor, Mode};

fn isolated() -> Extractor {
    Extractor::new(Mode::Process {
        program: env!("CARGO_BIN_EXE_jira-index-extract").into(),
        args: Vec::new(),
    })
}

/// HTML elements nested `depth` deep around a token.
fn nested(depth: usize, open: &str, close: &str) -> Vec<u8> {
    let mut html = String::from("<html><body>");
    html.push_str(&open.repeat(depth));
    html.push_str("deepword");
    html.push_str(&close.repeat(depth));
    html.push_str("</body></html>");
    html.into_bytes()
}

#[test]
fn answers_equal_in_process_extraction() {
    let ex = isolated();
    let limits = ExtractLimits::default();
    let cases: [(&[u8], &str); 3] = [
        (b"plain words ENG-1", "a.txt"),
        (
            b"<html><body><p>Hello <b>world</b></p></body></html>",
            "a.html",
        ),
        (b"%PDF-1.4 broken", "a.pdf"),
    ];
    for (bytes, name) in cases {
        assert_eq!(
            ex.extract(bytes, name, &limits),
            content::extract(bytes, name, &limits),
            "{name}"
        );
    }
    // Larger than a pipe buffer, in both directions.
    let big = "word ".repeat(200_000);
    let got = ex.extract(big.as_bytes(), "big.txt", &limits).unwrap();
    assert_eq!(got.text.len(), big.trim_end().len());
}

#[test]
fn hostile_html_costs_one_file_and_the_pool_goes_on() {
    let ex = isolated();
    let limits = ExtractLimits {
        timeout: Duration::from_secs(1),
        ..Default::default()
    };
    // Tables 20,000 deep overflow a 2 MiB thread stack; the worker's parser stack
    // holds them. (Their parse takes about a second in a debug build on a loaded
    // machine, so this file gets a time limit that is not what is tested here.)
    let roomy = ExtractLimits {
        timeout: Duration::from_secs(30),
        ..Default::default()
    };
    let ok = ex.extract(
        &nested(20_000, "<table><tr><td>", "</td></tr></table>"),
        "ok.html",
        &roomy,
    );
    assert!(ok.unwrap().text.contains("deepword"));
    // 200,000 nested divs keep html5ever busy far past the deadline, inside one call
    // the deadline cannot interrupt: the worker is killed at the hard limit.
    let start = Instant::now();
    match ex.extract(&nested(200_000, "<div>", "</div>"), "deep.html", &limits) {
        Err(ExtractError::Timeout(_) | ExtractError::Crashed { .. }) => {}
        other => panic!("expected the file to be reported, got {other:?}"),
    }
    assert!(start.elapsed() < limits.timeout + extractor::KILL_GRACE + Duration::from_secs(5));
    let after = ex.extract(b"still here", "b.txt", &limits).unwrap();
    assert_eq!(after.text, "still here");
}

#[test]
fn a_worker_that_dies_is_reported_with_its_signal() {
    // A worker that reads its request and dies of a segmentation fault stands in for a
    // parser that overflows its stack.
    let ex = Extractor::new(Mode::Process {
        program: "sh".into(),
        args: vec![
            "-c".into(),
            "read line; echo 'thread overflowed its stack' >&2; kill -SEGV $$".into(),
        ],
    });
    match ex.extract(b"anything", "a.txt", &ExtractLimits::default()) {
        Err(ExtractError::Crashed { detail }) => {
            assert!(detail.contains("signal 11"), "{detail}");
            assert!(detail.contains("overflowed its stack"), "{detail}");
        }
        other => panic!("expected a crash report, got {other:?}"),
    }
}

#[test]
fn a_worker_that_never_answers_is_killed_at_the_hard_limit() {
    // A worker that reads nothing and never answers stands in for a stuck parser.
    let ex = Extractor::new(Mode::Process {
        program: "sleep".into(),
        args: vec!["60".into()],
    });
    let limits = ExtractLimits {
        timeout: Duration::from_millis(100),
        ..Default::default()
    };
    let start = Instant::now();
    let got = ex.extract(b"anything", "a.txt", &limits);
    assert_eq!(got, Err(ExtractError::Timeout(Duration::from_millis(100))));
    assert!(start.elapsed() < Duration::from_secs(30));
}

#[test]
fn a_missing_worker_program_falls_back_to_in_process() {
    let ex = Extractor::new(Mode::Process {
        program: "/nonexistent/jira-index-extract".into(),
        args: Vec::new(),
    });
    let got = ex
        .extract(b"fallback text", "a.txt", &ExtractLimits::default())
        .unwrap();
    assert_eq!(got.text, "fallback text");
}
